//! The GitHub Action's scan step, run locally by `github_harness` against fixture repositories
//! and fixture event payloads: pull requests that add a secret, touch an old one or are clean;
//! re-runs that edit the one comment; escaping, exclusion, verification; and the action file
//! itself. Pushes, shallow checkouts and the nightly scan are in `github_push`.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{commit_files, commit_repo, git, seeded_token, testdata};
use crate::fake_http::{FakeServer, Reply};
use crate::github_harness::{
    FakeGitHub, Step, action_yml, input_defaults, run_lines, run_step, scan_step,
};

pub const DATE: &str = "2026-02-01T09:00:00Z";
pub const LATER: &str = "2026-02-02T09:00:00Z";

/// A repository whose first commit (the base) holds `base_files` and whose second (the pull
/// request's head) adds `pr_files`; returns (tempdir, repo, base id, head id).
fn pr_repo(
    base_files: &[(&str, &str)],
    pr_files: &[(&str, &str)],
) -> (tempfile::TempDir, PathBuf, String, String) {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("shop");
    commit_repo(&repo, "carol@acme.example", base_files);
    let base = git(&repo, &["rev-parse", "HEAD"]);
    commit_files(&repo, "alice@acme.example", DATE, pr_files);
    let head = git(&repo, &["rev-parse", "HEAD"]);
    (tmp, repo, base, head)
}

fn pr_fill<'a>(base: &'a str, head: &'a str) -> [(&'a str, &'a str); 4] {
    [
        ("NUMBER", "12"),
        ("COMMITS", "1"),
        ("BASE", base),
        ("HEAD", head),
    ]
}

pub fn pr_step<'a>(
    repo: &'a Path,
    fill: &'a [(&'a str, &'a str)],
    inputs: &'a [(&'a str, &'a str)],
    secrets: &'a [&'a str],
) -> Step<'a> {
    Step {
        workspace: repo,
        event: "pull_request",
        payload: ("pull_request.json", fill),
        inputs,
        env: &[],
        api: None,
        secrets,
    }
}

/// The summary table's rows, as cells.
pub fn table_rows(summary: &str) -> Vec<Vec<String>> {
    summary
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            l.trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect()
}

pub fn config_with(token: &str) -> String {
    format!("# payments\nregion = \"eu-west-1\"\ngithub_token = \"{token}\"\n")
}

fn assert_sarif_valid(sarif: &Value) {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(testdata("schemas/sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(sarif)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn a_pull_request_adding_a_secret_fails_with_annotation_summary_owners_and_one_comment() {
    let secret = seeded_token("pr-adds");
    let (_tmp, repo, base, head) = pr_repo(
        &[
            ("README.md", "# shop\n"),
            (".github/CODEOWNERS", "* @acme/payments\n"),
        ],
        &[("config/payments.toml", &config_with(&secret))],
    );
    let api = FakeGitHub::start();
    let fill = pr_fill(&base, &head);
    let secrets = [secret.as_str()];
    let mut step = pr_step(&repo, &fill, &[("comment", "true")], &secrets);
    step.api = Some(&api);
    let run = run_step(&step);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let notes = run.annotations();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0].starts_with("::error file=config/payments.toml,line=3,endLine=3,col=17,"),
        "{}",
        notes[0]
    );
    assert!(notes[0].contains("ghp_…(40)") && notes[0].contains("@acme/payments"));
    let rows = table_rows(&run.summary);
    assert_eq!(rows.len(), 1, "{}", run.summary);
    assert!(
        rows[0][1].contains("config/payments.toml:3"),
        "{:?}",
        rows[0]
    );
    assert!(rows[0][1].contains(&format!("blob/{head}/config/payments.toml#L3")));
    assert_eq!(rows[0][2], "`ghp_…(40)`");
    assert!(rows[0][3].contains(&head[..7]));
    assert_eq!(rows[0][4], "`alice`");
    assert_eq!(rows[0][5], "@acme/payments");
    assert_eq!(rows[0][7], "new");
    assert_eq!(run.outputs["findings"], "1");
    assert_eq!(run.outputs["new-findings"], "1");
    let sarif = run.sarif.as_ref().expect("SARIF written");
    assert_sarif_valid(sarif);
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(
        result["partialFingerprints"]["keytrailSecret/v1"]
            .as_str()
            .unwrap()
            .len(),
        64
    );
    let ours: Vec<_> = api.comments().into_iter().filter(|c| c.0 >= 100).collect();
    assert_eq!(ours.len(), 1);
    assert!(ours[0].1.starts_with("<!-- keytrail -->"));
    assert!(
        ours[0].1.contains("**Owners:** @acme/payments"),
        "{}",
        ours[0].1
    );

    // A re-run edits the same comment; the person's comment is left alone.
    let again = run_step(&step);
    assert_eq!(again.code, 1);
    let calls = api.calls();
    assert_eq!(
        calls.iter().filter(|c| c.starts_with("POST")).count(),
        1,
        "{calls:?}"
    );
    assert_eq!(
        calls
            .iter()
            .filter(|c| c.starts_with("PATCH"))
            .collect::<Vec<_>>(),
        vec![&format!(
            "PATCH /repos/acme/shop/issues/comments/{}",
            ours[0].0
        )]
    );
    let comments = api.comments();
    assert_eq!(comments.len(), 2);
    assert!(comments[0].1.starts_with("Looks good"));
    assert!(
        again
            .stderr
            .contains("updated the comment on pull request #12")
    );
}

#[test]
fn the_action_outputs_are_the_ones_the_step_writes() {
    let secret = seeded_token("outputs");
    let (_tmp, repo, base, head) =
        pr_repo(&[("a.txt", "a\n")], &[("b.env", &config_with(&secret))]);
    let fill = pr_fill(&base, &head);
    let run = run_step(&pr_step(&repo, &fill, &[], &[&secret]));
    let yml = action_yml();
    let declared: Vec<&str> = yml
        .lines()
        .filter_map(|l| l.trim().strip_prefix("value: ${{ steps.scan.outputs."))
        .map(|l| l.trim_end_matches(" }}"))
        .collect();
    assert_eq!(declared, vec!["findings", "new-findings", "sarif"]);
    for name in declared {
        assert!(run.outputs.contains_key(name), "{name}: {:?}", run.outputs);
    }
}

#[test]
fn a_pull_request_editing_a_file_that_holds_an_old_secret_passes() {
    let old = seeded_token("old-secret");
    let before = config_with(&old);
    let after = before.replace("eu-west-1", "eu-central-1");
    let (_tmp, repo, base, head) = pr_repo(
        &[("config/payments.toml", &before)],
        &[("config/payments.toml", &after)],
    );
    let fill = pr_fill(&base, &head);
    let run = run_step(&pr_step(&repo, &fill, &[], &[&old]));
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.annotations().is_empty());
    assert!(
        run.summary.contains("no secrets in pull request #12"),
        "{}",
        run.summary
    );
    assert_eq!(run.outputs["findings"], "0");
}

#[test]
fn an_old_secret_on_a_rewritten_line_is_reported_as_already_there() {
    let old = seeded_token("moved-secret");
    let before = config_with(&old);
    let after = format!(
        "[billing]\n{}",
        before.replace("github_token = ", "  github_token = ")
    );
    let (_tmp, repo, base, head) = pr_repo(
        &[("config/payments.toml", &before)],
        &[("config/payments.toml", &after)],
    );
    let fill = pr_fill(&base, &head);

    let any = run_step(&pr_step(&repo, &fill, &[], &[&old]));
    assert_eq!(any.code, 1);
    assert_eq!(table_rows(&any.summary)[0][7], "already at base");
    assert!(any.annotations()[0].starts_with("::error file=config/payments.toml,line=4,"));

    let new = run_step(&pr_step(&repo, &fill, &[("fail-on", "new")], &[&old]));
    assert_eq!(new.code, 0, "{}", new.stderr);
    assert!(new.annotations()[0].starts_with("::warning file=config/payments.toml,line=4,"));
    assert_eq!(new.outputs["findings"], "1");
    assert_eq!(new.outputs["new-findings"], "0");
    assert!(
        new.summary
            .contains("already at the base do not fail the check")
            || new.summary.contains("already at the base does not fail"),
        "{}",
        new.summary
    );

    let never = run_step(&pr_step(&repo, &fill, &[("fail-on", "never")], &[&old]));
    assert_eq!(never.code, 0);
}

#[test]
fn a_clean_pull_request_passes_and_leaves_no_comment() {
    let (_tmp, repo, base, head) =
        pr_repo(&[("a.txt", "a\n")], &[("src/lib.rs", "pub fn f() {}\n")]);
    let api = FakeGitHub::start();
    let fill = pr_fill(&base, &head);
    let mut step = pr_step(&repo, &fill, &[("comment", "true")], &[]);
    step.api = Some(&api);
    let run = run_step(&step);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(run.summary.contains("no secrets"));
    assert!(
        api.calls().iter().all(|c| c.starts_with("GET")),
        "{:?}",
        api.calls()
    );
    assert_sarif_valid(run.sarif.as_ref().unwrap());
}

#[test]
fn the_same_base_and_head_scan_nothing() {
    let (_tmp, repo, _base, head) = pr_repo(&[("a.txt", "a\n")], &[("b.txt", "b\n")]);
    let fill = pr_fill(&head, &head);
    let run = run_step(&pr_step(&repo, &fill, &[], &[]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.summary.contains("nothing to scan"), "{}", run.summary);
    assert!(run.summary.contains("same commit"));
    assert_eq!(run.outputs["findings"], "0");
}

#[test]
fn a_checkout_in_a_subdirectory_is_annotated_with_workspace_paths() {
    let secret = seeded_token("subdir");
    let (tmp, _repo, base, head) =
        pr_repo(&[("a.txt", "a\n")], &[("app/.env", &config_with(&secret))]);
    let fill = pr_fill(&base, &head);
    let secrets = [secret.as_str()];
    let step = pr_step(tmp.path(), &fill, &[("path", "shop")], &secrets);
    let run = run_step(&step);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.annotations()[0].starts_with("::error file=shop/app/.env,line=3,"));
    assert!(
        run.summary.contains(&format!("blob/{head}/app/.env#L3")),
        "{}",
        run.summary
    );
}

#[test]
fn the_exclude_input_leaves_fixtures_out_of_a_range() {
    let (a, b) = (seeded_token("fixture"), seeded_token("real"));
    let (_tmp, repo, base, head) = pr_repo(
        &[("a.txt", "a\n")],
        &[
            ("testdata/sample.env", &config_with(&a)),
            ("src/app.env", &config_with(&b)),
        ],
    );
    let fill = pr_fill(&base, &head);
    let run = run_step(&pr_step(
        &repo,
        &fill,
        &[("exclude", "testdata/**")],
        &[&a, &b],
    ));
    assert_eq!(run.code, 1);
    let notes = run.annotations();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].starts_with("::error file=src/app.env,"));
}

#[test]
fn paths_cannot_break_out_of_an_annotation() {
    let secret = seeded_token("evil-path");
    let name = "cfg,line=1::x%\n::error::injected.env";
    let (_tmp, repo, base, head) = pr_repo(&[("a.txt", "a\n")], &[(name, &config_with(&secret))]);
    let fill = pr_fill(&base, &head);
    let run = run_step(&pr_step(&repo, &fill, &[], &[&secret]));
    assert_eq!(run.code, 1, "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with(
            "::error file=cfg%2Cline=1%3A%3Ax%25\\n%3A%3Aerror%3A%3Ainjected.env,line=3,"
        ),
        "{}",
        lines[0]
    );
}

#[test]
fn verification_fills_the_validity_column() {
    let secret = seeded_token("verify-me");
    let (_tmp, repo, base, head) =
        pr_repo(&[("a.txt", "a\n")], &[("c.env", &config_with(&secret))]);
    let provider = FakeServer::start(|_| Reply::status(200, r#"{"login":"octocat"}"#));
    let over = provider.override_for("api.github.com");
    let fill = pr_fill(&base, &head);
    let secrets = [secret.as_str()];
    let mut step = pr_step(&repo, &fill, &[("verify", "true")], &secrets);
    let env = [("KEYTRAIL_TEST_HOST_OVERRIDE", over.as_str())];
    step.env = &env;
    let run = run_step(&step);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(table_rows(&run.summary)[0][6], "**active**");
    assert!(run.annotations()[0].contains("checked: active"));
    assert_eq!(provider.requests().len(), 1);
}

#[test]
fn the_action_never_splices_inputs_into_scripts() {
    let yml = action_yml();
    let lines = run_lines(&yml);
    assert!(lines.len() > 10, "{lines:?}");
    for (n, line) in &lines {
        assert!(
            !line.contains("${{"),
            "action.yml:{n} puts an expression in a script: {line}"
        );
    }
    let workflows = Path::new(env!("CARGO_MANIFEST_DIR")).join(".github/workflows");
    for entry in std::fs::read_dir(workflows).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        for (n, line) in run_lines(&text) {
            assert!(!line.contains("${{"), "{}:{n}: {line}", path.display());
        }
    }
}

#[test]
fn every_input_reaches_a_step() {
    let yml = action_yml();
    let inputs = input_defaults(&yml);
    assert!(inputs.len() >= 12, "{inputs:?}");
    assert_eq!(inputs["fail-on"], "any");
    assert_eq!(inputs["mode"], "auto");
    for name in inputs.keys() {
        let uses = yml.matches(&format!("inputs.{name} ")).count()
            + yml.matches(&format!("inputs.{name}\n")).count();
        assert!(uses > 0, "input {name} is declared but never used");
    }
    let (env, run) = scan_step(&yml);
    assert_eq!(run, "keytrail github");
    assert!(
        env.iter()
            .any(|(k, v)| k == "INPUT_FAIL_ON" && v == "${{ inputs.fail-on }}")
    );
}

#[test]
fn a_payload_without_commit_ids_fails_clearly() {
    let (tmp, repo, _, _) = pr_repo(&[("a.txt", "a\n")], &[("b.txt", "b\n")]);
    let payload = tmp.path().join("event.json");
    std::fs::write(
        &payload,
        r#"{"pull_request": {"number": 3, "head": {"sha": "main"}}}"#,
    )
    .unwrap();
    let summary = tmp.path().join("summary.md");
    let out = crate::common::keytrail()
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .args(["github", "--event-name", "pull_request", "--event-path"])
        .arg(&payload)
        .arg("--workspace")
        .arg(&repo)
        .arg("--step-summary")
        .arg(&summary)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with(
            "::error title=keytrail::the pull_request event payload has no pull_request.base.sha"
        ),
        "{stdout}"
    );
    assert!(
        std::fs::read_to_string(&summary)
            .unwrap()
            .contains("could not scan")
    );
}

#[test]
fn the_owners_and_rules_inputs_reach_the_scan() {
    let secret = seeded_token("inputs");
    let internal = "acme_tok_0f1e2d3c4b5a69788796a5b4c3d2e1f0";
    let body = format!("{}internal = \"{internal}\"\n", config_with(&secret));
    let (tmp, repo, base, head) = pr_repo(&[("a.txt", "a\n")], &[("billing/app.env", &body)]);
    let map = tmp.path().join("owners.toml");
    std::fs::write(
        &map,
        "[[owner]]\nname = \"billing\"\npaths = [\"billing/\"]\nowners = [\"@acme/billing\"]\n",
    )
    .unwrap();
    let rules = tmp.path().join("rules.toml");
    std::fs::write(
        &rules,
        r#"[[rule]]
id = "acme.internal-token"
name = "ACME internal token"
keywords = ["acme_tok_"]
pattern = '''\b(?P<secret>acme_tok_[a-f0-9]{32})\b'''
confidence = "high"
examples = ["T=acme_tok_0f1e2d3c4b5a69788796a5b4c3d2e1f0"]
"#,
    )
    .unwrap();
    let (map, rules) = (map.display().to_string(), rules.display().to_string());
    let fill = pr_fill(&base, &head);
    let inputs = [("owners", map.as_str()), ("rules", rules.as_str())];
    let secrets = [secret.as_str(), internal];
    let run = run_step(&pr_step(&repo, &fill, &inputs, &secrets));
    assert_eq!(run.code, 1, "{}", run.stderr);
    let rows = table_rows(&run.summary);
    assert_eq!(rows.len(), 2, "{}", run.summary);
    assert!(rows.iter().any(|r| r[0].contains("acme.internal-token")));
    assert!(rows.iter().all(|r| r[5] == "@acme/billing"), "{rows:?}");
}
