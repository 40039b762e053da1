//! The ledger, end to end, as a user drives it: every behaviour runs twice, on SQLite and on a
//! real PostgreSQL server the test starts itself.

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use serde_json::Value;

use crate::common::{commit_files, commit_repo, keytrail, seeded_token};
use crate::pg::PgServer;

/// One ledger under test, with its key file and scratch directory.
struct TestLedger {
    location: String,
    dir: tempfile::TempDir,
    server: Option<PgServer>,
}

impl TestLedger {
    fn sqlite() -> TestLedger {
        let dir = tempfile::tempdir().unwrap();
        let location = dir.path().join("ledger.db").display().to_string();
        TestLedger::with(location, dir, None)
    }

    fn postgres() -> TestLedger {
        let server = PgServer::start();
        let location = server.new_database("ledger");
        TestLedger::with(location, tempfile::tempdir().unwrap(), Some(server))
    }

    fn with(location: String, dir: tempfile::TempDir, server: Option<PgServer>) -> TestLedger {
        std::fs::write(dir.path().join("fp.key"), "f".repeat(64)).unwrap();
        TestLedger {
            location,
            dir,
            server,
        }
    }

    fn scratch(&self) -> &Path {
        self.dir.path()
    }

    /// `keytrail` pointed at this ledger through the environment.
    fn cmd(&self) -> Command {
        Command::from_std(self.process())
    }

    /// The same, as a plain process (to spawn and kill).
    fn process(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin!("keytrail"));
        cmd.env_remove("KEYTRAIL_LOG")
            .env("KEYTRAIL_LEDGER", &self.location)
            .env("KEYTRAIL_LEDGER_KEY_FILE", self.dir.path().join("fp.key"))
            .env_remove("KEYTRAIL_LEDGER_KEY")
            .env_remove("KEYTRAIL_SEALING_KEY");
        cmd
    }

    /// Scans `paths` (with `extra` flags) into the ledger; returns stderr.
    fn scan(&self, extra: &[&str], paths: &[&Path]) -> String {
        let out = self
            .cmd()
            .args(["scan", "--format", "json"])
            .args(extra)
            .args(paths)
            .output()
            .unwrap();
        let code = out.status.code();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            matches!(code, Some(0 | 1)),
            "scan failed ({code:?}): {stderr}"
        );
        stderr
    }

    /// Runs a `ledger` subcommand with `--format json`; its parsed output.
    fn ledger_json(&self, args: &[&str]) -> Value {
        let out = self
            .cmd()
            .arg("ledger")
            .args(args)
            .args(["--format", "json"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// `ledger list` with `args`; the secrets array.
    fn list(&self, args: &[&str]) -> Vec<Value> {
        let all = [&["list"], args].concat();
        self.ledger_json(&all)["secrets"]
            .as_array()
            .unwrap()
            .clone()
    }

    fn show(&self, fp: &str) -> Value {
        self.ledger_json(&["show", fp])
    }

    fn verify(&self) {
        self.cmd()
            .args(["ledger", "verify"])
            .assert()
            .success()
            .stdout(predicates::str::contains("consistent"));
    }

    /// Every file the storage engine keeps, for grepping.
    fn storage_files(&self) -> Vec<PathBuf> {
        match &self.server {
            Some(s) => walk_files(&s.data_dir()),
            None => walk_files(self.dir.path())
                .into_iter()
                .filter(|p| p.to_string_lossy().starts_with(&self.location))
                .collect(),
        }
    }
}

fn walk_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(walk_files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Defines a test that runs `$body(&TestLedger)` on both engines.
macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn sqlite() {
                super::$name(&super::TestLedger::sqlite());
            }
            #[test]
            fn postgres() {
                super::$name(&super::TestLedger::postgres());
            }
        }
    )*};
}

on_both_engines!(
    new_user_journey,
    secret_removed_from_code_is_not_revoked,
    one_secret_in_two_repositories_is_one_secret,
    concurrent_scans_lose_nothing,
    killed_scan_leaves_a_consistent_ledger_and_a_rerun_completes_it,
    no_plaintext_is_stored_without_a_sealing_key,
    filters_select_by_rule_repository_and_age,
    incremental_state_lives_in_the_ledger,
);

fn by_redacted_prefix<'a>(rows: &'a [Value], status: &str) -> Vec<&'a Value> {
    rows.iter().filter(|r| r["status"] == status).collect()
}

/// Scan two repositories, list by owner, resolve one as a false positive, scan again (still
/// resolved), plant it in a new file (reopened).
fn new_user_journey(l: &TestLedger) {
    let (a, b) = (l.scratch().join("billing"), l.scratch().join("search"));
    let (ta, tb) = (seeded_token("journey-a"), seeded_token("journey-b"));
    commit_repo(
        &a,
        "alice@example.com",
        &[("config/.env", &format!("GITHUB_TOKEN={ta}\n"))],
    );
    commit_repo(
        &b,
        "bob@example.com",
        &[("deploy.sh", &format!("export GH_TOKEN={tb}\n"))],
    );
    let stderr = l.scan(&["--git"], &[&a, &b]);
    assert!(stderr.contains("ledger: 2 new secret(s)"), "{stderr}");

    let alice = l.list(&["--owner", "alice@example.com"]);
    assert_eq!(alice.len(), 1, "{alice:?}");
    assert_eq!(alice[0]["status"], "open");
    let fp = alice[0]["fingerprint"].as_str().unwrap().to_string();
    assert_eq!(l.list(&["--owner", "bob@example.com"]).len(), 1);
    assert!(l.list(&["--owner", "carol@example.com"]).is_empty());

    l.cmd()
        .args([
            "ledger",
            "resolve",
            &fp[..12],
            "--as",
            "false_positive",
            "--comment",
            "fixture",
        ])
        .assert()
        .success();
    assert_eq!(l.list(&[]).len(), 1, "only bob's secret stays unresolved");

    l.scan(&["--git"], &[&a, &b]);
    let closed = l.list(&["--status", "closed"]);
    assert_eq!(closed.len(), 1);
    assert_eq!(
        closed[0]["status"], "false_positive",
        "a re-scan keeps the resolution"
    );

    commit_files(
        &a,
        "alice@example.com",
        "2026-02-01T09:00:00Z",
        &[("scripts/ci.sh", &format!("T={ta}\n"))],
    );
    let stderr = l.scan(&["--git"], &[&a]);
    assert!(stderr.contains("1 reopened"), "{stderr}");
    let detail = l.show(&fp);
    assert_eq!(detail["secret"]["status"], "reopened");
    let kinds: Vec<&str> = detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["detected", "resolved", "reopened"]);
    let paths: Vec<&str> = detail["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["config/.env", "scripts/ci.sh"]);
    l.verify();
}

/// Deleting a secret from the tree marks it gone (not revoked); putting it back says so.
fn secret_removed_from_code_is_not_revoked(l: &TestLedger) {
    let tree = l.scratch().join("tree");
    let token = seeded_token("removed");
    std::fs::create_dir_all(&tree).unwrap();
    std::fs::write(tree.join("app.env"), format!("GITHUB_TOKEN={token}\n")).unwrap();
    l.scan(&[], &[&tree]);
    std::fs::remove_file(tree.join("app.env")).unwrap();
    let stderr = l.scan(&[], &[&tree]);
    assert!(stderr.contains("1 no longer in code"), "{stderr}");
    let rows = l.list(&[]);
    assert_eq!(rows.len(), 1, "removal from code does not close a secret");
    assert_eq!(
        (rows[0]["status"].as_str(), rows[0]["in_code"].as_bool()),
        (Some("open"), Some(false))
    );

    std::fs::write(tree.join("moved.env"), format!("GITHUB_TOKEN={token}\n")).unwrap();
    l.scan(&[], &[&tree]);
    let fp = rows[0]["fingerprint"].as_str().unwrap();
    let kinds: Vec<String> = l.show(fp)["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds, ["detected", "removed", "reappeared"]);
    l.verify();
}

fn one_secret_in_two_repositories_is_one_secret(l: &TestLedger) {
    let token = seeded_token("shared");
    let (a, b) = (l.scratch().join("a"), l.scratch().join("b"));
    for (dir, file) in [(&a, "x.env"), (&b, "y.env")] {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join(file), format!("TOKEN={token}\n")).unwrap();
    }
    l.scan(&[], &[&a, &b]);
    let rows = l.list(&[]);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["findings"], 2);
    assert_eq!(rows[0]["repositories"].as_array().unwrap().len(), 2);
}

/// Writes a tree with `n` distinct tokens over `n / 50` files.
fn many_secrets(dir: &Path, tag: &str, n: usize) -> Vec<String> {
    std::fs::create_dir_all(dir).unwrap();
    let tokens: Vec<String> = (0..n)
        .map(|i| seeded_token(&format!("{tag}-{i}")))
        .collect();
    for (f, chunk) in tokens.chunks(50).enumerate() {
        let body: String = chunk
            .iter()
            .map(|t| format!("GITHUB_TOKEN={t}\n"))
            .collect();
        std::fs::write(dir.join(format!("f{f}.env")), body).unwrap();
    }
    tokens
}

fn concurrent_scans_lose_nothing(l: &TestLedger) {
    let (a, b) = (l.scratch().join("a"), l.scratch().join("b"));
    many_secrets(&a, "conc", 600);
    many_secrets(&b, "conc", 400); // the same first 400 secrets, in another repository
    let spawn = |dir: &Path| -> Child {
        l.process()
            .args(["scan", "-q", "--format", "json"])
            .arg(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    // Two scanners per tree, all opening the new ledger at once; the repeated scans add nothing.
    let children = [spawn(&a), spawn(&b), spawn(&a), spawn(&b)];
    for child in children {
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
    }
    let rows = l.list(&[]);
    assert_eq!(rows.len(), 600);
    let places: i64 = rows.iter().map(|r| r["findings"].as_i64().unwrap()).sum();
    assert_eq!(places, 1000);
    l.verify();
}

/// Number of secrets in the ledger, read straight from the engine beside a running writer.
fn secret_count(l: &TestLedger) -> usize {
    let sql = "SELECT COUNT(*) FROM secrets";
    let n: i64 = match &l.server {
        Some(_) => {
            let Ok(mut c) = postgres::Client::connect(&l.location, postgres::NoTls) else {
                return 0;
            };
            c.query_one(sql, &[]).map_or(0, |r| r.get(0))
        }
        None => rusqlite::Connection::open(&l.location)
            .and_then(|c| c.query_row(sql, [], |r| r.get(0)))
            .unwrap_or(0),
    };
    usize::try_from(n).unwrap_or(0)
}

fn killed_scan_leaves_a_consistent_ledger_and_a_rerun_completes_it(l: &TestLedger) {
    let tree = l.scratch().join("big");
    let n = 4000;
    many_secrets(&tree, "kill", n);
    let mut child = l
        .process()
        .args(["scan", "-q", "--format", "json"])
        .arg(&tree)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut seen = 0;
    while seen == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(2));
        seen = secret_count(l);
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let partial = secret_count(l);
    assert!(
        partial > 0 && partial < n,
        "the kill landed mid-write ({partial} of {n})"
    );
    l.verify();

    l.scan(&[], &[&tree]);
    let rows = l.list(&[]);
    assert_eq!(rows.len(), n);
    for r in rows.iter().step_by(400) {
        let events = l.show(r["fingerprint"].as_str().unwrap())["events"].clone();
        let detected = events
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "detected")
            .count();
        assert_eq!(detected, 1, "{events}");
    }
    l.verify();
}

fn no_plaintext_is_stored_without_a_sealing_key(l: &TestLedger) {
    let tree = l.scratch().join("t");
    let tokens = many_secrets(&tree, "plain", 20);
    l.scan(&[], &[&tree]);
    if let Some(server) = &l.server {
        let mut c = postgres::Client::connect(&server.url("ledger"), postgres::NoTls).unwrap();
        c.batch_execute("CHECKPOINT").unwrap();
    }
    let files = l.storage_files();
    assert!(!files.is_empty());
    for file in files {
        let bytes = std::fs::read(&file).unwrap_or_default();
        for t in &tokens {
            // The part after the public prefix is what must never be stored.
            let tail = &t.as_bytes()[4..];
            assert!(
                !bytes.windows(tail.len()).any(|w| w == tail),
                "plain text in {}",
                file.display()
            );
        }
    }
    assert!(by_redacted_prefix(&l.list(&[]), "open").len() == 20);
}

fn filters_select_by_rule_repository_and_age(l: &TestLedger) {
    let (old, new) = (l.scratch().join("old"), l.scratch().join("new"));
    std::fs::create_dir_all(&old).unwrap();
    std::fs::create_dir_all(&new).unwrap();
    std::fs::write(
        old.join("a.env"),
        format!("GITHUB_TOKEN={}\n", seeded_token("age-old")),
    )
    .unwrap();
    std::fs::write(
        new.join("b.py"),
        "AWS_ACCESS_KEY_ID = \"AKIAZ4KQ7TNV3XW2RB5M\"\n",
    )
    .unwrap();
    l.cmd()
        .args(["--now", "2026-01-01", "scan", "-q"])
        .arg(&old)
        .assert()
        .code(1);
    l.cmd()
        .args(["--now", "2026-03-01", "scan", "-q"])
        .arg(&new)
        .assert()
        .code(1);
    let at = |args: &[&str]| {
        let mut all = vec!["--now", "2026-03-02"];
        all.extend_from_slice(args);
        l.list(&all)
            .iter()
            .map(|r| r["rule_id"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(at(&["--older-than", "30d"]), ["github.pat.classic"]);
    assert_eq!(at(&["--newer-than", "7d"]), ["aws.access-key-id"]);
    assert_eq!(at(&["--rule", "aws."]), ["aws.access-key-id"]);
    assert_eq!(
        at(&["--rule", "github.pat.classic"]),
        ["github.pat.classic"]
    );
    let repo = std::fs::canonicalize(&old).unwrap().display().to_string();
    assert_eq!(at(&["--repository", &repo]), ["github.pat.classic"]);
    let first_seen = l.list(&["--rule", "aws."])[0]["first_seen"].clone();
    assert_eq!(first_seen, "2026-03-01T00:00:00Z", "--now sets event times");
}

fn incremental_state_lives_in_the_ledger(l: &TestLedger) {
    let repo = l.scratch().join("inc");
    commit_repo(
        &repo,
        "dev@example.com",
        &[("a.env", &format!("T={}\n", seeded_token("inc-1")))],
    );
    let state_dir = l.scratch().join("state-dir");
    let scan = |expect: &str| {
        let out = l
            .cmd()
            .env("KEYTRAIL_STATE_DIR", &state_dir)
            .args(["scan", "--git", "--incremental", "--format", "json"])
            .arg(&repo)
            .output()
            .unwrap();
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            report["summary"]["files_scanned"].to_string(),
            expect,
            "{report}"
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    scan("1");
    let stderr = scan("0");
    assert!(stderr.contains("no new commits"), "{stderr}");
    commit_files(
        &repo,
        "dev@example.com",
        "2026-01-06T10:00:00Z",
        &[("b.env", &format!("T={}\n", seeded_token("inc-2")))],
    );
    scan("1");
    assert_eq!(l.list(&[]).len(), 2);
    assert!(
        !state_dir.exists(),
        "the state went to the ledger, not to files"
    );
}

#[test]
fn a_ledger_newer_than_the_binary_is_refused() {
    let l = TestLedger::sqlite();
    l.cmd().args(["ledger", "list"]).assert().success();
    let conn = rusqlite::Connection::open(&l.location).unwrap();
    conn.execute(
        "UPDATE keytrail_meta SET value = '99' WHERE key = 'schema_version'",
        [],
    )
    .unwrap();
    l.cmd()
        .args(["ledger", "list"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "schema version 99, newer than this keytrail",
        ));
}

#[test]
fn a_shared_ledger_without_a_key_is_refused_and_a_wrong_key_too() {
    let l = TestLedger::postgres();
    keytrail()
        .env("KEYTRAIL_LEDGER", &l.location)
        .env_remove("KEYTRAIL_LEDGER_KEY")
        .env_remove("KEYTRAIL_LEDGER_KEY_FILE")
        .args(["ledger", "list"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("needs a fingerprint key"));
    l.cmd().args(["ledger", "list"]).assert().success();
    l.cmd()
        .env_remove("KEYTRAIL_LEDGER_KEY_FILE")
        .env("KEYTRAIL_LEDGER_KEY", "another-key-of-enough-length")
        .args(["ledger", "list"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("different fingerprint key"));
}

#[test]
fn sealed_plain_text_opens_with_the_sealing_key_only() {
    use keytrail::ledger::{Ledger, LedgerOptions, Location};
    let l = TestLedger::sqlite();
    let tree = l.scratch().join("t");
    let tokens = many_secrets(&tree, "sealed", 3);
    let sealing = l.scratch().join("seal.key");
    std::fs::write(&sealing, "ab".repeat(32)).unwrap();
    l.cmd()
        .env("KEYTRAIL_SEALING_KEY_FILE", &sealing)
        .args(["scan", "-q"])
        .arg(&tree)
        .assert()
        .code(1);
    let opts = |seal: Option<PathBuf>| LedgerOptions {
        location: Location::Sqlite(PathBuf::from(&l.location)),
        key_file: Some(l.scratch().join("fp.key")),
        sealing_key_file: seal,
        now: None,
    };
    let mut ledger = Ledger::open(&opts(Some(sealing))).unwrap();
    let fp = ledger.fingerprint(tokens[0].as_bytes());
    assert_eq!(
        ledger.unseal(&fp).unwrap().as_deref(),
        Some(tokens[0].as_bytes())
    );
    let mut without = Ledger::open(&opts(None)).unwrap();
    assert_eq!(without.unseal(&fp).unwrap(), None);
}

#[test]
fn shards_split_a_repository_list_between_workers() {
    let l = TestLedger::sqlite();
    let mut lines = String::new();
    for i in 0..8 {
        let dir = l.scratch().join(format!("r{i}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("a.env"),
            format!("T={}\n", seeded_token(&format!("shard-{i}"))),
        )
        .unwrap();
        lines.push_str(&format!("{}\n", dir.display()));
    }
    let list = l.scratch().join("repos.txt");
    std::fs::write(&list, format!("# fleet\n{lines}")).unwrap();
    let list = list.display().to_string();
    let mut total = 0;
    for shard in ["1/3", "2/3", "3/3"] {
        let before = l.list(&[]).len();
        l.scan(&["--repos-from", &list, "--shard", shard], &[]);
        total += l.list(&[]).len() - before;
    }
    assert_eq!(total, 8, "every repository is scanned by exactly one shard");
}

#[test]
fn keytrailignore_leaves_out_values_it_names_and_reports_bad_lines() {
    let (keep, drop) = (seeded_token("ignore-keep"), seeded_token("ignore-drop"));
    let out = keytrail()
        .arg("ignore")
        .write_stdin(format!("{drop}\n"))
        .output()
        .unwrap();
    let line = String::from_utf8(out.stdout).unwrap();
    assert!(
        line.starts_with("sha256:") && !line.contains(&drop[4..]),
        "{line}"
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.env"), format!("A={keep}\nB={drop}\n")).unwrap();
    std::fs::write(
        dir.path().join(".keytrailignore"),
        format!("# fixtures\n{line}bogus\n"),
    )
    .unwrap();
    let out = keytrail()
        .args(["scan", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["findings"].as_array().unwrap().len(), 1);
    assert_eq!(report["summary"]["findings_ignored"], 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(".keytrailignore:3: expected `sha256:`"),
        "{stderr}"
    );
}

/// A certificate authority and a server certificate it signs for 127.0.0.1, as PEM.
struct TestPki {
    ca: String,
    server_cert: String,
    server_key: String,
}

impl TestPki {
    fn new() -> TestPki {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let issuer = rcgen::Issuer::new(ca_params, ca_key);
        let server_key = rcgen::KeyPair::generate().unwrap();
        let server = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()])
            .unwrap()
            .signed_by(&server_key, &issuer)
            .unwrap();
        TestPki {
            ca: ca.pem(),
            server_cert: server.pem(),
            server_key: server_key.serialize_pem(),
        }
    }
}

#[test]
fn a_shared_ledger_over_tls_verifies_the_server_certificate() {
    let pki = TestPki::new();
    let server = PgServer::start_with_tls(&pki.server_cert, &pki.server_key);
    let plain = server.new_database("ledger");
    let dir = tempfile::tempdir().unwrap();
    let (ca, other_ca) = (dir.path().join("ca.pem"), dir.path().join("other-ca.pem"));
    std::fs::write(&ca, &pki.ca).unwrap();
    std::fs::write(&other_ca, TestPki::new().ca).unwrap();
    let with_ca =
        |mode: &str, root: &Path| format!("{plain}?sslmode={mode}&sslrootcert={}", root.display());
    let verified = TestLedger::with(with_ca("verify-full", &ca), dir, None);
    let tree = verified.scratch().join("tree");
    std::fs::create_dir_all(&tree).unwrap();
    std::fs::write(
        tree.join("app.env"),
        format!("GITHUB_TOKEN={}\n", seeded_token("tls")),
    )
    .unwrap();
    verified
        .cmd()
        .args(["scan", "-q"])
        .arg(&tree)
        .assert()
        .code(1);
    verified
        .cmd()
        .args(["ledger", "list"])
        .assert()
        .success()
        .stdout(predicates::str::contains("github.pat.classic"));
    // The server refuses plain connections to this database, so the scan above went over TLS.
    let refused = |location: String, why: &str| {
        verified
            .cmd()
            .env("KEYTRAIL_LEDGER", location)
            .args(["ledger", "list"])
            .assert()
            .code(2)
            .stderr(predicates::str::contains(why.to_string()));
    };
    refused(plain.clone(), "no encryption");
    // A certificate that another authority signed is refused.
    refused(with_ca("require", &other_ca), "certificate");
    refused(
        with_ca("verify-full", &verified.scratch().join("missing.pem")),
        "cannot read sslrootcert",
    );
}
