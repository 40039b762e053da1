//! Ownership attribution end to end: the monorepo fixture (`testdata/owners/monorepo`), the
//! owners map given with `--owners`, malformed rules files, `owners explain` and `owners check`.

use std::path::Path;

use predicates::prelude::*;
use predicates::str::contains;
use serde_json::Value;

use crate::common::{github_token, keytrail, scan_json, testdata, tree};

/// Copies `testdata/owners/monorepo` into a new temporary directory, replacing each `{{TOKEN}}`
/// with a distinct fake GitHub token (generated here, so none is committed).
pub fn monorepo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&testdata("owners/monorepo"), dir.path(), &mut 0);
    dir
}

fn copy_tree(from: &Path, to: &Path, n: &mut usize) {
    std::fs::create_dir_all(to).unwrap();
    let mut entries: Vec<_> = std::fs::read_dir(from)
        .unwrap()
        .map(|e| e.unwrap())
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &target, n);
            continue;
        }
        let text = std::fs::read_to_string(e.path()).unwrap();
        let text = if text.contains("{{TOKEN}}") {
            *n += 1;
            text.replace("{{TOKEN}}", &token(*n))
        } else {
            text
        };
        std::fs::write(target, text).unwrap();
    }
}

/// A fake GitHub token, distinct for each `n`.
pub fn token(n: usize) -> String {
    github_token(&format!("Zx8Qm2Lp7Rt4Vn9Kc3Hs6Wd1Fg5J{n:02}"))
}

/// (path below `root`, owners, source kind, source line) of each finding, sorted by path.
fn attributions(report: &Value, root: &Path) -> Vec<(String, String, String, u64)> {
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
                relative(f["path"].as_str().unwrap(), root),
                owners.join(" "),
                o["source"]["kind"].as_str().unwrap().to_string(),
                o["source"]["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    rows.sort();
    rows
}

/// `path` below `root`, with `/` separators.
fn relative(path: &str, root: &Path) -> String {
    let rel = Path::new(path)
        .strip_prefix(root)
        .unwrap_or(Path::new(path));
    rel.to_string_lossy().replace('\\', "/")
}

#[test]
fn every_planted_secret_in_the_monorepo_reaches_its_owner() {
    let dir = monorepo();
    let (code, report) = scan_json(dir.path(), &[]);
    assert_eq!(code, 1);
    let row = |p: &str, o: &str, k: &str, l: u64| (p.to_string(), o.to_string(), k.to_string(), l);
    assert_eq!(
        attributions(&report, dir.path()),
        vec![
            row("docs/guides/deploy.md", "@acme/eng", "codeowners", 2), // docs/* is one level only
            row("docs/setup.md", "@acme/docs", "codeowners", 6),
            row(
                "infra/terraform/prod.tfvars",
                "@acme/sre @acme/security",
                "codeowners",
                7
            ),
            row("libs/shared/creds.json", "@acme/eng", "codeowners", 2),
            row(
                "services/payments/api/config.env",
                "carol@acme.example @acme/payments",
                "owners-map",
                9
            ),
            row(
                "services/payments/worker/settings.py",
                "@acme/payments-worker",
                "owners-map",
                20
            ),
            row(
                "services/search/indexer/app.env",
                "@acme/search",
                "codeowners",
                3
            ),
            row("services/search/indexer/vendor/sdk.env", "", "unowned", 0),
        ]
    );
    let api = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with("api/config.env"))
        .unwrap();
    let o = &api["owners"];
    assert_eq!(o["service"], "payments-api");
    assert_eq!(o["technical_owner"], "@acme/payments");
    assert_eq!(o["lifecycle_owner"], "carol@acme.example");
    assert_eq!(o["contacts"]["slack"], "#payments-oncall");
    assert_eq!(
        o["contacts"]["webhook"],
        "https://hooks.acme.example/payments"
    );
    assert_eq!(o["source"]["entry"], "payments");
    assert_eq!(o["source"]["file"], "keytrail.toml");
    assert_eq!(o["rules_at_head"], false);
    assert_eq!(
        o["reason"],
        "owners map entry \"payments\" (keytrail.toml:9)"
    );
    let vendor = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with("sdk.env"))
        .unwrap();
    assert_eq!(vendor["owners"]["source"]["unowned_by"]["line"], 4);
    assert_eq!(report["summary"]["warnings"], 0);
}

#[test]
fn human_output_groups_by_owner_with_unowned_last() {
    let dir = monorepo();
    let out = keytrail().arg("scan").arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let headers: Vec<&str> = text.lines().filter(|l| l.starts_with("== ")).collect();
    assert_eq!(
        headers,
        vec![
            "== Owners @acme/docs: 1 finding ==",
            "== Owners @acme/eng: 2 findings ==",
            "== Owners @acme/payments-worker: 1 finding ==",
            "== Owners @acme/search: 1 finding ==",
            "== Owners @acme/sre, @acme/security: 1 finding ==",
            "== Owners carol@acme.example, @acme/payments: 1 finding ==",
            "== Unowned: 1 finding (no owner found; see each file's reason) ==",
        ]
    );
    assert!(text.contains(
        "  details: service payments-api; lifecycle owner carol@acme.example; technical owner @acme/payments; email payments-oncall@acme.example; slack #payments-oncall; webhook https://hooks.acme.example/payments"
    ));
    assert!(text.contains("  why:     .github/CODEOWNERS:4 leaves the path deliberately unowned"));
    assert!(text.contains("6 owner groups; 1 finding unowned."));
    assert!(!text.contains(&token(1)[4..]), "secrets stay redacted");
}

#[test]
fn a_scan_of_a_subdirectory_uses_the_rules_at_the_repository_root() {
    let dir = monorepo();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    let (_, report) = scan_json(&dir.path().join("services/search"), &[]);
    assert_eq!(
        attributions(&report, dir.path()),
        vec![
            (
                "services/search/indexer/app.env".into(),
                "@acme/search".into(),
                "codeowners".into(),
                3
            ),
            (
                "services/search/indexer/vendor/sdk.env".into(),
                "".into(),
                "unowned".into(),
                0
            ),
        ]
    );
}

#[test]
fn owners_map_given_on_the_command_line_replaces_the_repositorys() {
    let dir = monorepo();
    let map = tree(&[(
        "org.toml",
        b"[[owner]]\nname = \"org-search\"\nrepositories = [\"*\"]\npaths = [\"**/indexer/\"]\nowners = [\"@acme/search-oncall\"]\n",
    )]);
    let map_file = map.path().join("org.toml");
    let (_, report) = scan_json(dir.path(), &["--owners", map_file.to_str().unwrap()]);
    let rows = attributions(&report, dir.path());
    let search = rows
        .iter()
        .find(|r| r.0.ends_with("indexer/app.env"))
        .unwrap();
    assert_eq!(
        (search.1.as_str(), search.2.as_str()),
        ("@acme/search-oncall", "owners-map")
    );
    let payments = rows.iter().find(|r| r.0.contains("payments/api")).unwrap();
    assert_eq!(
        (payments.1.as_str(), payments.2.as_str()),
        ("@acme/eng", "codeowners")
    );
    keytrail()
        .args(["scan", "--owners", "/nonexistent/owners.toml"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(contains("cannot read owners map /nonexistent/owners.toml"));
}

#[test]
fn sarif_results_carry_owners_and_validate() {
    let dir = monorepo();
    let out = keytrail()
        .args(["scan", "--format", "sarif"])
        .arg(dir.path())
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    let schema: Value = serde_json::from_slice(
        &std::fs::read(testdata("schemas/sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 8);
    assert!(
        results
            .iter()
            .all(|r| r["properties"]["owners"]["source"]["kind"].is_string())
    );
    let jsonl = keytrail()
        .args(["scan", "--format", "jsonl"])
        .arg(dir.path())
        .output()
        .unwrap();
    let lines = String::from_utf8(jsonl.stdout).unwrap();
    let findings: Vec<Value> = lines
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["type"] == "finding")
        .collect();
    assert_eq!(findings.len(), 8);
    assert!(findings.iter().all(|f| f["owners"]["reason"].is_string()));
}

#[test]
fn malformed_rules_are_reported_by_line_and_the_scan_uses_the_rest() {
    let t = token(1);
    let codeowners = "* @acme/eng\n*.[ch] @c-team\n/secrets/ not-an-owner\n/app/ @acme/app\n!/app/gen/\n/app/*.env \u{1b}[2J@x\n";
    let map = "[[owner]]\nname = \"ok\"\npaths = [\"svc/\"]\nowners = [\"@acme/svc\"]\n\n[[owner]]\nname = \"bad\"\npaths = [\"lib/\"]\nowner = \"@typo\"\n";
    let body = format!("T={t}\n");
    let dir = tree(&[
        ("CODEOWNERS", codeowners.as_bytes()),
        ("keytrail.toml", map.as_bytes()),
        ("app/prod.env", body.as_bytes()),
        ("svc/a.env", body.as_bytes()),
        ("lib/b.env", body.as_bytes()),
    ]);
    let out = keytrail()
        .args(["scan", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "findings, not an error");
    let stderr = String::from_utf8(out.stderr).unwrap();
    for expected in [
        "keytrail: warning: owners: CODEOWNERS:2: `[ ]` character ranges are not supported by GitHub CODEOWNERS",
        "keytrail: warning: owners: CODEOWNERS:3: no valid owner among \"not-an-owner\"; line skipped",
        "keytrail: warning: owners: CODEOWNERS:5: `!` negation is not supported by GitHub CODEOWNERS",
        "keytrail: warning: owners: CODEOWNERS:6: no valid owner among \"\\u{1b}[2J@x\"; line skipped",
        "keytrail: warning: owners: keytrail.toml:9: unknown field `owner`",
    ] {
        assert!(
            stderr.contains(expected),
            "missing {expected:?} in:\n{stderr}"
        );
    }
    assert!(stderr.contains("; entry skipped\n"), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "repository text is sanitised");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["summary"]["warnings"], 5, "{stderr}");
    let rows = attributions(&report, dir.path());
    let owners: Vec<(&str, &str)> = rows.iter().map(|r| (r.0.as_str(), r.1.as_str())).collect();
    assert_eq!(
        owners,
        vec![
            ("app/prod.env", "@acme/app"),
            ("lib/b.env", "@acme/eng"),
            ("svc/a.env", "@acme/svc")
        ]
    );
}

#[test]
fn explain_lists_every_matching_rule_in_order() {
    let dir = monorepo();
    keytrail()
        .args(["owners", "explain", "services/payments/api/config.env", "--repo"])
        .arg(dir.path())
        .assert()
        .code(0)
        .stdout(contains("owners map:  keytrail.toml (3 entries)"))
        .stdout(contains("CODEOWNERS:  .github/CODEOWNERS (GitHub syntax, 7 rules)"))
        .stdout(contains(
            "    keytrail.toml:4              entry \"payments-api-old\" (paths: services/payments/api/) @acme/payments-legacy\n  * keytrail.toml:9              entry \"payments\" (paths: services/payments/) carol@acme.example @acme/payments\n    .github/CODEOWNERS:2         * @acme/eng\n",
        ))
        .stdout(contains("owners:      carol@acme.example, @acme/payments"))
        .stdout(contains("why:         owners map entry \"payments\" (keytrail.toml:9)"));
    keytrail()
        .current_dir(dir.path())
        .args(["owners", "explain", "infra/terraform/prod.tfvars"])
        .assert()
        .code(0)
        .stdout(contains(
            "    .github/CODEOWNERS:2         * @acme/eng\n    .github/CODEOWNERS:5         /infra/ @acme/sre sre@acme.example\n  * .github/CODEOWNERS:7         *.tfvars @acme/sre @acme/security\n",
        ))
        .stdout(contains("why:         CODEOWNERS line 7 (.github/CODEOWNERS:7, pattern \"*.tfvars\")"));
    keytrail()
        .current_dir(dir.path())
        .args([
            "owners",
            "explain",
            "services/search/indexer/vendor/sdk.env",
        ])
        .assert()
        .stdout(contains("(no owners: deliberately unowned)"))
        .stdout(contains("owners:      unowned"));
}

#[test]
fn check_reports_dead_patterns_and_shadowed_entries_with_line_numbers() {
    let dir = monorepo();
    keytrail()
        .args(["owners", "check"])
        .arg(dir.path())
        .assert()
        .code(1)
        .stdout(contains(
            ".github/CODEOWNERS:8: warning: pattern \"/services/legacy/\" matches nothing in the tree\n",
        ))
        .stdout(contains(
            "keytrail.toml:4: warning: entry \"payments-api-old\" is shadowed: later entries (e.g. \"payments\") match every file it matches\n",
        ))
        .stdout(contains("0 errors, 2 warnings in .github/CODEOWNERS (GitHub syntax, 7 rules) and keytrail.toml (3 entries)."));
}

#[test]
fn check_reports_malformed_lines_and_exits_1() {
    let dir = tree(&[
        (
            "docs/CODEOWNERS",
            b"* @acme/eng\n[Docs\n[Build][x] @ci\n[]\n[Docs] @writers\ndocs/\n!vendor/ @x\n",
        ),
        (".gitlab/CODEOWNERS", b"* @other\n"),
        ("docs/a.md", b"a"),
        ("vendor/b.c", b"b"),
        (
            "keytrail.toml",
            b"[[owner]]\nname = \"x\"\nowners = [\"@x\"]\n[[owner]\n",
        ),
    ]);
    let out = keytrail()
        .args(["owners", "check"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        vec![
            ".gitlab/CODEOWNERS: warning: not used: docs/CODEOWNERS is read first (GitLab rules)",
            "docs/CODEOWNERS:2: error: invalid pattern: unclosed character class; missing ']'; line skipped",
            "docs/CODEOWNERS:3: error: malformed section header: approval count \"x\" is not a number; line skipped",
            "docs/CODEOWNERS:4: error: malformed section header: the section has no name; line skipped",
            "docs/CODEOWNERS:7: warning: owners after an exclusion (`!`) pattern are ignored",
            "keytrail.toml:4: error: unclosed array table, expected `]`; the owners map is not used",
            "4 errors, 2 warnings in docs/CODEOWNERS (GitLab syntax, 3 rules) and keytrail.toml (0 entries).",
        ],
        "{text}"
    );
}

#[test]
fn explain_and_check_without_rules_say_so() {
    let dir = tree(&[("a.txt", b"x")]);
    keytrail()
        .args(["owners", "check"])
        .arg(dir.path())
        .assert()
        .code(0)
        .stdout(contains("No CODEOWNERS file or owners map found"));
    keytrail()
        .args(["owners", "explain", "a.txt", "--repo"])
        .arg(dir.path())
        .assert()
        .code(0)
        .stdout(contains("No rule matches this path."))
        .stdout(contains("owners:      unowned"))
        .stdout(predicate::str::contains("CODEOWNERS:  none"));
}
