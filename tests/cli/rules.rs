//! `keytrail rules list` and `keytrail rules check`.

use std::path::Path;

use predicates::str::contains;

use crate::common::{keytrail, tree};

#[test]
fn list_shows_builtin_rules_and_counts() {
    keytrail()
        .args(["rules", "list"])
        .assert()
        .success()
        .stdout(contains("github.pat.classic"))
        .stdout(contains("rules,"))
        .stdout(contains("providers"));
}

#[test]
fn list_json_is_an_array_of_rules() {
    let out = keytrail()
        .args(["rules", "list", "--json"])
        .output()
        .unwrap();
    let rules: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = rules
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"aws.secret-access-key"), "{ids:?}");
}

const USER_RULE: &str = r#"
[[rule]]
id = "acme.internal-token"
name = "ACME internal token"
keywords = ["acme_tok_"]
pattern = '''\b(?P<secret>acme_tok_[a-f0-9]{32})\b'''
confidence = "high"
examples = ["ACME=acme_tok_0f1e2d3c4b5a69788796a5b4c3d2e1f0"]
negative_examples = ["ACME=acme_tok_${TOKEN}"]
"#;

#[test]
fn check_accepts_a_good_user_rule_file() {
    let dir = tree(&[("acme.toml", USER_RULE.as_bytes())]);
    keytrail()
        .args(["rules", "check"])
        .arg(dir.path().join("acme.toml"))
        .assert()
        .success()
        .stdout(contains("ok:"));
}

#[test]
fn check_names_file_rule_and_problem() {
    let broken = USER_RULE.replace("ACME=acme_tok_0f1e", "ACME=nothing_0f1e");
    let dir = tree(&[("acme.toml", broken.as_bytes())]);
    keytrail()
        .args(["rules", "check"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(contains("acme.toml"))
        .stderr(contains("acme.internal-token"))
        .stderr(contains("example 1 does not match"));
}

#[test]
fn check_reports_toml_syntax_errors_with_the_file() {
    let dir = tree(&[("bad.toml", b"[[rule]\nid = ")]);
    keytrail()
        .args(["rules", "check"])
        .arg(dir.path().join("bad.toml"))
        .assert()
        .code(2)
        .stderr(contains("bad.toml"))
        .stderr(contains("invalid rule file"));
}

#[test]
fn user_rules_are_used_by_scan() {
    let dir = tree(&[
        ("rules/acme.toml", USER_RULE.as_bytes()),
        (
            "src/app.env",
            b"ACME=acme_tok_9a8b7c6d5e4f30211203f4e5d6c7b8a9\n",
        ),
    ]);
    let (code, report) = crate::common::scan_json(
        &dir.path().join("src"),
        &["--rules", dir.path().join("rules").to_str().unwrap()],
    );
    assert_eq!(code, 1);
    assert_eq!(
        crate::common::rule_ids(&report),
        vec!["acme.internal-token"]
    );
}

const GITLEAKS: &str = r#"
[extend]
useDefault = true

[[rules]]
id = "acme-api-key"
description = "ACME API key"
regex = '''acme_key\s*=\s*"([a-z0-9]{20})"'''
keywords = ["acme_key"]
[rules.allowlist]
regexes = ['''^0000''']
paths = ['''fixtures/''']

[[rules]]
id = "internal-token"
regex = '''itk-[0-9a-f]{12}'''

[[rules]]
id = "env-db-url"
regex = '''DB_URL=(\S+)'''
path = '''\.env$'''

[[rules]]
id = "keystore-file"
path = '''\.p12$'''
"#;

#[test]
fn gitleaks_custom_rules_are_imported_with_warnings() {
    let dir = tree(&[
        (".gitleaks.toml", GITLEAKS.as_bytes()),
        ("src/app.py", b"acme_key = \"k3y9x8w7v6u5t4s3r2q1\"\nallowed = 'acme_key = \"0000x8w7v6u5t4s3r2q1\"'\ntoken = itk-0123456789ab\n"),
        // The rule's path allowlist skips fixtures; `path` limits env-db-url to .env files.
        ("src/fixtures/app.py", b"acme_key = \"k3y9x8w7v6u5t4s3r2q1\"\n"),
        ("src/prod.env", b"DB_URL=pg://svc@db/app\n"),
        ("src/notes.txt", b"DB_URL=pg://svc@db/app\n"),
    ]);
    let out = keytrail()
        .args(["scan", "--format", "json", "--no-builtin-rules", "--rules"])
        .arg(dir.path().join(".gitleaks.toml"))
        .arg(dir.path().join("src"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("`extend` is not supported"), "{stderr}");
    assert!(stderr.contains("path-only rules"), "{stderr}");
    assert!(!stderr.contains("`paths` is not supported"), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut found: Vec<(String, u64)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                format!(
                    "{} {}",
                    f["rule_id"].as_str().unwrap(),
                    Path::new(f["path"].as_str().unwrap())
                        .file_name()
                        .unwrap()
                        .to_string_lossy()
                ),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        vec![
            ("gitleaks.acme-api-key app.py".to_string(), 1),
            ("gitleaks.env-db-url prod.env".to_string(), 1),
            ("gitleaks.internal-token app.py".to_string(), 3)
        ]
    );
}
