//! Embeds every `rules/*.toml` file into the binary, without its examples: a scan never reads
//! them, and they are most of the text to parse at start-up. The examples stay in the files,
//! where `keytrail rules check` and the test suite assert them.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=rules");
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
    for name in names {
        let text = std::fs::read_to_string(dir.join(&name)).expect("read rule file");
        let lean = Path::new(&out_dir).join(&name);
        std::fs::write(&lean, without_examples(&name, &text)).expect("write lean rule file");
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
}

/// The rule file with `examples` and `negative_examples` removed from every rule. A file that
/// does not parse is embedded as it is, so that the scan reports the problem with its position.
fn without_examples(name: &str, text: &str) -> String {
    let Ok(mut doc) = text.parse::<toml::Table>() else {
        println!("cargo:warning=rules/{name} is not valid TOML");
        return text.to_string();
    };
    if let Some(toml::Value::Array(rules)) = doc.get_mut("rule") {
        for rule in rules.iter_mut().filter_map(toml::Value::as_table_mut) {
            rule.remove("examples");
            rule.remove("negative_examples");
        }
    }
    toml::to_string(&doc).unwrap_or_else(|_| text.to_string())
}
