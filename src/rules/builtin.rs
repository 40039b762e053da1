//! The built-in rule catalogue: `rules/*.toml`, embedded at build time by `build.rs` without
//! their examples (the test suite asserts them from the files).

use std::path::PathBuf;

use super::{RuleError, RuleSet, RuleSetBuilder};

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

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
    use crate::rules::window;
    use crate::rules::{DEFAULT_WINDOW_AFTER, DEFAULT_WINDOW_BEFORE, RuleFile, check_rule};

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
    /// windows narrowed as `build.rs` narrows them.
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
}
