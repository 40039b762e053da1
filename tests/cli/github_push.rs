//! The action's scan step on pushes (a repository's first push, a new branch, a force push
//! whose old tip is gone), on shallow checkouts (deepened, or a clear message when fetching
//! fails), and on the nightly full-history schedule with a ledger.

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use crate::common::{commit_files, commit_repo, git, keytrail, seeded_token};
use crate::github::{DATE, LATER, config_with, pr_step, table_rows};
use crate::github_harness::{Step, run_step};

const NULL: &str = "0000000000000000000000000000000000000000";

fn push_step<'a>(
    repo: &'a Path,
    fill: &'a [(&'a str, &'a str)],
    secrets: &'a [&'a str],
) -> Step<'a> {
    Step {
        workspace: repo,
        event: "push",
        payload: ("push.json", fill),
        inputs: &[],
        env: &[],
        api: None,
        secrets,
    }
}

#[test]
fn the_first_push_of_a_repository_scans_its_history() {
    let secret = seeded_token("first-push");
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("shop");
    commit_repo(
        &repo,
        "alice@acme.example",
        &[("deploy.env", &config_with(&secret))],
    );
    commit_files(
        &repo,
        "alice@acme.example",
        LATER,
        &[("README.md", "# shop\n")],
    );
    let head = git(&repo, &["rev-parse", "HEAD"]);
    let fill = [
        ("BRANCH", "main"),
        ("BEFORE", NULL),
        ("AFTER", &head),
        ("FORCED", "false"),
    ];
    let run = run_step(&push_step(&repo, &fill, &[&secret]));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.annotations()[0].starts_with("::error file=deploy.env,line=3,"));
    assert!(
        run.summary
            .contains(&format!("the history of `{}`", &head[..7])),
        "{}",
        run.summary
    );
    assert_eq!(table_rows(&run.summary)[0][7], "at HEAD");
}

/// An origin whose main holds an old secret, and a clone with a new branch `topic` adding a
/// new one; returns (tempdir, clone, old secret, new secret, topic's head).
fn branch_clone() -> (tempfile::TempDir, PathBuf, String, String, String) {
    let (old, new) = (seeded_token("main-old"), seeded_token("topic-new"));
    let tmp = tempfile::tempdir().unwrap();
    let origin = tmp.path().join("origin");
    commit_repo(
        &origin,
        "carol@acme.example",
        &[("legacy.env", &config_with(&old))],
    );
    let work = tmp.path().join("work");
    let status = Process::new("git")
        .args(["clone", "-q"])
        .arg(&origin)
        .arg(&work)
        .status()
        .unwrap();
    assert!(status.success());
    git(&work, &["checkout", "-q", "-b", "topic"]);
    commit_files(
        &work,
        "alice@acme.example",
        DATE,
        &[("topic.env", &config_with(&new))],
    );
    let head = git(&work, &["rev-parse", "HEAD"]);
    (tmp, work, old, new, head)
}

#[test]
fn a_new_branch_is_scanned_for_what_it_adds_to_the_default_branch() {
    let (_tmp, work, old, new, head) = branch_clone();
    let fill = [
        ("BRANCH", "topic"),
        ("BEFORE", NULL),
        ("AFTER", &head),
        ("FORCED", "false"),
    ];
    let run = run_step(&push_step(&work, &fill, &[&old, &new]));
    assert_eq!(run.code, 1, "{}", run.stderr);
    let notes = run.annotations();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].starts_with("::error file=topic.env,"));
    assert!(run.stderr.contains("a new branch"), "{}", run.stderr);
}

#[test]
fn a_force_push_whose_old_tip_is_gone_is_scanned_against_the_default_branch() {
    let (_tmp, work, old, new, head) = branch_clone();
    let gone = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";
    let fill = [
        ("BRANCH", "topic"),
        ("BEFORE", gone),
        ("AFTER", &head),
        ("FORCED", "true"),
    ];
    let run = run_step(&push_step(&work, &fill, &[&old, &new]));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.annotations().len(), 1);
    assert!(run.annotations()[0].starts_with("::error file=topic.env,"));
    assert!(run.stderr.contains("force push"), "{}", run.stderr);
}

/// An origin with an old secret deep in main's history and a pull-request branch three
/// commits past it, and a clone of the branch at depth 1; returns (tempdir, clone, old, new,
/// base, head).
fn shallow_clone() -> (tempfile::TempDir, PathBuf, String, String, String, String) {
    let (old, new) = (seeded_token("deep-old"), seeded_token("shallow-new"));
    let tmp = tempfile::tempdir().unwrap();
    let origin = tmp.path().join("origin");
    commit_repo(
        &origin,
        "carol@acme.example",
        &[("old.env", &config_with(&old))],
    );
    for i in 0..3 {
        let day = format!("2026-01-1{i}T10:00:00Z");
        commit_files(
            &origin,
            "carol@acme.example",
            &day,
            &[("notes.txt", &format!("{i}\n"))],
        );
    }
    let base = git(&origin, &["rev-parse", "HEAD"]);
    git(&origin, &["checkout", "-q", "-b", "pr"]);
    commit_files(
        &origin,
        "alice@acme.example",
        DATE,
        &[("new.env", &config_with(&new))],
    );
    commit_files(&origin, "alice@acme.example", LATER, &[("more.txt", "x\n")]);
    let head = git(&origin, &["rev-parse", "HEAD"]);
    git(&origin, &["checkout", "-q", "main"]);
    let work = tmp.path().join("work");
    let url = format!("file://{}", origin.display());
    let status = Process::new("git")
        .args(["clone", "-q", "--depth=1", "--branch=pr", &url])
        .arg(&work)
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(
        git(&work, &["rev-parse", "--is-shallow-repository"]),
        "true"
    );
    (tmp, work, old, new, base, head)
}

#[test]
fn a_shallow_checkout_is_deepened_until_base_and_head_meet() {
    let (_tmp, work, old, new, base, head) = shallow_clone();
    let fill = [
        ("NUMBER", "12"),
        ("COMMITS", "2"),
        ("BASE", &base),
        ("HEAD", &head),
    ];
    let run = run_step(&pr_step(&work, &fill, &[], &[&old, &new]));
    assert_eq!(run.code, 1, "{}", run.stderr);
    let notes = run.annotations();
    assert_eq!(notes.len(), 1, "only what the pull request adds: {notes:?}");
    assert!(notes[0].starts_with("::error file=new.env,line=3,"));
}

#[test]
fn a_shallow_checkout_that_cannot_fetch_says_to_use_fetch_depth_0() {
    let (tmp, work, old, new, base, head) = shallow_clone();
    let nowhere = tmp.path().join("no-such-origin");
    git(
        &work,
        &[
            "remote",
            "set-url",
            "origin",
            &nowhere.display().to_string(),
        ],
    );
    let fill = [
        ("NUMBER", "12"),
        ("COMMITS", "2"),
        ("BASE", &base),
        ("HEAD", &head),
    ];
    let run = run_step(&pr_step(&work, &fill, &[], &[&old, &new]));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stdout.starts_with("::error title=keytrail::"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("fetch-depth: 0"), "{}", run.stdout);
    assert!(run.summary.contains("could not scan") && run.summary.contains("fetch-depth: 0"));
}

#[test]
fn a_nightly_full_history_scan_records_into_the_ledger() {
    let (old, new) = (seeded_token("nightly-old"), seeded_token("nightly-new"));
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("shop");
    commit_repo(
        &repo,
        "carol@acme.example",
        &[("old.env", &config_with(&old))],
    );
    commit_files(
        &repo,
        "carol@acme.example",
        DATE,
        &[("old.env", "# moved to the vault\n")],
    );
    commit_files(
        &repo,
        "alice@acme.example",
        LATER,
        &[("new.env", &config_with(&new))],
    );
    let ledger = tmp.path().join("ledger.db");
    let ledger_arg = ledger.display().to_string();
    let inputs = [("ledger", ledger_arg.as_str())];
    let step = Step {
        workspace: &repo,
        event: "schedule",
        payload: ("schedule.json", &[]),
        inputs: &inputs,
        env: &[],
        api: None,
        secrets: &[&old, &new],
    };
    let run = run_step(&step);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let mut status: Vec<String> = table_rows(&run.summary)
        .iter()
        .map(|r| r[7].clone())
        .collect();
    status.sort();
    assert_eq!(status, vec!["at HEAD", "history only"]);
    assert!(
        run.stderr.contains("ledger: 2 new secret(s)"),
        "{}",
        run.stderr
    );
    let listed = keytrail()
        .args(["ledger", "list", "--format", "json", "--ledger"])
        .arg(&ledger)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&listed.stdout);
    assert_eq!(text.matches("\"fingerprint\"").count(), 2, "{text}");
}
