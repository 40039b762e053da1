//! `keytrail github`: the scan step of the GitHub Action (`action.yml`).
//!
//! It reads the event (`GITHUB_EVENT_NAME`, `GITHUB_EVENT_PATH`) and the action's inputs
//! (`INPUT_*` variables, or the same options on the command line), makes sure the checkout has
//! the commits the event names, runs the same scan as `keytrail scan`, and reports the GitHub
//! way: an annotation per finding in the log, the job summary, a SARIF file, step outputs
//! (`GITHUB_OUTPUT`) and, when asked, one pull-request comment. The phases are: plan, prepare
//! the checkout, scan, place and classify findings, verify, report. Exit code: 0 the check
//! passes, 1 it fails under `fail-on`, 2 something could not be scanned (errors win).

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Args, Parser};
use serde_json::Value;

use super::scan::{Collected, ScanArgs};
use super::{EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, GlobalArgs};
use crate::github::api::{Api, CommentOutcome};
use crate::github::event::{EventInfo, Mode, Plan, read_event};
use crate::github::target::{self, Target};
use crate::github::{FailOn, locate};
use crate::report::github::{self as gh, Links, Row, Scope};
use crate::report::sanitize::sanitize;
use crate::report::{Format, ReportContext, write_report};
use crate::rules::RuleSet;
use crate::scan::{Finding, Fingerprint};

/// Arguments of `keytrail github`. Each option also reads the variable the action sets.
#[derive(Debug, Args)]
pub struct GithubArgs {
    /// Repository checkout to scan, relative to the workspace.
    #[arg(long, env = "INPUT_PATH", default_value = ".")]
    pub path: PathBuf,
    /// What to scan: the event's range (auto), only a range (diff), or all history (full).
    #[arg(long, env = "INPUT_MODE", value_enum, default_value_t = Mode::Auto)]
    pub mode: Mode,
    /// When the check fails: any finding, only new secrets, or never.
    #[arg(long, env = "INPUT_FAIL_ON", value_enum, default_value_t = FailOn::Any)]
    pub fail_on: FailOn,
    /// Extra rule files or directories (one per line, or comma-separated).
    #[arg(long, env = "INPUT_RULES", default_value = "")]
    pub rules: String,
    /// Owners map to attribute findings with (passed to the scan as --owners).
    #[arg(long, env = "INPUT_OWNERS", default_value = "")]
    pub owners: String,
    /// Ledger to record findings in (a SQLite path or a postgres:// URL).
    #[arg(long, env = "INPUT_LEDGER", default_value = "", hide_env_values = true)]
    pub ledger: String,
    /// Paths to leave out, gitignore-style (one per line, or comma-separated).
    #[arg(long, env = "INPUT_EXCLUDE", default_value = "")]
    pub exclude: String,
    /// Ask each secret's provider whether it still works (off by default).
    #[arg(long, env = "INPUT_VERIFY", default_value = "false", value_parser = parse_switch, action = clap::ArgAction::Set)]
    pub verify: bool,
    /// Keep one comment on the pull request up to date (needs pull-requests: write).
    #[arg(long, env = "INPUT_COMMENT", default_value = "false", value_parser = parse_switch, action = clap::ArgAction::Set)]
    pub comment: bool,
    /// Where to write the SARIF file (default: keytrail.sarif in RUNNER_TEMP).
    #[arg(long, env = "INPUT_SARIF_FILE", default_value = "")]
    pub sarif_file: String,
    /// The event's name.
    #[arg(long, env = "GITHUB_EVENT_NAME", default_value = "workflow_dispatch")]
    pub event_name: String,
    /// The event payload (JSON).
    #[arg(long, env = "GITHUB_EVENT_PATH")]
    pub event_path: Option<PathBuf>,
    /// The workspace the checkout is in (default: the current directory).
    #[arg(long, env = "GITHUB_WORKSPACE")]
    pub workspace: Option<PathBuf>,
    /// File the job summary is appended to.
    #[arg(long, env = "GITHUB_STEP_SUMMARY")]
    pub step_summary: Option<PathBuf>,
    /// File the step outputs are appended to.
    #[arg(long, env = "GITHUB_OUTPUT")]
    pub output_file: Option<PathBuf>,
    /// REST API root.
    #[arg(long, env = "GITHUB_API_URL", default_value = "https://api.github.com")]
    pub api_url: String,
    /// Web root, for links in the summary and comment.
    #[arg(long, env = "GITHUB_SERVER_URL", default_value = "https://github.com")]
    pub server_url: String,
    /// `owner/name`.
    #[arg(long, env = "GITHUB_REPOSITORY")]
    pub repository: Option<String>,
    /// Temporary directory of the runner (the SARIF file's default home).
    #[arg(long, env = "RUNNER_TEMP", hide = true)]
    pub runner_temp: Option<PathBuf>,
}

/// Reads an action's boolean input: true/false, yes/no, on/off, 1/0 (empty is false).
fn parse_switch(text: &str) -> Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => Ok(true),
        "false" | "no" | "off" | "0" | "" => Ok(false),
        _ => Err(format!("{text:?} is not true or false")),
    }
}

/// Splits a list input: one item per line or comma-separated, blanks dropped.
fn list(text: &str) -> Vec<String> {
    text.split(['\n', ','])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Runs `keytrail github`.
pub fn run(args: GithubArgs, global: &GlobalArgs) -> Result<u8> {
    let workspace = match &args.workspace {
        Some(w) => w.clone(),
        None => std::env::current_dir().context("cannot read the current directory")?,
    };
    let repo_dir = workspace.join(&args.path);
    let event = match read_payload(&args) {
        Ok(e) => e,
        Err(e) => return could_not_scan(&args, &e),
    };
    let title = scope_title(&event);
    let target = match target::prepare(&repo_dir, &event) {
        Ok(Some(t)) => t,
        Ok(None) => return nothing_to_scan(&args, &event, &title),
        Err(e) => return could_not_scan(&args, &e.into()),
    };
    if let Some(note) = &target.note {
        eprintln!("keytrail: {}", sanitize(note));
    }
    eprintln!("keytrail: {}: scanning {}", event.name, target.describe());
    let (rules, mut collected) = match scan_target(&args, &repo_dir, &target, global) {
        Ok(r) => r,
        Err(e) => return could_not_scan(&args, &e),
    };
    let old = classify(&repo_dir, &target, &mut collected.findings);
    prefix_paths(&workspace, &repo_dir, &mut collected.findings);
    let rows = rows(&collected.findings, &old);
    let scope = scope(&args, title, &target, &rows, &workspace, &repo_dir);
    report(&args, &event, &scope, &rows, &rules, &collected)?;
    Ok(if collected.summary.errors > 0 {
        EXIT_ERROR
    } else if scope.fails {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    })
}

/// Runs the same scan as `keytrail scan` over the target.
fn scan_target(
    args: &GithubArgs,
    repo_dir: &Path,
    target: &Target,
    global: &GlobalArgs,
) -> Result<(RuleSet, Collected)> {
    let mut scan_args = scan_args(args, repo_dir, target)?;
    super::scan::scan(&mut scan_args, global)
}

fn rows<'f>(findings: &'f [Finding], old: &HashSet<Fingerprint>) -> Vec<Row<'f>> {
    findings
        .iter()
        .map(|f| Row {
            finding: f,
            is_new: !old.contains(&f.fingerprint),
        })
        .collect()
}

fn scope(
    args: &GithubArgs,
    title: String,
    target: &Target,
    rows: &[Row<'_>],
    workspace: &Path,
    repo_dir: &Path,
) -> Scope {
    let new = rows.iter().filter(|r| r.is_new).count();
    Scope {
        title,
        range: target.range.clone(),
        history_of: target.history_of.clone(),
        fail_on: args.fail_on,
        fails: args.fail_on.fails(rows.len(), new),
        links: links(args, workspace, repo_dir, target.head.as_deref()),
    }
}

/// Reads the event payload and what it asks to scan.
fn read_payload(args: &GithubArgs) -> Result<EventInfo> {
    let payload: Value = match &args.event_path {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read the event payload {}", p.display()))?;
            serde_json::from_str(&text)
                .with_context(|| format!("the event payload {} is not JSON", p.display()))?
        }
        None => Value::Object(Default::default()),
    };
    Ok(read_event(&args.event_name, &payload, args.mode)?)
}

fn scope_title(event: &EventInfo) -> String {
    match (&event.plan, event.pull_request) {
        (Plan::Full, _) => "the full history".into(),
        (_, Some(n)) => format!("pull request #{n}"),
        _ if event.name == "merge_group" => "this merge group".into(),
        _ if event.name == "push" => "this push".into(),
        _ => format!("this {} event", event.name),
    }
}

/// The `keytrail scan` arguments for the target, with the inputs.
fn scan_args(args: &GithubArgs, repo_dir: &Path, target: &Target) -> Result<ScanArgs> {
    let mut argv: Vec<String> = vec!["keytrail-scan".into()];
    match (&target.range, &target.history_of) {
        (Some((base, head)), _) => argv.extend(["--range".into(), format!("{base}..{head}")]),
        (None, Some(head)) => argv.extend(["--git".into(), "--ref".into(), head.clone()]),
        (None, None) => argv.push("--git".into()),
    }
    for r in list(&args.rules) {
        argv.extend(["--rules".into(), r]);
    }
    for e in list(&args.exclude) {
        argv.extend(["--exclude".into(), e]);
    }
    if !args.owners.trim().is_empty() {
        argv.extend(["--owners".into(), args.owners.trim().to_string()]);
    }
    if args.verify {
        argv.push("--verify".into());
    }
    if !args.ledger.trim().is_empty() {
        argv.push(format!("--ledger={}", args.ledger.trim()));
    }
    argv.push("--".into());
    argv.push(repo_dir.display().to_string());
    let parsed = ScanCommand::try_parse_from(&argv)
        .map_err(|e| anyhow::anyhow!("{}", e.render().to_string().trim_end()))
        .context("the action's inputs do not make a valid scan")?;
    Ok(parsed.args)
}

/// `keytrail scan`'s arguments on their own, for building them from the action's inputs.
#[derive(Debug, Parser)]
struct ScanCommand {
    #[command(flatten)]
    args: ScanArgs,
}

/// Moves range findings to the head's lines and returns the secrets already at the base.
fn classify(repo_dir: &Path, target: &Target, findings: &mut [Finding]) -> HashSet<Fingerprint> {
    let Some((base, head)) = &target.range else {
        return HashSet::new();
    };
    let Ok(repo) = git2::Repository::open(repo_dir) else {
        return HashSet::new();
    };
    let (Ok(base), Ok(head)) = (git2::Oid::from_str(base), git2::Oid::from_str(head)) else {
        return HashSet::new();
    };
    locate::relocate_at_head(&repo, head, findings);
    findings.sort_by(|a, b| (&a.path, a.span).cmp(&(&b.path, b.span)));
    locate::already_at_base(&repo, base, head, findings)
}

/// Makes finding paths relative to the workspace when the checkout is in a subdirectory of it.
fn prefix_paths(workspace: &Path, repo_dir: &Path, findings: &mut [Finding]) {
    let prefix = repo_prefix(workspace, repo_dir);
    if prefix.is_empty() {
        return;
    }
    for f in findings {
        f.path = format!("{prefix}{}", f.path);
    }
}

/// `sub/dir/` for a checkout at `workspace/sub/dir`, else empty.
fn repo_prefix(workspace: &Path, repo_dir: &Path) -> String {
    let (Ok(w), Ok(r)) = (workspace.canonicalize(), repo_dir.canonicalize()) else {
        return String::new();
    };
    match r.strip_prefix(&w) {
        Ok(rel) if !rel.as_os_str().is_empty() => {
            format!("{}/", rel.to_string_lossy().replace('\\', "/"))
        }
        _ => String::new(),
    }
}

fn links(
    args: &GithubArgs,
    workspace: &Path,
    repo_dir: &Path,
    head: Option<&str>,
) -> Option<Links> {
    let repository = args.repository.as_deref()?;
    let server = args.server_url.trim_end_matches('/');
    let valid_repo = repository.split('/').count() == 2
        && repository
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b));
    if !valid_repo || !(server.starts_with("https://") || server.starts_with("http://")) {
        return None;
    }
    Some(Links {
        server: server.to_string(),
        repository: repository.to_string(),
        head: head?.to_string(),
        strip: repo_prefix(workspace, repo_dir),
    })
}

/// Annotations, SARIF, summary, outputs and the comment.
fn report(
    args: &GithubArgs,
    event: &EventInfo,
    scope: &Scope,
    rows: &[Row<'_>],
    rules: &RuleSet,
    collected: &Collected,
) -> Result<()> {
    let mut out = std::io::stdout().lock();
    for row in rows {
        let fails = match scope.fail_on {
            FailOn::Any => true,
            FailOn::New => row.is_new,
            FailOn::Never => false,
        };
        writeln!(out, "{}", gh::annotation(row, fails))?;
    }
    out.flush()?;
    let sarif = sarif_path(args);
    write_sarif(&sarif, rules, collected)?;
    append(args.step_summary.as_deref(), &gh::job_summary(scope, rows))?;
    let new = rows.iter().filter(|r| r.is_new).count();
    write_outputs(args, rows.len(), new, Some(&sarif))?;
    eprintln!(
        "keytrail: {} finding(s), {new} new, in {}; the check {} (fail-on: {})",
        rows.len(),
        scope.title,
        if scope.fails { "fails" } else { "passes" },
        scope.fail_on.as_str()
    );
    comment(args, event, gh::comment_body(scope, rows), !rows.is_empty());
    Ok(())
}

fn sarif_path(args: &GithubArgs) -> PathBuf {
    if !args.sarif_file.trim().is_empty() {
        return PathBuf::from(args.sarif_file.trim());
    }
    args.runner_temp
        .clone()
        .unwrap_or_else(std::env::temp_dir)
        .join("keytrail.sarif")
}

fn write_sarif(path: &Path, rules: &RuleSet, c: &Collected) -> Result<()> {
    let ctx = ReportContext {
        rules,
        summary: &c.summary,
        show_secrets: false,
        errors: &c.errors,
    };
    let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut w = BufWriter::new(file);
    write_report(&mut w, Format::Sarif, &c.findings, &ctx)?;
    w.flush()
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Appends `text` to a GitHub file (summary, outputs); nothing when the variable is unset.
fn append(path: Option<&Path>, text: &str) -> Result<()> {
    let Some(path) = path else {
        return Ok(());
    };
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    f.write_all(text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
}

fn write_outputs(
    args: &GithubArgs,
    findings: usize,
    new: usize,
    sarif: Option<&Path>,
) -> Result<()> {
    let mut text = gh::output_line("findings", &findings.to_string());
    text.push_str(&gh::output_line("new-findings", &new.to_string()));
    if let Some(s) = sarif {
        text.push_str(&gh::output_line("sarif", &s.display().to_string()));
    }
    append(args.output_file.as_deref(), &text)
}

/// Keeps the pull-request comment up to date; a failure is a warning, never the check's result.
fn comment(args: &GithubArgs, event: &EventInfo, body: String, create: bool) {
    let Some(number) = event.pull_request.filter(|_| args.comment) else {
        return;
    };
    let outcome =
        comment_client(args).and_then(|api| Ok(api.upsert_comment(number, &body, create)?));
    match outcome {
        Ok(CommentOutcome::Created(_)) => {
            eprintln!("keytrail: commented on pull request #{number}")
        }
        Ok(CommentOutcome::Updated(_)) => {
            eprintln!("keytrail: updated the comment on pull request #{number}")
        }
        Ok(CommentOutcome::Skipped) => {}
        Err(e) => println!(
            "{}",
            gh::warning_command(&format!("cannot comment on pull request #{number}: {e:#}"))
        ),
    }
}

fn comment_client(args: &GithubArgs) -> Result<Api> {
    let token = std::env::var("GITHUB_TOKEN")
        .ok()
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| anyhow::anyhow!("GITHUB_TOKEN is not set (the action's token input)"))?;
    let repo = args
        .repository
        .as_deref()
        .ok_or_else(|| anyhow::anyhow!("GITHUB_REPOSITORY is not set"))?;
    Ok(Api::new(&args.api_url, repo, token)?)
}

fn nothing_to_scan(args: &GithubArgs, event: &EventInfo, title: &str) -> Result<u8> {
    let reason = match &event.plan {
        Plan::Nothing { reason } => reason.as_str(),
        _ => "nothing to scan",
    };
    eprintln!("keytrail: {}: nothing to scan: {reason}", event.name);
    append(
        args.step_summary.as_deref(),
        &gh::nothing_summary(title, reason),
    )?;
    write_outputs(args, 0, 0, None)?;
    Ok(EXIT_CLEAN)
}

fn could_not_scan(args: &GithubArgs, e: &anyhow::Error) -> Result<u8> {
    let message = format!("{e:#}");
    println!("{}", gh::error_command(&message));
    eprintln!("keytrail: error: {}", sanitize(&message));
    append(args.step_summary.as_deref(), &gh::error_summary(&message))?;
    Ok(EXIT_ERROR)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switches_and_lists() {
        assert_eq!(parse_switch("TRUE"), Ok(true));
        assert_eq!(parse_switch(""), Ok(false));
        assert!(parse_switch("maybe").is_err());
        assert_eq!(list("a, b\n\nc\n"), vec!["a", "b", "c"]);
        assert!(list("  ").is_empty());
    }
}
