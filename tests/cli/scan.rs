//! `keytrail scan` on fixture trees: findings, redaction, formats, exit codes.

use predicates::prelude::*;
use predicates::str::contains;

use crate::common::{
    github_token, keytrail, rule_ids, scan_json, testdata, tree, with_wrong_checksum,
};

const RANDOM: &str = "Zx8Qm2Lp7Rt4Vn9Kc3Hs6Wd1Fg5Jb0";

#[test]
fn demo_scan_finds_the_planted_credentials_and_exits_1() {
    let (code, report) = scan_json(&testdata("demo"), &[]);
    assert_eq!(code, 1);
    let mut ids = rule_ids(&report);
    ids.sort();
    assert_eq!(
        ids,
        vec![
            "aws.access-key-id",
            "aws.secret-access-key",
            "github.pat.classic",
            "pem.rsa-private-key",
            "slack.webhook",
            "stripe.secret-key.live",
            "uri.postgres",
        ]
    );
    let summary = &report["summary"];
    assert_eq!(summary["skipped_binary"], 1);
    assert_eq!(summary["errors"], 0);
    assert_eq!(report["version"], 1);
}

#[test]
fn secrets_are_redacted_unless_asked() {
    let token = github_token(RANDOM);
    let dir = tree(&[("config.env", format!("TOKEN={token}\n").as_bytes())]);
    for format in ["human", "json", "jsonl", "sarif"] {
        keytrail()
            .args(["scan", "--format", format])
            .arg(dir.path())
            .assert()
            .code(1)
            .stdout(contains("ghp_…(40)"))
            .stdout(contains(&token[4..]).not())
            .stderr(contains(&token[4..]).not());
    }
    keytrail()
        .args(["scan", "--show-secrets"])
        .arg(dir.path())
        .assert()
        .code(1)
        .stdout(contains(token.as_str()));
}

#[test]
fn github_token_with_wrong_checksum_is_not_reported() {
    let good = github_token(RANDOM);
    let bad = with_wrong_checksum(&good);
    let dir = tree(&[("a.env", format!("A={good}\nB={bad}\n").as_bytes())]);
    let (code, report) = scan_json(dir.path(), &["--min-confidence", "low"]);
    assert_eq!(code, 1);
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0]["line"], 1);
    assert_eq!(findings[0]["column"], 3);
    assert_eq!(findings[0]["end_column"], 43);
}

#[test]
fn finding_fields_are_complete() {
    let token = github_token(RANDOM);
    let dir = tree(&[(
        "src/app.py",
        format!("x = 1\nclient = Github(\"{token}\")\n").as_bytes(),
    )]);
    let (_, report) = scan_json(dir.path(), &[]);
    let f = &report["findings"][0];
    assert_eq!(f["type"], "finding");
    assert_eq!(f["rule_id"], "github.pat.classic");
    assert_eq!(f["rule_name"], "GitHub personal access token (classic)");
    assert_eq!(f["confidence"], "high");
    assert!(f["path"].as_str().unwrap().ends_with("app.py"));
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(2), Some(18))
    );
    assert_eq!(f["end_line"], 2);
    assert_eq!(f["context"], "client = Github(\"ghp_…(40)\")");
    assert_eq!(f["fingerprint"].as_str().unwrap().len(), 64);
}

#[test]
fn clean_tree_exits_0() {
    let dir = tree(&[(
        "README.md",
        b"# nothing secret here\nGITHUB_TOKEN=${{ secrets.GITHUB_TOKEN }}\n",
    )]);
    keytrail()
        .arg("scan")
        .arg(dir.path())
        .assert()
        .code(0)
        .stdout(contains("No secrets found."));
}

#[test]
fn inline_allow_comments_suppress_their_line_only() {
    let token = github_token(RANDOM);
    let body = format!(
        "a = \"{token}\" # keytrail:allow\nb = \"{token}\" // gitleaks:allow\nc = \"{token}\"\n"
    );
    let dir = tree(&[("t.py", body.as_bytes())]);
    let (_, report) = scan_json(dir.path(), &[]);
    let lines: Vec<u64> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, vec![3]);
}

#[test]
fn gitignored_files_are_scanned_unless_asked_and_exclude_works() {
    let token = github_token(RANDOM);
    let line = format!("T={token}\n");
    let dir = tree(&[
        (".gitignore", b".env\n"),
        (".env", line.as_bytes()),
        ("vendor/lib.env", line.as_bytes()),
        (".git/config", line.as_bytes()),
    ]);
    let paths = |report: &serde_json::Value| -> Vec<String> {
        let mut p: Vec<String> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                f["path"]
                    .as_str()
                    .unwrap()
                    .rsplit(['/', '\\'])
                    .next()
                    .unwrap()
                    .to_string()
            })
            .collect();
        p.sort();
        p
    };
    let (_, all) = scan_json(dir.path(), &[]);
    assert_eq!(paths(&all), vec![".env", "lib.env"]);
    let (_, ignored) = scan_json(dir.path(), &["--gitignore"]);
    assert_eq!(paths(&ignored), vec!["lib.env"]);
    let (_, excluded) = scan_json(dir.path(), &["--exclude", "vendor/**"]);
    assert_eq!(paths(&excluded), vec![".env"]);
}

#[test]
fn jsonl_has_header_findings_and_summary() {
    let token = github_token(RANDOM);
    let dir = tree(&[("a.env", format!("A={token}\n").as_bytes())]);
    let out = keytrail()
        .args(["scan", "--format", "jsonl"])
        .arg(dir.path())
        .output()
        .unwrap();
    let types: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(types, vec!["header", "finding", "summary"]);
}

#[test]
fn output_file_receives_the_report() {
    let token = github_token(RANDOM);
    let dir = tree(&[("a.env", format!("A={token}\n").as_bytes())]);
    let out = dir.path().join("report.json");
    keytrail()
        .args([
            "scan",
            "-q",
            "--format",
            "json",
            "--exclude",
            "report.json",
            "--output",
        ])
        .arg(&out)
        .arg(dir.path())
        .assert()
        .code(1)
        .stdout(predicate::str::is_empty());
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(report["findings"].as_array().unwrap().len(), 1);
}

#[test]
fn sarif_output_validates_against_the_sarif_2_1_0_schema() {
    let (_, _) = scan_json(&testdata("demo"), &[]);
    let out = keytrail()
        .args(["scan", "--format", "sarif"])
        .arg(testdata("demo"))
        .output()
        .unwrap();
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let schema: serde_json::Value = serde_json::from_slice(
        &std::fs::read(testdata("schemas/sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 7);
    for r in results {
        assert_eq!(
            r["partialFingerprints"]["keytrailSecret/v1"]
                .as_str()
                .unwrap()
                .len(),
            64
        );
        let rule = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(
            sarif["runs"][0]["tool"]["driver"]["rules"][rule]["id"],
            r["ruleId"]
        );
    }
}

#[test]
fn fingerprints_survive_line_moves() {
    let token = github_token(RANDOM);
    let a = tree(&[("x.env", format!("T={token}\n").as_bytes())]);
    let b = tree(&[(
        "y.env",
        format!("\n\n# moved\n  other = 1; T={token}\n").as_bytes(),
    )]);
    let (_, ra) = scan_json(a.path(), &[]);
    let (_, rb) = scan_json(b.path(), &[]);
    assert_eq!(
        ra["findings"][0]["fingerprint"],
        rb["findings"][0]["fingerprint"]
    );
    assert_ne!(ra["findings"][0]["line"], rb["findings"][0]["line"]);
}

#[test]
fn base64_values_in_kubernetes_secrets_are_decoded_and_keep_the_raw_fingerprint() {
    use base64::Engine as _;
    let token = github_token(RANDOM);
    let encoded = base64::engine::general_purpose::STANDARD.encode(&token);
    let manifest = format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: ci\ntype: Opaque\ndata:\n  user: Y2ktYm90\n  token: {encoded}\n  password: UXY5LXJUMm0heEw3LXBaNHc=\n"
    );
    let dir = tree(&[
        ("k8s/secret.yaml", manifest.as_bytes()),
        ("raw.env", format!("T={token}\n").as_bytes()),
    ]);
    let (code, report) = scan_json(dir.path(), &[]);
    assert_eq!(code, 1);
    let findings = report["findings"].as_array().unwrap();
    let by_path = |p: &str| -> Vec<&serde_json::Value> {
        findings
            .iter()
            .filter(|f| f["path"].as_str().unwrap().ends_with(p))
            .collect()
    };
    let k8s = by_path("secret.yaml");
    let raw = by_path("raw.env");
    assert_eq!(k8s.len(), 2, "{k8s:#?}");
    let decoded = k8s
        .iter()
        .find(|f| f["rule_id"] == "github.pat.classic")
        .expect("decoded token");
    assert_eq!(decoded["line"], 8);
    assert_eq!(decoded["fingerprint"], raw[0]["fingerprint"]);
    assert_eq!(decoded["context"], "  token: base64(ghp_…(40))");
    assert!(
        k8s.iter()
            .any(|f| f["rule_id"] == "kubernetes.secret.data-entry" && f["line"] == 9)
    );
}
