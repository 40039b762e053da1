//! The built-in rule catalogue: `rules/*.toml`, embedded at build time by `build.rs` without
//! their examples (the test suite asserts them from the files).

use std::path::PathBuf;

use regex_automata::dfa::dense;

use super::{RuleError, RuleSet, RuleSetBuilder};

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// Bytes aligned for a DFA's transition table.
#[repr(C, align(8))]
struct Aligned<B: ?Sized>(B);

include!(concat!(env!("OUT_DIR"), "/builtin_screens.rs"));

/// The embedded dense screen of `pattern`, searched anchored only or not (see `screen.rs`), if
/// `build.rs` determinized one: a screen depends on the pattern and its anchoring alone, so any
/// rule with a built-in pattern can use it.
pub fn builtin_screen(pattern: &str, anchored_only: bool) -> Option<dense::DFA<&'static [u32]>> {
    let i = BUILTIN_SCREENS
        .binary_search_by(|&(p, a, _, _)| (p, a).cmp(&(pattern, anchored_only)))
        .ok()?;
    let (_, _, start, end) = BUILTIN_SCREENS[i];
    let (dfa, _) = dense::DFA::from_bytes(SCREEN_BLOB.0.get(start..end)?).ok()?;
    Some(dfa)
}

/// The embedded rule files as (file name, contents), without their examples.
pub fn builtin_files() -> &'static [(&'static str, &'static str)] {
    BUILTIN_RULE_FILES
}

/// Loads the rule set for a scan: the built-in catalogue (unless `builtin` is false) plus every
/// extra rule file or directory. Built-in patterns compile lazily; their examples are asserted by
/// the test suite from `rules/`. Extra rules are compiled and their examples asserted now.
pub fn load_ruleset(builtin: bool, extra: &[PathBuf]) -> Result<RuleSet, RuleError> {
    let mut builder = RuleSetBuilder::new();
    if builtin {
        for (name, text) in builtin_files() {
            builder.add_text(&format!("builtin:{name}"), text, false)?;
        }
    }
    for path in extra {
        builder.add_path(path)?;
    }
    builder.build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{DEFAULT_WINDOW_AFTER, DEFAULT_WINDOW_BEFORE, RuleFile, check_rule};
    use crate::rules::{screen, window};

    fn source_dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("rules")
    }

    #[test]
    fn every_builtin_rule_passes_its_examples() {
        let mut builder = RuleSetBuilder::new();
        builder.add_path(&source_dir()).expect("rules/ loads");
        let set = builder.build().expect("rules/ builds");
        assert!(!set.rules().is_empty());
        let mut failures = Vec::new();
        for rule in set.rules() {
            if rule.examples.is_empty() || rule.negative_examples.is_empty() {
                failures.push(format!("{}: needs examples and negative examples", rule.id));
            }
            if let Err(e) = check_rule(rule) {
                failures.push(e.to_string());
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    /// Every field but the examples of every rule, as parsed from `text`; with `narrow`, the
    /// windows narrowed and the searches anchored at keywords as `build.rs` does.
    fn without_examples(text: &str, narrow: bool) -> Vec<String> {
        let file: RuleFile = toml::from_str(text).expect("rule file parses");
        file.rules
            .into_iter()
            .map(|mut r| {
                r.examples.clear();
                r.negative_examples.clear();
                let before = r.window_before.unwrap_or(DEFAULT_WINDOW_BEFORE);
                let after = r.window_after.unwrap_or(DEFAULT_WINDOW_AFTER);
                if narrow
                    && let Some((b, a)) = window::narrowed(&r.pattern, &r.keywords, before, after)
                {
                    (r.window_before, r.window_after) = (Some(b), Some(a));
                }
                r.starts_at_keyword |=
                    narrow && window::starts_with_keyword(&r.pattern, &r.keywords);
                format!("{r:?}")
            })
            .collect()
    }

    #[test]
    fn embedded_rules_are_the_source_rules_without_examples_with_narrowed_windows() {
        let mut names = Vec::new();
        for (name, lean) in builtin_files() {
            let source = std::fs::read_to_string(source_dir().join(name)).expect("source file");
            assert_eq!(
                without_examples(lean, false),
                without_examples(&source, true),
                "{name}"
            );
            let keys = lean
                .lines()
                .filter_map(|l| l.split_once(" = ").map(|(k, _)| k));
            assert!(
                keys.clone()
                    .all(|k| k != "examples" && k != "negative_examples"),
                "{name} still carries examples"
            );
            names.push(name.to_string());
        }
        let mut on_disk: Vec<String> = std::fs::read_dir(source_dir())
            .expect("rules/")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".toml"))
            .collect();
        on_disk.sort();
        assert_eq!(names, on_disk);
    }

    /// Every built-in pattern whose screen fits its size limit has that screen embedded, and on
    /// the rule's examples and negative examples, from every offset, anchored and (unless the
    /// rule searches anchored only) not, it finds the same as the lazy screen a rule read at run
    /// time gets.
    #[test]
    fn embedded_screens_are_the_patterns_screens() {
        use regex_automata::dfa::Automaton;
        use regex_automata::{Anchored, Input};

        let mut builder = RuleSetBuilder::new();
        builder.add_path(&source_dir()).expect("rules/ loads");
        let set = builder.build().expect("rules/ builds");
        let (mut embedded, mut generic, mut generic_rules, mut rules) = (0, 0, 0, 0);
        // Keyword-less rules search whole files with their full regex and need no screen.
        for rule in set.rules().iter().filter(|r| !r.keywords.is_empty()) {
            rules += 1;
            generic_rules += usize::from(rule.provider == "generic");
            let hir = window::parse_bytes(&rule.pattern).expect("pattern parses");
            let anchored_only = screen::anchored_only(&hir, rule.starts_at_keyword);
            let limit = screen::dense_limit(&rule.provider);
            let fits = screen::dense_screen(&hir, limit, anchored_only).is_some();
            let Some(dense) = builtin_screen(&rule.pattern, anchored_only) else {
                assert!(!fits, "{}: screen fits but is not embedded", rule.id);
                continue;
            };
            assert!(fits, "{}: screen embedded but over its limit", rule.id);
            embedded += 1;
            generic += usize::from(rule.provider == "generic");
            let lazy = screen::lazy_screen(&hir).expect("lazy screen");
            let modes: &[Anchored] = match anchored_only {
                true => &[Anchored::Yes],
                false => &[Anchored::No, Anchored::Yes],
            };
            let mut cache = lazy.create_cache();
            for text in rule.examples.iter().chain(&rule.negative_examples) {
                let hay = text.as_bytes();
                for start in 0..=hay.len() {
                    for &anchored in modes {
                        let input = Input::new(hay)
                            .range(start..)
                            .anchored(anchored)
                            .earliest(true);
                        let found = dense.try_search_fwd(&input).map_err(|e| e.to_string());
                        let expected = lazy
                            .try_search_fwd(&mut cache, &input)
                            .map_err(|e| e.to_string());
                        assert_eq!(found, expected, "{} at {start} {anchored:?}", rule.id);
                    }
                }
            }
        }
        // Most rules, and nearly all of the busy generic ones, have embedded screens.
        assert!(embedded * 10 > rules * 6, "{embedded} of {rules} embedded");
        assert!(
            generic * 10 > generic_rules * 9,
            "{generic} of {generic_rules} generic rules embedded"
        );
    }
}
