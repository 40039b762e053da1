//! Embeds every `rules/*.toml` file into the binary, without its examples: a scan never reads
//! them, and they are most of the text to parse at start-up. The examples stay in the files,
//! where `keytrail rules check` and the test suite assert them. Each rule's windows are narrowed
//! to what its pattern needs (`src/rules/window.rs`), which would otherwise take parsing every
//! pattern at start-up. The rules' screens (`src/rules/screen.rs`) are determinized here and
//! embedded as dense DFAs, so that a scan neither compiles nor determinizes them.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

#[allow(dead_code)]
#[path = "src/rules/window.rs"]
mod window;

#[allow(dead_code)]
#[path = "src/rules/screen.rs"]
mod screen;

fn main() {
    println!("cargo:rerun-if-changed=rules");
    println!("cargo:rerun-if-changed=src/rules/window.rs");
    println!("cargo:rerun-if-changed=src/rules/screen.rs");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let out_dir = std::env::var("OUT_DIR").expect("OUT_DIR");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("rules/ directory")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    names.sort();
    let mut out = String::from(
        "/// Built-in rule files without their examples: (file name, contents).\npub static BUILTIN_RULE_FILES: &[(&str, &str)] = &[\n",
    );
    let mut screens = BTreeMap::new();
    for name in names {
        let text = std::fs::read_to_string(dir.join(&name)).expect("read rule file");
        let lean = Path::new(&out_dir).join(&name);
        std::fs::write(&lean, without_examples(&name, &text, &mut screens))
            .expect("write lean rule file");
        writeln!(
            out,
            "    ({name:?}, include_str!({:?})),",
            lean.display().to_string()
        )
        .expect("write to string");
    }
    out.push_str("];\n");
    std::fs::write(Path::new(&out_dir).join("builtin_rules.rs"), out)
        .expect("write builtin_rules.rs");
    write_screens(Path::new(&out_dir), &screens);
}

/// Dense screens by pattern and whether they are searched anchored only.
type Screens = BTreeMap<(String, bool), Vec<u8>>;

/// Writes the dense screens as one blob (`screens.bin`, each DFA at an 8-byte aligned offset, in
/// the target's byte order) and their index by pattern and anchoring (`builtin_screens.rs`),
/// sorted for binary search.
fn write_screens(out_dir: &Path, screens: &Screens) {
    let mut blob = Vec::new();
    let mut index = String::from(
        "/// Dense screens of built-in patterns: (pattern, anchored only, start, end) in `SCREEN_BLOB`,\n/// sorted by pattern and anchoring.\npub static BUILTIN_SCREENS: &[(&str, bool, usize, usize)] = &[\n",
    );
    for ((pattern, anchored_only), bytes) in screens {
        let start = blob.len();
        blob.extend_from_slice(bytes);
        let end = blob.len();
        writeln!(index, "    ({pattern:?}, {anchored_only}, {start}, {end}),")
            .expect("write to string");
        blob.resize(blob.len().next_multiple_of(8), 0);
    }
    index.push_str("];\n");
    let bin = out_dir.join("screens.bin");
    std::fs::write(&bin, blob).expect("write screens.bin");
    writeln!(
        index,
        "/// The dense screens' bytes.\nstatic SCREEN_BLOB: &Aligned<[u8]> = &Aligned(*include_bytes!({:?}));",
        bin.display().to_string()
    )
    .expect("write to string");
    std::fs::write(out_dir.join("builtin_screens.rs"), index).expect("write builtin_screens.rs");
}

/// Determinizes the screen of a rule's pattern, if it is small enough to embed: keyword-less
/// rules search whole files with their full regex and need none. A rule searched anchored only
/// (at its keyword hits, or at line starts) gets a screen without unanchored start states.
fn add_screen(rule: &toml::Table, screens: &mut Screens) {
    let Some(pattern) = rule.get("pattern").and_then(toml::Value::as_str) else {
        return;
    };
    let has_keywords =
        matches!(rule.get("keywords"), Some(toml::Value::Array(words)) if !words.is_empty());
    let Ok(hir) = window::parse_bytes(pattern) else {
        return;
    };
    let at_keyword = rule.get("starts_at_keyword").and_then(toml::Value::as_bool) == Some(true);
    let key = (pattern.to_string(), screen::anchored_only(&hir, at_keyword));
    if !has_keywords || screens.contains_key(&key) {
        return;
    }
    let provider = rule.get("provider").and_then(toml::Value::as_str);
    let limit = screen::dense_limit(provider.unwrap_or_default());
    if let Some(dfa) = screen::dense_screen(&hir, limit, key.1) {
        let big_endian = std::env::var("CARGO_CFG_TARGET_ENDIAN").is_ok_and(|e| e == "big");
        let (bytes, pad) = match big_endian {
            true => dfa.to_bytes_big_endian(),
            false => dfa.to_bytes_little_endian(),
        };
        screens.insert(key, bytes[pad..].to_vec());
    }
}

/// The rule file with `examples` and `negative_examples` removed from every rule, and windows
/// narrowed. A file that does not parse is embedded as it is, so that the scan reports the
/// problem with its position.
fn without_examples(name: &str, text: &str, screens: &mut Screens) -> String {
    let Ok(mut doc) = text.parse::<toml::Table>() else {
        println!("cargo:warning=rules/{name} is not valid TOML");
        return text.to_string();
    };
    if let Some(toml::Value::Array(rules)) = doc.get_mut("rule") {
        for rule in rules.iter_mut().filter_map(toml::Value::as_table_mut) {
            rule.remove("examples");
            rule.remove("negative_examples");
            narrow_windows(rule);
            add_screen(rule, screens);
        }
    }
    toml::to_string(&doc).unwrap_or_else(|_| text.to_string())
}

/// Sets `window_before` and `window_after` to what the rule's pattern needs, when that is
/// narrower than declared, and `starts_at_keyword` when every match starts with a keyword. A
/// rule this cannot read is left for the scan's validation to report.
fn narrow_windows(rule: &mut toml::Table) {
    let text = |key: &str| rule.get(key).and_then(toml::Value::as_str);
    let side = |key: &str, default: usize| match rule.get(key) {
        None => Some(default),
        Some(value) => value.as_integer().and_then(|n| usize::try_from(n).ok()),
    };
    let keywords: Option<Vec<String>> = match rule.get("keywords") {
        Some(toml::Value::Array(words)) => words
            .iter()
            .map(|w| w.as_str().map(str::to_string))
            .collect(),
        _ => None,
    };
    let (Some(pattern), Some(keywords), Some(before), Some(after)) = (
        text("pattern"),
        keywords,
        side("window_before", window::DEFAULT_WINDOW_BEFORE),
        side("window_after", window::DEFAULT_WINDOW_AFTER),
    ) else {
        return;
    };
    let anchored = window::starts_with_keyword(pattern, &keywords);
    if let Some((before, after)) = window::narrowed(pattern, &keywords, before, after) {
        for (key, value) in [("window_before", before), ("window_after", after)] {
            let value = i64::try_from(value).unwrap_or(i64::MAX);
            rule.insert(key.to_string(), toml::Value::Integer(value));
        }
    }
    if anchored {
        rule.insert("starts_at_keyword".to_string(), toml::Value::Boolean(true));
    }
}
