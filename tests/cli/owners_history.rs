//! Ownership of history findings: with no CODEOWNERS they fall back to the author of the
//! introducing commit; rules are read from HEAD's tree, not from the working tree. Fixture:
//! `testdata/owners/make-authors.sh`.

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use serde_json::Value;

use crate::common::{keytrail, testdata};
use crate::owners::token;

/// Builds the fixture; returns (tempdir, repo path).
fn fixture() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    let status = Process::new("bash")
        .arg(testdata("owners/make-authors.sh"))
        .arg(&repo)
        .env("TOKEN_A", token(11))
        .env("TOKEN_B", token(12))
        .env("TOKEN_C", token(13))
        .status()
        .expect("bash runs");
    assert!(status.success(), "fixture script failed");
    (dir, repo)
}

fn git(repo: &Path, args: &[&str]) {
    let date = "2024-03-01T10:00:00Z";
    let ok = Process::new("git")
        .arg("-C")
        .arg(repo)
        .args(args)
        .env("GIT_AUTHOR_NAME", "dave")
        .env("GIT_AUTHOR_EMAIL", "dave@acme.example")
        .env("GIT_COMMITTER_NAME", "dave")
        .env("GIT_COMMITTER_EMAIL", "dave@acme.example")
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .status()
        .unwrap()
        .success();
    assert!(ok, "git {args:?}");
}

fn scan(repo: &Path) -> Value {
    let out = keytrail()
        .args(["scan", "--git", "--format", "json", "-q"])
        .arg(repo)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// (path, owners, source kind, rules at head) per finding, sorted.
fn rows(report: &Value) -> Vec<(String, String, String, bool)> {
    let mut rows: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let o = &f["owners"];
            let owners: Vec<&str> = o["owners"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            (
                f["path"].as_str().unwrap().to_string(),
                owners.join(" "),
                o["source"]["kind"].as_str().unwrap().to_string(),
                o["rules_at_head"].as_bool().unwrap(),
            )
        })
        .collect();
    rows.sort();
    rows
}

fn row(path: &str, owners: &str, kind: &str) -> (String, String, String, bool) {
    (path.into(), owners.into(), kind.into(), true)
}

#[test]
fn without_codeowners_history_findings_fall_back_to_the_commit_author() {
    let (_tmp, repo) = fixture();
    let report = scan(&repo);
    assert_eq!(
        rows(&report),
        vec![
            row("app/config.env", "alice@acme.example", "commit-author"),
            row("docs/notes.txt", "carol@acme.example", "commit-author"),
            row("lib/keys.py", "bob@acme.example", "commit-author"),
        ]
    );
    let f = &report["findings"].as_array().unwrap()[0];
    let reason = f["owners"]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with(
            "no owners map entry or CODEOWNERS line owns the path; the author of commit "
        ),
        "{reason}"
    );
    assert!(reason.ends_with("(ownership rules as of HEAD)"), "{reason}");
    assert_eq!(f["owners"]["source"]["commit"], f["commit"]["id"]);
}

#[test]
fn history_findings_use_the_rules_of_head_not_of_the_working_tree() {
    let (_tmp, repo) = fixture();
    std::fs::create_dir_all(repo.join(".github")).unwrap();
    std::fs::write(repo.join(".github/CODEOWNERS"), "/app/ @acme/app\n/docs/\n").unwrap();
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "owners"]);
    // Not committed: must not count for a history scan.
    std::fs::write(repo.join(".github/CODEOWNERS"), "* @acme/wrong\n").unwrap();
    let report = scan(&repo);
    assert_eq!(
        rows(&report),
        vec![
            row("app/config.env", "@acme/app", "codeowners"),
            row("docs/notes.txt", "carol@acme.example", "commit-author"),
            row("lib/keys.py", "bob@acme.example", "commit-author"),
        ]
    );
    let docs = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "docs/notes.txt")
        .unwrap();
    let reason = docs["owners"]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with(
            ".github/CODEOWNERS:2 leaves the path deliberately unowned; the author of commit"
        ),
        "{reason}"
    );
}
