//! Helpers shared by the end-to-end tests.

use std::path::{Path, PathBuf};

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
