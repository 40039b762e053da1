//! CI recipes other than the GitHub Action: GitLab's reports (`--format gitlab` for secret
//! detection, `--format codequality`), `--exclude` on a plain `git diff` range as any CI job
//! would run it, and the pre-commit hook (`.pre-commit-hooks.yaml` and a plain git hook).

use serde_json::Value;

use crate::common::{commit_files, commit_repo, git, keytrail, seeded_token, testdata};

fn report(format: &str, args: &[&str]) -> (i32, Value, String) {
    report_in(std::path::Path::new("."), format, args)
}

fn report_in(dir: &std::path::Path, format: &str, args: &[&str]) -> (i32, Value, String) {
    let out = keytrail()
        .current_dir(dir)
        .args(["scan", "-q", "--format", format])
        .args(args)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let v = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    (out.status.code().unwrap_or(-1), v, text)
}

#[test]
fn the_secret_detection_report_has_gitlabs_shape_and_no_secret() {
    let demo = testdata("demo");
    let (code, v, text) = report("gitlab", &[demo.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(v["version"], "15.0.7");
    let scan = &v["scan"];
    assert_eq!(scan["type"], "secret_detection");
    assert_eq!(scan["status"], "success");
    for key in ["analyzer", "scanner"] {
        for field in ["id", "name", "version"] {
            assert!(scan[key][field].is_string(), "scan.{key}.{field}");
        }
        assert_eq!(scan[key]["vendor"]["name"], "keytrail");
    }
    for t in ["start_time", "end_time"] {
        let s = scan[t].as_str().unwrap();
        assert_eq!(s.len(), 19, "{s}");
        assert_eq!(&s[10..11], "T");
    }
    let vulns = v["vulnerabilities"].as_array().unwrap();
    assert_eq!(vulns.len(), 7);
    let mut ids: Vec<&str> = vulns.iter().map(|x| x["id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 7, "ids are unique");
    for x in vulns {
        assert_eq!(x["category"], "secret_detection");
        assert!(["Critical", "High", "Medium"].contains(&x["severity"].as_str().unwrap()));
        assert!(x["location"]["file"].is_string() && x["location"]["start_line"].is_u64());
        assert!(x["location"]["commit"]["sha"].is_string());
        assert_eq!(x["identifiers"][0]["type"], "keytrail_rule_id");
        assert!(x.get("raw_source_code_extract").is_none());
    }
    let plain = keytrail()
        .args(["scan", "-q", "--format", "json", "--show-secrets"])
        .arg(&demo)
        .output()
        .unwrap();
    let plain: Value = serde_json::from_slice(&plain.stdout).unwrap();
    for f in plain["findings"].as_array().unwrap() {
        let s = f["secret"].as_str().unwrap();
        assert!(
            !text.contains(&s[s.len() / 2..]),
            "a secret is in the report"
        );
    }
}

#[test]
fn code_quality_issues_point_at_lines_and_keep_their_fingerprint_when_lines_move() {
    let token = seeded_token("codequality");
    let dir = crate::common::tree(&[("app.env", format!("T={token}\n").as_bytes())]);
    let (_, v, text) = report_in(dir.path(), "codequality", &["."]);
    assert!(!text.contains(&token[4..]));
    let issue = &v[0];
    assert_eq!(issue["type"], "issue");
    assert_eq!(issue["check_name"], "github.pat.classic");
    assert_eq!(issue["severity"], "critical");
    assert_eq!(issue["location"]["path"], "app.env");
    assert_eq!(issue["location"]["lines"]["begin"], 1);
    std::fs::write(
        dir.path().join("app.env"),
        format!("# moved\n\nT={token}\n"),
    )
    .unwrap();
    let (_, moved, _) = report_in(dir.path(), "codequality", &["."]);
    assert_eq!(moved[0]["location"]["lines"]["begin"], 3);
    assert_eq!(moved[0]["fingerprint"], issue["fingerprint"]);
}

#[test]
fn a_diff_range_honours_exclude() {
    let (fixture, real) = (seeded_token("range-fixture"), seeded_token("range-real"));
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("r");
    commit_repo(&repo, "a@example.com", &[("README.md", "r\n")]);
    let base = git(&repo, &["rev-parse", "HEAD"]);
    commit_files(
        &repo,
        "a@example.com",
        "2026-01-06T10:00:00Z",
        &[
            ("testdata/x.env", &format!("T={fixture}\n")),
            ("src/y.env", &format!("T={real}\n")),
        ],
    );
    let range = format!("{base}..HEAD");
    let repo_arg = repo.to_str().unwrap();
    let (code, v, _) = report(
        "json",
        &["--range", &range, "--exclude", "testdata/", repo_arg],
    );
    assert_eq!(code, 1);
    let paths: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, vec!["src/y.env"]);
    let (code, _, _) = report(
        "json",
        &[
            "--range",
            &range,
            "--exclude",
            "testdata/",
            "--exclude",
            "src/*.env",
            repo_arg,
        ],
    );
    assert_eq!(code, 0);
}

/// The `entry:` of the hook with id `keytrail` in `.pre-commit-hooks.yaml`.
fn hook_entry() -> Vec<String> {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    let start = text.find("- id: keytrail\n").expect("hook keytrail");
    let entry = text[start..]
        .lines()
        .find_map(|l| l.trim().strip_prefix("entry:"))
        .expect("entry");
    assert!(text[start..].contains("pass_filenames: false"));
    entry.split_whitespace().map(str::to_string).collect()
}

#[test]
fn the_pre_commit_hook_refuses_a_staged_secret_and_nothing_else() {
    let entry = hook_entry();
    assert_eq!(entry, vec!["keytrail", "scan", "--staged"]);
    let token = seeded_token("pre-commit");
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("r");
    let old = seeded_token("committed-before");
    commit_repo(
        &repo,
        "a@example.com",
        &[("old.env", &format!("T={old}\n"))],
    );
    std::fs::write(repo.join("new.env"), format!("T={token}\n")).unwrap();
    std::fs::write(repo.join("old.env"), format!("# note\nT={old}\n")).unwrap();
    let hook = |repo: &std::path::Path| {
        let started = std::time::Instant::now();
        let out = keytrail()
            .current_dir(repo)
            .args(&entry[1..])
            .output()
            .unwrap();
        (out, started.elapsed())
    };
    git(&repo, &["add", "old.env"]);
    let (out, _) = hook(&repo);
    assert_eq!(
        out.status.code(),
        Some(0),
        "an old secret on a moved line is not staged anew"
    );
    git(&repo, &["add", "new.env"]);
    let (out, took) = hook(&repo);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("new.env") && text.contains("ghp_…(40)"),
        "{text}"
    );
    assert!(!text.contains(&token[4..]));
    assert!(took < std::time::Duration::from_secs(5), "{took:?}");
}

#[test]
fn the_plain_git_hook_recipe_stops_the_commit() {
    let token = seeded_token("git-hook");
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("r");
    commit_repo(&repo, "a@example.com", &[("README.md", "r\n")]);
    let hook = repo.join(".git/hooks/pre-commit");
    std::fs::write(&hook, "#!/bin/sh\nexec keytrail scan --staged -q\n").unwrap();
    let mut perms = std::fs::metadata(&hook).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&hook, perms).unwrap();
    std::fs::write(repo.join("app.env"), format!("T={token}\n")).unwrap();
    git(&repo, &["add", "app.env"]);
    let bin = assert_cmd::cargo::cargo_bin("keytrail");
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = std::process::Command::new("git")
        .current_dir(&repo)
        .env("PATH", path)
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "user.name=a",
            "-c",
            "user.email=a@example.com",
        ])
        .args(["commit", "-q", "-m", "add"])
        .output()
        .unwrap();
    assert!(!out.status.success(), "the commit went through");
    assert_eq!(git(&repo, &["rev-list", "--count", "HEAD"]), "1");
}
