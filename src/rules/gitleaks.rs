//! Importing gitleaks v8 configurations (`.gitleaks.toml`), so that teams moving off gitleaks keep
//! their custom rules.
//!
//! Each `[[rules]]` entry becomes a keytrail rule: `id`, `description` (as the name), `regex`,
//! `secretGroup` (default: group 1 if the regex has groups, else the whole match), `entropy`,
//! `keywords` (a rule without keywords is tried on every blob, as gitleaks does) and the rule's
//! allowlists (`regexes` against the secret or the match, `stopwords`, `paths`). A rule's `path`
//! limits it to the files whose path it matches. The global `[allowlist]` regexes, stopwords and
//! paths apply to every imported rule. Whatever has no keytrail equivalent (commit allowlists,
//! path-only rules, `[extend]`, line targets, `condition = "AND"`) is named in a warning;
//! nothing is dropped silently.

use toml::{Table, Value};

use super::RuleError;
use super::syntax::{RuleSyntax, SecretGroup};

/// Whether a parsed TOML document is a gitleaks configuration (`[[rules]]`, not `[[rule]]`).
pub fn is_gitleaks(doc: &Table) -> bool {
    doc.contains_key("rules") && !doc.contains_key("rule")
}

/// Converts a gitleaks configuration into rule syntax, plus warnings about what was not carried
/// over.
pub fn import(origin: &str, doc: &Table) -> Result<(Vec<RuleSyntax>, Vec<String>), RuleError> {
    let mut warnings = Vec::new();
    for key in doc.keys() {
        if !matches!(key.as_str(), "rules" | "allowlist" | "allowlists" | "title") {
            warnings.push(format!(
                "{origin}: `{key}` is not supported and was ignored"
            ));
        }
    }
    let mut global = Allow::default();
    for (i, table) in allowlists(doc, "allowlist", "allowlists")
        .iter()
        .enumerate()
    {
        global.absorb(
            table,
            &format!("{origin}: global allowlist {}", i + 1),
            &mut warnings,
        );
    }
    let rules = doc
        .get("rules")
        .and_then(Value::as_array)
        .ok_or_else(|| syntax(origin, "`rules` must be an array of tables"))?;
    let mut out = Vec::new();
    for (i, value) in rules.iter().enumerate() {
        let table = value
            .as_table()
            .ok_or_else(|| syntax(origin, &format!("rule {} is not a table", i + 1)))?;
        if let Some(rule) = import_rule(origin, table, &global, &mut warnings)? {
            out.push(rule);
        }
    }
    Ok((out, warnings))
}

fn syntax(origin: &str, message: &str) -> RuleError {
    RuleError::Syntax {
        file: origin.to_string(),
        message: message.to_string(),
    }
}

fn import_rule(
    origin: &str,
    t: &Table,
    global: &Allow,
    warnings: &mut Vec<String>,
) -> Result<Option<RuleSyntax>, RuleError> {
    let raw_id = str_field(t, "id").unwrap_or("unnamed");
    let id = normalise_id(raw_id);
    let invalid = |problem: &str| RuleError::Invalid {
        file: origin.to_string(),
        rule: raw_id.to_string(),
        problem: problem.to_string(),
    };
    let here = format!("{origin}: rule `{raw_id}`");
    for key in t.keys() {
        if !matches!(
            key.as_str(),
            "id" | "description"
                | "regex"
                | "secretGroup"
                | "entropy"
                | "keywords"
                | "tags"
                | "allowlist"
                | "allowlists"
                | "path"
        ) {
            warnings.push(format!("{here}: `{key}` is not supported and was ignored"));
        }
    }
    let Some(regex) = str_field(t, "regex") else {
        warnings.push(format!(
            "{here}: path-only rules (no `regex`) are not supported; skipped"
        ));
        return Ok(None);
    };
    let mut allow = global.clone();
    for (i, table) in allowlists(t, "allowlist", "allowlists").iter().enumerate() {
        allow.absorb(table, &format!("{here}: allowlist {}", i + 1), warnings);
    }
    let secret_group = match t.get("secretGroup").and_then(Value::as_integer) {
        Some(n) => {
            SecretGroup::Index(usize::try_from(n).map_err(|_| invalid("negative secretGroup"))?)
        }
        None => SecretGroup::FirstOrWhole,
    };
    let keywords = strings(t, "keywords");
    Ok(Some(RuleSyntax {
        id,
        name: str_field(t, "description").unwrap_or(raw_id).to_string(),
        provider: Some("custom".to_string()),
        keywords,
        pattern: regex.to_string(),
        entropy: t
            .get("entropy")
            .and_then(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64))),
        check: None,
        confidence: "medium".to_string(),
        window_before: None,
        window_after: None,
        lines_after: None,
        starts_at_keyword: false,
        stopwords: allow.stopwords,
        allow_matches: allow.matches,
        allow_secrets: allow.secrets,
        related: Default::default(),
        paths: Vec::new(),
        path_regex: str_field(t, "path").map(str::to_string),
        skip_path_regexes: allow.paths,
        decode: None,
        secret_group,
        examples: Vec::new(),
        negative_examples: Vec::new(),
    }))
}

/// Allowlist entries that keytrail can honour.
#[derive(Debug, Clone, Default)]
struct Allow {
    secrets: Vec<String>,
    matches: Vec<String>,
    stopwords: Vec<String>,
    /// Path regexes where the rule does not run.
    paths: Vec<String>,
}

impl Allow {
    fn absorb(&mut self, t: &Table, here: &str, warnings: &mut Vec<String>) {
        let regexes = strings(t, "regexes");
        match t
            .get("regexTarget")
            .and_then(Value::as_str)
            .unwrap_or("secret")
        {
            "match" => self.matches.extend(regexes),
            "secret" => self.secrets.extend(regexes),
            other => {
                if !regexes.is_empty() {
                    warnings.push(format!(
                        "{here}: regexTarget `{other}` is not supported; its regexes were ignored"
                    ));
                }
            }
        }
        self.stopwords.extend(strings(t, "stopwords"));
        self.paths.extend(strings(t, "paths"));
        for key in t.keys() {
            match key.as_str() {
                "regexes" | "regexTarget" | "stopwords" | "description" | "paths" => {}
                "condition" if t.get(key).and_then(Value::as_str) == Some("OR") => {}
                _ => warnings.push(format!("{here}: `{key}` is not supported and was ignored")),
            }
        }
    }
}

/// The allowlist tables of `t`: the single `[allowlist]` table and the `[[allowlists]]` array.
fn allowlists<'a>(t: &'a Table, single: &str, many: &str) -> Vec<&'a Table> {
    let mut out: Vec<&Table> = t
        .get(single)
        .and_then(Value::as_table)
        .into_iter()
        .collect();
    if let Some(a) = t.get(many).and_then(Value::as_array) {
        out.extend(a.iter().filter_map(Value::as_table));
    }
    out
}

/// The strings of an array field (missing or non-string entries are skipped).
fn strings(t: &Table, key: &str) -> Vec<String> {
    t.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn str_field<'a>(t: &'a Table, key: &str) -> Option<&'a str> {
    t.get(key).and_then(Value::as_str)
}

/// A gitleaks id as a keytrail id: lowercase, other characters as `-`, under `gitleaks.`.
fn normalise_id(id: &str) -> String {
    let body: String = id
        .chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("gitleaks.{body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = r#"
title = "acme"

[extend]
useDefault = true

[allowlist]
description = "global"
paths = ['''vendor/''']
stopwords = ["dummy"]

[[rules]]
id = "acme-key"
description = "ACME API key"
regex = '''acme_(?:key|tok)\s*=\s*"([a-z0-9]{16})"'''
keywords = ["acme_"]
entropy = 3.0

[[rules.allowlists]]
regexTarget = "match"
regexes = ['''test_acme''']
commits = ["abc123"]

[[rules]]
id = "Internal Token"
regex = '''itk-[0-9a-f]{12}'''

[[rules]]
id = "pem-file"
path = '''\.pem$'''
"#;

    #[test]
    fn imports_rules_and_names_what_it_drops() {
        let doc: Table = toml::from_str(CONFIG).unwrap();
        assert!(is_gitleaks(&doc));
        let (rules, warnings) = import(".gitleaks.toml", &doc).unwrap();
        assert_eq!(rules.len(), 2);
        let first = &rules[0];
        assert_eq!(first.id, "gitleaks.acme-key");
        assert_eq!(first.name, "ACME API key");
        assert_eq!(first.secret_group, SecretGroup::FirstOrWhole);
        assert_eq!(first.stopwords, vec!["dummy"]);
        assert_eq!(first.allow_matches, vec!["test_acme"]);
        assert_eq!(rules[1].id, "gitleaks.internal-token");
        assert!(rules[1].keywords.is_empty());
        let all = warnings.join("\n");
        assert_eq!(first.skip_path_regexes, vec!["vendor/"]);
        for expected in ["`extend`", "`commits`", "path-only rules"] {
            assert!(all.contains(expected), "missing {expected} in:\n{all}");
        }
    }
}
