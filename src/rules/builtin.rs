//! The built-in rule catalogue: `rules/*.toml`, embedded at build time by `build.rs`.

use std::path::PathBuf;

use super::{RuleError, RuleSet, RuleSetBuilder};

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// The embedded rule files as (file name, contents).
pub fn builtin_files() -> &'static [(&'static str, &'static str)] {
    BUILTIN_RULE_FILES
}

/// Loads the rule set for a scan: the built-in catalogue (unless `builtin` is false) plus every
/// extra rule file or directory. Built-in patterns compile lazily; their examples are asserted by
/// the test suite. Extra rules are compiled and their examples asserted now.
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
    use crate::rules::check_rule;

    #[test]
    fn every_builtin_rule_passes_its_examples() {
        let set = load_ruleset(true, &[]).expect("built-in rules load");
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
}
