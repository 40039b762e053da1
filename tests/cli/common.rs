//! Helpers shared by the end-to-end tests.

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use assert_cmd::Command;
use keytrail::scan::checks::make_crc32_token;

/// The `keytrail` binary, with logging env cleared.
pub fn keytrail() -> Command {
    let mut cmd = Command::cargo_bin("keytrail").expect("binary built");
    cmd.env_remove("KEYTRAIL_LOG");
    cmd
}

/// Path of a file under `testdata/`.
pub fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(rel)
}

/// A GitHub classic token with a valid checksum, from 30 random characters.
pub fn github_token(random: &str) -> String {
    assert_eq!(random.len(), 30);
    make_crc32_token("ghp_", random)
}

/// The same token with its last character changed, so the checksum is wrong.
pub fn with_wrong_checksum(token: &str) -> String {
    let mut t = token.to_string();
    let last = t.pop().expect("non-empty");
    t.push(if last == 'A' { 'B' } else { 'A' });
    t
}

/// Writes `files` (relative path, contents) into a new temporary directory.
pub fn tree(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (rel, body) in files {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, body).expect("write");
    }
    dir
}

/// Runs a JSON scan of `dir` and returns (exit code, parsed report).
pub fn scan_json(dir: &Path, extra: &[&str]) -> (i32, serde_json::Value) {
    let out = keytrail()
        .arg("scan")
        .args(["--format", "json", "-q"])
        .args(extra)
        .arg(dir)
        .output()
        .expect("run");
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("bad JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code().unwrap_or(-1), report)
}

/// The rule ids of a JSON report's findings.
pub fn rule_ids(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// Runs git in `repo`, asserting success; returns trimmed standard output.
pub fn git(repo: &Path, args: &[&str]) -> String {
    let out = Process::new("git")
        .arg("-C")
        .arg(repo)
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Makes a git repository at `dir` whose one commit, by `author` (an email), adds `files`.
pub fn commit_repo(dir: &Path, author: &str, files: &[(&str, &str)]) {
    std::fs::create_dir_all(dir).expect("mkdir");
    git(dir, &["init", "-q", "-b", "main"]);
    commit_files(dir, author, "2026-01-05T10:00:00Z", files);
}

/// Writes `files` into the repository at `dir` and commits them as `author` at `date`.
pub fn commit_files(dir: &Path, author: &str, date: &str, files: &[(&str, &str)]) {
    for (rel, body) in files {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, body).expect("write");
    }
    git(dir, &["add", "-A"]);
    let name = author.split('@').next().unwrap_or(author);
    let out = Process::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "commit.gpgsign=false", "commit", "-q", "-m", "change"])
        .env("GIT_AUTHOR_NAME", name)
        .env("GIT_AUTHOR_EMAIL", author)
        .env("GIT_COMMITTER_NAME", name)
        .env("GIT_COMMITTER_EMAIL", author)
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .output()
        .expect("git commit");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A valid GitHub classic token derived from `seed` (distinct seeds give distinct tokens).
pub fn seeded_token(seed: &str) -> String {
    use sha2::{Digest, Sha256};
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let digest = Sha256::digest(seed.as_bytes());
    let random: String = digest
        .iter()
        .chain(digest.iter().rev())
        .take(30)
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect();
    github_token(&random)
}
