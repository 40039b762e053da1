//! `keytrail scan --git`: full history, ranges, staged and working-tree scans, incremental
//! re-scans, and damaged or unusual repositories, on the fixture built by
//! `testdata/repos/make-history.sh`.

use std::path::Path;
use std::process::Command as Process;

use predicates::str::contains;
use serde_json::Value;

use crate::common::{git, github_token, keytrail, testdata};

/// Builds the history fixture in a new temporary directory; returns (tempdir, repo path).
fn fixture() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    let status = Process::new("bash")
        .arg(testdata("repos/make-history.sh"))
        .arg(&repo)
        .status()
        .expect("bash runs");
    assert!(status.success(), "fixture script failed");
    (dir, repo)
}

fn scan(args: &[&str], repos: &[&Path]) -> (i32, Value, String) {
    let out = keytrail()
        .args(["scan", "--format", "json"])
        .args(args)
        .args(repos)
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout).expect("JSON report");
    (
        out.status.code().unwrap_or(-1),
        report,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// (rule id, path, author name, still at HEAD, commit id) of each finding, sorted.
fn rows(report: &Value) -> Vec<(String, String, String, Option<bool>, String)> {
    let mut rows: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap().to_string(),
                f["commit"]["author_name"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
                f["still_at_head"].as_bool(),
                f["commit"]["id"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    rows.sort();
    rows
}

#[test]
fn full_history_attributes_each_secret_to_its_introducing_commit() {
    let (_tmp, repo) = fixture();
    let (code, report, _) = scan(&["--git"], &[&repo]);
    assert_eq!(code, 1);
    let c = |tag: &str| git(&repo, &["rev-parse", &format!("{tag}^{{commit}}")]);
    let expected = vec![
        (
            "aws.access-key-id",
            "old/creds.py",
            "bob",
            Some(false),
            c("c2"),
        ),
        (
            "aws.secret-access-key",
            "old/creds.py",
            "bob",
            Some(false),
            c("c2"),
        ),
        (
            "github.pat.classic",
            "config/app.env",
            "alice",
            Some(false),
            c("c1"),
        ), // renamed, then rotated
        (
            "github.pat.classic",
            "config/prod.env",
            "alice",
            Some(true),
            c("c8"),
        ), // the rotated value
        (
            "github.pat.classic",
            "config/prod.env",
            "heidi",
            Some(true),
            c("c12"),
        ), // same T2, new blob
        (
            "github.pat.classic",
            "pr/new.env",
            "heidi",
            Some(false),
            c("c12"),
        ), // unmerged branch
        (
            "npm.access-token",
            "docs/a.txt",
            "grace",
            Some(true),
            c("c11"),
        ), // one blob, two paths
        (
            "pem.ec-private-key",
            "tmp/key.pem",
            "frank",
            Some(false),
            c("c9"),
        ), // added then deleted
        (
            "slack.webhook",
            "feature/slack.js",
            "dave",
            Some(true),
            c("c5"),
        ), // merged branch
        (
            "stripe.secret-key.live",
            "exp/stripe.env",
            "eve",
            Some(false),
            c("c6"),
        ), // unmerged branch
    ];
    let expected: Vec<_> = expected
        .into_iter()
        .map(|(r, p, a, h, id)| (r.to_string(), p.to_string(), a.to_string(), h, id))
        .collect();
    assert_eq!(rows(&report), expected);
    let summary = &report["summary"];
    assert_eq!(summary["commits_scanned"], 12);
    // Nine distinct blob contents: docs/a.txt and docs/b.txt are one blob, scanned once.
    assert_eq!(summary["files_scanned"], 9);
    let f = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "old/creds.py")
        .unwrap();
    assert_eq!(f["repository"], repo.display().to_string());
    assert_eq!(f["commit"]["author_email"], "bob@acme.example");
    assert_eq!(f["commit"]["author_time"], "2024-01-02T10:00:00Z");
}

#[test]
fn range_reports_only_the_lines_a_pull_request_adds() {
    let (_tmp, repo) = fixture();
    // pr edits config/prod.env, which already holds T2, and adds pr/new.env with T3.
    let (code, report, _) = scan(&["--range", "main..pr"], &[&repo]);
    assert_eq!(code, 1);
    let r = rows(&report);
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!((r[0].1.as_str(), r[0].2.as_str()), ("pr/new.env", "heidi"));
    assert_eq!(report["summary"]["commits_scanned"], 1);
}

#[test]
fn range_through_a_merge_reports_branch_commits_once() {
    let (_tmp, repo) = fixture();
    let (_, report, _) = scan(&["--range", "c4..c7"], &[&repo]);
    let r = rows(&report);
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!(r[0].0, "slack.webhook");
    assert_eq!(report["summary"]["commits_scanned"], 2);
}

#[test]
fn empty_range_and_since_head_find_nothing() {
    let (_tmp, repo) = fixture();
    let (code, report, _) = scan(&["--range", "main..main"], &[&repo]);
    assert_eq!(code, 0);
    assert_eq!(report["summary"]["commits_scanned"], 0);
    let (code, _, _) = scan(&["--since", "HEAD"], &[&repo]);
    assert_eq!(code, 0);
}

#[test]
fn range_whose_base_is_not_an_ancestor_scans_what_head_adds() {
    let (_tmp, repo) = fixture();
    // experiment is not an ancestor of main (as after a force push).
    let (_, report, _) = scan(&["--range", "experiment..main"], &[&repo]);
    let rules: Vec<String> = rows(&report).into_iter().map(|r| r.0).collect();
    assert!(rules.contains(&"slack.webhook".to_string()), "{rules:?}");
    assert!(
        !rules.contains(&"stripe.secret-key.live".to_string()),
        "{rules:?}"
    );
}

#[test]
fn unknown_range_base_is_a_clear_error() {
    let (_tmp, repo) = fixture();
    keytrail()
        .args(["scan", "--range", "no-such-rev..main"])
        .arg(&repo)
        .assert()
        .code(2)
        .stderr(contains("no-such-rev"));
}

#[test]
fn staged_scan_sees_only_the_index_and_worktree_scan_sees_more() {
    let (_tmp, repo) = fixture();
    let staged_token = github_token("Stg4Wm9Zt2Xc7Lv1Bn8Rk3Hy6Jd5Gs");
    let unstaged_token = github_token("Uns4Wm9Zt2Xc7Lv1Bn8Rk3Hy6Jd5Gs");
    std::fs::write(repo.join("staged.env"), format!("T={staged_token}\n")).unwrap();
    git(&repo, &["add", "staged.env"]);
    std::fs::write(repo.join("loose.env"), format!("T={unstaged_token}\n")).unwrap();
    let (code, report, _) = scan(&["--staged"], &[&repo]);
    assert_eq!(code, 1);
    let paths: Vec<String> = rows(&report).into_iter().map(|r| r.1).collect();
    assert_eq!(paths, vec!["staged.env"]);
    let (_, report, _) = scan(&["--worktree"], &[&repo]);
    let paths: Vec<String> = rows(&report).into_iter().map(|r| r.1).collect();
    assert_eq!(paths, vec!["loose.env", "staged.env"]);
}

#[test]
fn incremental_rescan_reads_only_new_commits() {
    let (tmp, repo) = fixture();
    let state = tmp.path().join("state");
    let state_arg = state.to_str().unwrap();
    let (_, first, _) = scan(
        &["--git", "--incremental", "--state-dir", state_arg],
        &[&repo],
    );
    assert_eq!(first["findings"].as_array().unwrap().len(), 10);
    let (code, second, stderr) = scan(
        &["--git", "--incremental", "--state-dir", state_arg],
        &[&repo],
    );
    assert_eq!(code, 0);
    assert_eq!(second["summary"]["files_scanned"], 0);
    assert!(stderr.contains("no new commits"), "{stderr}");
    let token = github_token("Inc4Wm9Zt2Xc7Lv1Bn8Rk3Hy6Jd5Gs");
    std::fs::write(repo.join("later.env"), format!("T={token}\n")).unwrap();
    git(&repo, &["add", "later.env"]);
    git(
        &repo,
        &[
            "-c",
            "user.name=ivan",
            "-c",
            "user.email=ivan@acme.example",
            "commit",
            "-qm",
            "later",
        ],
    );
    let (_, third, _) = scan(
        &["--git", "--incremental", "--state-dir", state_arg],
        &[&repo],
    );
    let r = rows(&third);
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!((r[0].1.as_str(), r[0].2.as_str()), ("later.env", "ivan"));
    assert_eq!(third["summary"]["files_scanned"], 1);
}

#[test]
fn several_repositories_in_one_command_name_their_repository() {
    let (_a, repo_a) = fixture();
    let (_b, repo_b) = fixture();
    let (_, report, _) = scan(&["--git", "--ref", "c2"], &[&repo_a, &repo_b]);
    let repos: std::collections::BTreeSet<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["repository"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(repos.len(), 2);
    assert_eq!(report["summary"]["repositories"], 2);
    assert_eq!(report["findings"].as_array().unwrap().len(), 6);
}

#[test]
fn bare_clone_gives_the_same_findings() {
    let (tmp, repo) = fixture();
    let bare = tmp.path().join("bare.git");
    let out = Process::new("git")
        .args(["clone", "-q", "--bare", "--mirror"])
        .arg(&repo)
        .arg(&bare)
        .status()
        .unwrap();
    assert!(out.success());
    let (_, a, _) = scan(&["--git"], &[&repo]);
    let (_, b, _) = scan(&["--git"], &[&bare]);
    let strip = |r: &Value| {
        rows(r)
            .into_iter()
            .map(|x| (x.0, x.1, x.2, x.4))
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(&a), strip(&b));
}

#[test]
fn shallow_clone_warns_that_history_is_truncated() {
    let (tmp, repo) = fixture();
    let shallow = tmp.path().join("shallow");
    let url = format!("file://{}", repo.display());
    let ok = Process::new("git")
        .args(["clone", "-q", "--depth", "1", &url])
        .arg(&shallow)
        .status()
        .unwrap();
    assert!(ok.success());
    let (code, report, stderr) = scan(&["--git"], &[&shallow]);
    assert!(stderr.contains("shallow"), "{stderr}");
    assert_eq!(code, 1);
    assert_eq!(report["summary"]["commits_scanned"], 1);
}

#[test]
fn missing_object_is_reported_and_the_rest_is_scanned() {
    let (_tmp, repo) = fixture();
    let blob = git(&repo, &["rev-parse", "c6:exp/stripe.env"]);
    let loose = repo.join(".git/objects").join(&blob[..2]).join(&blob[2..]);
    std::fs::remove_file(&loose).expect("fixture objects are loose");
    let (code, report, stderr) = scan(&["--git"], &[&repo]);
    assert_eq!(code, 2, "a missing object makes the exit code 2");
    assert!(stderr.contains(&blob), "{stderr}");
    assert_eq!(report["summary"]["errors"], 1);
    assert_eq!(report["findings"].as_array().unwrap().len(), 9);
}

#[test]
fn submodules_are_named_not_followed() {
    let (_tmp, repo) = fixture();
    let target = git(&repo, &["rev-parse", "c1"]);
    git(
        &repo,
        &[
            "update-index",
            "--add",
            "--cacheinfo",
            &format!("160000,{target},vendor/lib"),
        ],
    );
    git(
        &repo,
        &[
            "-c",
            "user.name=x",
            "-c",
            "user.email=x@x",
            "commit",
            "-qm",
            "submodule",
        ],
    );
    let (_, _, stderr) = scan(&["--git"], &[&repo]);
    assert!(
        stderr.contains("submodules not followed: vendor/lib"),
        "{stderr}"
    );
}

#[test]
fn not_a_repository_is_an_error_and_other_repositories_still_scan() {
    let (tmp, repo) = fixture();
    let plain = tmp.path().join("plain");
    std::fs::create_dir(&plain).unwrap();
    let (code, report, stderr) = scan(&["--git"], &[&plain, &repo]);
    assert_eq!(code, 2);
    assert!(stderr.contains("not a git repository"), "{stderr}");
    assert_eq!(report["findings"].as_array().unwrap().len(), 10);
}
