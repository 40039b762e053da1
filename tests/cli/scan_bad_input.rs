//! Bad input: every case gets a clear message, the rest of the scan goes on, nothing crashes.

use predicates::prelude::*;
use predicates::str::contains;

use crate::common::{github_token, keytrail, scan_json, tree};

const RANDOM: &str = "Pq4Wm9Zt2Xc7Lv1Bn8Rk3Hy6Jd5Gs0";

fn planted() -> String {
    format!("TOKEN={}\n", github_token(RANDOM))
}

#[test]
fn binary_file_is_skipped_and_counted() {
    let mut bin = b"\x7fELF\x02\x01\x01\0\0\0".to_vec();
    bin.extend_from_slice(planted().as_bytes());
    let dir = tree(&[("app.bin", &bin), ("ok.env", planted().as_bytes())]);
    let (code, report) = scan_json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(report["summary"]["skipped_binary"], 1);
    assert_eq!(report["findings"].as_array().unwrap().len(), 1);
}

#[test]
fn huge_sparse_file_is_skipped_by_size_without_reading() {
    let dir = tree(&[("ok.env", planted().as_bytes())]);
    let big = std::fs::File::create(dir.path().join("huge.img")).unwrap();
    big.set_len(1 << 30).unwrap();
    let start = std::time::Instant::now();
    let (code, report) = scan_json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(report["summary"]["skipped_too_large"], 1);
    assert!(
        start.elapsed().as_secs() < 20,
        "a 1 GiB sparse file must not be read"
    );
    keytrail()
        .arg("scan")
        .arg(dir.path())
        .assert()
        .stdout(contains("1 over the size limit"));
}

#[test]
fn max_file_size_is_configurable() {
    let dir = tree(&[("ok.env", planted().as_bytes())]);
    let (code, report) = scan_json(dir.path(), &["--max-file-size", "10"]);
    assert_eq!(code, 0);
    assert_eq!(report["summary"]["skipped_too_large"], 1);
}

#[test]
fn invalid_utf8_is_scanned() {
    let mut body = b"\xff\xfe garbage \xc3\x28 ".to_vec();
    body.extend_from_slice(planted().as_bytes());
    body.extend_from_slice(b"\xe2\x82 more\n");
    let dir = tree(&[("latin1.txt", &body)]);
    let (code, report) = scan_json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(report["findings"][0]["rule_id"], "github.pat.classic");
}

#[cfg(unix)]
#[test]
fn symlink_loop_is_a_warning_not_a_crash() {
    let dir = tree(&[("sub/ok.env", planted().as_bytes())]);
    std::os::unix::fs::symlink(dir.path(), dir.path().join("sub/loop")).unwrap();
    // Not following links: the loop is never entered.
    let (code, report) = scan_json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(report["findings"].as_array().unwrap().len(), 1);
    // Following links: the loop is named and skipped.
    keytrail()
        .args(["scan", "--follow"])
        .arg(dir.path())
        .assert()
        .code(1)
        .stderr(contains("warning"))
        .stderr(contains("loop"));
}

#[cfg(unix)]
#[test]
fn unreadable_file_is_reported_and_scan_continues_with_exit_2() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tree(&[
        ("ok.env", planted().as_bytes()),
        ("locked.env", planted().as_bytes()),
    ]);
    let locked = dir.path().join("locked.env");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    // A dangling link that --follow must resolve is unreadable for everyone, root included.
    std::os::unix::fs::symlink(dir.path().join("gone"), dir.path().join("dangling.env")).unwrap();
    let out = keytrail()
        .args(["scan", "--follow", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "errors win over findings");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("dangling.env"), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let locked_readable = std::fs::read(&locked).is_ok(); // root reads anything
    let expected_errors = if locked_readable { 1 } else { 2 };
    assert_eq!(report["summary"]["errors"], expected_errors);
    assert!(!report["findings"].as_array().unwrap().is_empty());
}

#[test]
fn missing_path_is_an_error() {
    keytrail()
        .args(["scan", "/definitely/not/here"])
        .assert()
        .code(2)
        .stderr(contains("/definitely/not/here"));
}

#[test]
fn broken_rules_file_is_a_clear_error_before_scanning() {
    let dir = tree(&[
        ("rules.toml", b"[[rule]]\nid = \"x.y\"\nname = \"X\"\nkeywords = [\"xy_\"]\npattern = '''(?P<secret>xy_[a-z'''\nconfidence = \"high\"\n"),
        ("ok.env", planted().as_bytes()),
    ]);
    keytrail()
        .args(["scan", "--rules"])
        .arg(dir.path().join("rules.toml"))
        .arg(dir.path().join("ok.env"))
        .assert()
        .code(2)
        .stderr(contains("rules.toml"))
        .stderr(contains("x.y"))
        .stderr(contains("bad pattern"));
}

#[test]
fn control_characters_in_paths_are_escaped() {
    let name = "evil\x1b[31mname.env";
    let dir = tree(&[(name, planted().as_bytes())]);
    keytrail()
        .arg("scan")
        .arg(dir.path())
        .assert()
        .code(1)
        .stdout(contains("\\u{1b}[31m"))
        .stdout(contains("\x1b").not());
}
