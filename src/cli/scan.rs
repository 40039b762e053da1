//! `keytrail scan`: walk, scan, collect, attribute, report, exit code.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::ledger::LedgerArgs;
use super::record;
use super::{EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, GlobalArgs, is_broken_pipe};
use crate::report::sanitize::sanitize;
use crate::report::{Format, ReportContext, write_report};
use crate::rules::RuleId;
use crate::rules::{Confidence, RuleSet, load_ruleset};
use crate::scan::ignore::IgnoreList;
use crate::scan::{Finding, Span, Summary};
use crate::source::Event;
use crate::source::git::state::{StateDir, StateStore};
use crate::source::git::{GitMode, GitOptions, mark_still_at_head, scan_repo};
use crate::source::walk::{WalkOptions, walk};

/// Findings and events waiting for the collector; bounds memory when the collector lags.
const CHANNEL_CAPACITY: usize = 1024;

/// Arguments of `keytrail scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files and directories to scan (default: the current directory).
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(short = 'j', long)]
    pub threads: Option<usize>,
    /// Extra rule file or directory of rule files (repeatable).
    #[arg(long, value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    /// Use only the rules given with --rules.
    #[arg(long)]
    pub no_builtin_rules: bool,
    /// Leave out paths matching a gitignore-style glob (repeatable); in git scans, over
    /// repository paths.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Skip files larger than this (bytes, or with K/M/G suffix).
    #[arg(long, value_name = "SIZE", default_value = "10M", value_parser = parse_size)]
    pub max_file_size: u64,
    /// Honour .gitignore and .ignore files (by default ignored files are scanned too).
    #[arg(long)]
    pub gitignore: bool,
    /// Follow symbolic links.
    #[arg(long)]
    pub follow: bool,
    /// Lowest confidence to report.
    #[arg(long, value_enum, default_value_t = MinConfidence::Medium)]
    pub min_confidence: MinConfidence,
    /// Print secrets in plain text instead of redacted.
    #[arg(long)]
    pub show_secrets: bool,
    /// Owners map to use instead of each repository's keytrail.toml.
    #[arg(long, value_name = "FILE")]
    pub owners: Option<PathBuf>,
    /// Treat each PATH as a git repository and scan its full history (all refs).
    #[arg(long, help_heading = "Git")]
    pub git: bool,
    /// Scan only these refs or revisions (repeatable; default: every ref and HEAD).
    #[arg(long = "ref", value_name = "REF", help_heading = "Git")]
    pub refs: Vec<String>,
    /// Scan only what BASE..HEAD adds: the added lines of its commits.
    #[arg(long, value_name = "BASE..HEAD", conflicts_with_all = ["since", "staged", "worktree"], help_heading = "Git")]
    pub range: Option<String>,
    /// Scan only what REV..HEAD adds.
    #[arg(long, value_name = "REV", conflicts_with_all = ["staged", "worktree"], help_heading = "Git")]
    pub since: Option<String>,
    /// Scan only what is staged in the index (for a pre-commit hook).
    #[arg(long, conflicts_with = "worktree", help_heading = "Git")]
    pub staged: bool,
    /// Scan what the working tree changes relative to HEAD, staged or not.
    #[arg(long, help_heading = "Git")]
    pub worktree: bool,
    /// Remember what was scanned; a later scan of the same repository reads only new commits.
    #[arg(long, help_heading = "Git")]
    pub incremental: bool,
    /// Where --incremental keeps its state (default: the user data directory).
    #[arg(
        long,
        value_name = "DIR",
        env = "KEYTRAIL_STATE_DIR",
        help_heading = "Git"
    )]
    pub state_dir: Option<PathBuf>,
    /// Also scan the repositories listed in FILE, one path per line.
    #[arg(long, value_name = "FILE", help_heading = "Many repositories")]
    pub repos_from: Option<PathBuf>,
    /// Scan only this worker's share I of N of the --repos-from list (deterministic split).
    #[arg(long, value_name = "I/N", requires = "repos_from", value_parser = record::parse_shard, help_heading = "Many repositories")]
    pub shard: Option<(u64, u64)>,
    /// The name the ledger files a single scanned repository under (default: its origin
    /// remote, else its absolute path).
    #[arg(long, value_name = "NAME", help_heading = "Ledger")]
    pub repo_name: Option<String>,
    #[command(flatten, next_help_heading = "Ledger")]
    pub ledger: LedgerArgs,
    /// Ask each finding's provider whether the secret still works (network: only toward the
    /// hosts the validators name).
    #[arg(long, help_heading = "Verification")]
    pub verify: bool,
    #[command(flatten, next_help_heading = "Verification")]
    pub net: super::verify::NetArgs,
    /// Secrets to leave out, by value hash (besides each path's .keytrailignore; repeatable).
    #[arg(long, value_name = "FILE")]
    pub ignore_file: Vec<PathBuf>,
}

/// `--min-confidence` values.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum MinConfidence {
    /// Everything.
    Low,
    /// Medium and high.
    Medium,
    /// Only high.
    High,
}

impl MinConfidence {
    fn admits(self, c: Confidence) -> bool {
        let floor = match self {
            MinConfidence::Low => Confidence::Low,
            MinConfidence::Medium => Confidence::Medium,
            MinConfidence::High => Confidence::High,
        };
        c >= floor
    }
}

/// Parses `1048576`, `512K`, `10M`, `1G` (binary units).
fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let (digits, mult) = match t.chars().last().map(|c| c.to_ascii_uppercase()) {
        Some('K') => (&t[..t.len() - 1], 1u64 << 10),
        Some('M') => (&t[..t.len() - 1], 1 << 20),
        Some('G') => (&t[..t.len() - 1], 1 << 30),
        _ => (t, 1),
    };
    digits
        .trim()
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| format!("{text:?} is not a size (e.g. 1048576, 512K, 10M)"))
}

/// What the collector gathered from the workers.
#[derive(Default)]
pub(super) struct Collected {
    /// The findings, filtered and sorted.
    pub(super) findings: Vec<Finding>,
    /// The scan's counts.
    pub(super) summary: Summary,
    /// Messages of what could not be read.
    pub(super) errors: Vec<String>,
}

/// Runs `keytrail scan`.
pub fn run(mut args: ScanArgs, global: &GlobalArgs) -> Result<u8> {
    let (rules, collected) = scan(&mut args, global)?;
    match write_output(&args, &rules, &collected) {
        Ok(()) => {}
        Err(e) if is_broken_pipe(&e) => return Ok(exit_code(&collected)),
        Err(e) => return Err(e),
    }
    if args.format != Format::Human && !global.quiet {
        eprintln!(
            "{}",
            crate::report::summary_line(&collected.findings, &collected.summary)
        );
    }
    Ok(exit_code(&collected))
}

/// The scan without its report: rules, paths, scan, ignores, filters and the ledger. Other
/// commands (`keytrail github`) run it and report in their own way.
pub(super) fn scan(args: &mut ScanArgs, global: &GlobalArgs) -> Result<(RuleSet, Collected)> {
    let started = Instant::now();
    let rules = load_ruleset(!args.no_builtin_rules, &args.rules)?;
    for w in rules.warnings() {
        eprintln!("keytrail: warning: {}", sanitize(w));
    }
    if let Some(file) = &args.repos_from {
        args.paths.extend(record::repos_from(file, args.shard)?);
    } else if args.paths.is_empty() {
        args.paths.push(PathBuf::from("."));
    }
    let roots = record::roots(&args.paths, args.repo_name.as_deref())?;
    let (ignores, bad_lines) = record::load_ignores(&roots, &args.ignore_file)?;
    for w in &bad_lines {
        eprintln!("keytrail: warning: {}", sanitize(w));
    }
    let ledger = match &args.ledger.ledger {
        Some(_) => Some(Arc::new(Mutex::new(args.ledger.open(global)?))),
        None => None,
    };
    let git = args.git_mode()?.is_some();
    let map = super::owners::load_map_file(args.owners.as_deref())?;
    let paths = args.paths.clone();
    let rules_of_owners =
        thread::spawn(move || super::owners::prepare_attribution(&paths, git, map.as_ref()));
    let progress = progress_bar(global.quiet);
    let mut collected = scan_paths(args, &rules, ledger.as_ref(), &progress, global.quiet)?;
    progress.finish_and_clear();
    collected.summary.warnings += bad_lines.len() as u64;
    drop_ignored(&mut collected, &ignores);
    filter_and_sort(&mut collected, args.min_confidence);
    let attributor = rules_of_owners
        .join()
        .map_err(|_| anyhow::anyhow!("the thread reading ownership rules panicked"))?;
    super::owners::attribute_stage(attributor, &mut collected.findings, &mut collected.summary);
    collected.summary.elapsed = started.elapsed();
    if args.verify {
        super::verify::verify_findings(&mut collected.findings, &args.net)?;
    }
    if let Some(ledger) = &ledger {
        persist(args, ledger, &roots, &collected, global.quiet)?;
    }
    Ok((rules, collected))
}

/// Records the findings in the ledger and says what changed.
fn persist(
    args: &ScanArgs,
    ledger: &record::SharedLedger,
    roots: &[record::Root],
    c: &Collected,
    quiet: bool,
) -> Result<()> {
    let kind = record::scan_kind(args.git_mode()?.as_ref(), args.incremental);
    let finished = c.summary.errors == 0;
    let r = record::record(ledger, roots, kind, finished, &c.findings)?;
    record::record_checks(ledger, &c.findings)?;
    if !quiet {
        eprintln!(
            "keytrail: ledger: {} new secret(s), {} new place(s), {} reopened, {} no longer in code",
            r.new_secrets, r.new_findings, r.reopened, r.removed
        );
    }
    Ok(())
}

/// Leaves out findings whose value `.keytrailignore` names.
fn drop_ignored(c: &mut Collected, ignores: &IgnoreList) {
    if ignores.is_empty() {
        return;
    }
    let before = c.findings.len();
    c.findings.retain(|f| !ignores.is_ignored(f.secret.plain()));
    c.summary.findings_ignored = (before - c.findings.len()) as u64;
}

fn exit_code(c: &Collected) -> u8 {
    if c.summary.errors > 0 {
        EXIT_ERROR
    } else if c.findings.is_empty() {
        EXIT_CLEAN
    } else {
        EXIT_FINDINGS
    }
}

fn progress_bar(quiet: bool) -> ProgressBar {
    if quiet || !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template("{spinner} scanning: {bytes} ({bytes_per_sec})")
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    bar.set_style(style);
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

impl ScanArgs {
    /// The git mode these arguments ask for, if any.
    fn git_mode(&self) -> Result<Option<GitMode>> {
        if let Some(range) = &self.range {
            let (base, head) = range
                .split_once("..")
                .filter(|(b, h)| !b.is_empty() && !h.starts_with('.'))
                .ok_or_else(|| anyhow::anyhow!("--range takes BASE..HEAD, got {range:?}"))?;
            let head = if head.is_empty() { "HEAD" } else { head };
            return Ok(Some(GitMode::Range {
                base: base.into(),
                head: head.into(),
            }));
        }
        if let Some(base) = &self.since {
            return Ok(Some(GitMode::Range {
                base: base.clone(),
                head: "HEAD".into(),
            }));
        }
        Ok(if self.staged {
            Some(GitMode::Staged)
        } else if self.worktree {
            Some(GitMode::Worktree)
        } else if self.git || !self.refs.is_empty() || self.incremental {
            Some(GitMode::History)
        } else {
            None
        })
    }

    fn threads(&self) -> usize {
        self.threads.unwrap_or_else(default_threads)
    }
}

/// Scans the paths (directories or repositories) while this thread collects their events.
fn scan_paths(
    args: &ScanArgs,
    rules: &RuleSet,
    ledger: Option<&record::SharedLedger>,
    progress: &ProgressBar,
    quiet: bool,
) -> Result<Collected> {
    match args.git_mode()? {
        Some(mode) => scan_repos(args, mode, rules, ledger, progress, quiet),
        None => scan_dirs(args, rules, progress, quiet),
    }
}

fn scan_repos(
    args: &ScanArgs,
    mode: GitMode,
    rules: &RuleSet,
    ledger: Option<&record::SharedLedger>,
    progress: &ProgressBar,
    quiet: bool,
) -> Result<Collected> {
    let state: Option<Arc<dyn StateStore>> = match (args.incremental, &args.state_dir) {
        (false, _) => None,
        // With a ledger, the ledger holds the state for every scanner that shares it.
        (true, _) if ledger.is_some() => {
            ledger.map(|l| Arc::new(record::LedgerState(l.clone())) as Arc<dyn StateStore>)
        }
        (true, Some(dir)) => Some(Arc::new(StateDir(dir.clone()))),
        (true, None) => Some(Arc::new(StateDir(
            dirs::data_dir()
                .ok_or_else(|| anyhow::anyhow!("no user data directory: give --state-dir"))?
                .join("keytrail")
                .join("history"),
        ))),
    };
    let opts = GitOptions {
        mode,
        refs: args.refs.clone(),
        threads: args.threads(),
        max_file_size: args.max_file_size,
        state,
        excludes: args.exclude.clone(),
    };
    let (mut collected, outcomes) = collecting(progress, quiet, |tx| {
        let mut outcomes = Vec::new();
        for path in &args.paths {
            match scan_repo(path, &opts, rules, tx, progress) {
                Ok(o) => outcomes.push(o),
                Err(e) => {
                    let _ = tx.send(Event::Error(e.to_string()));
                    let _ = tx.send(Event::Done(Summary {
                        errors: 1,
                        ..Summary::default()
                    }));
                }
            }
        }
        outcomes
    })?;
    for outcome in &outcomes {
        mark_still_at_head(&mut collected.findings, outcome);
    }
    Ok(collected)
}

/// Walks directories on worker threads while this thread collects their events.
fn scan_dirs(
    args: &ScanArgs,
    rules: &RuleSet,
    progress: &ProgressBar,
    quiet: bool,
) -> Result<Collected> {
    let opts = WalkOptions {
        paths: args.paths.clone(),
        threads: args.threads(),
        max_file_size: args.max_file_size,
        excludes: args.exclude.clone(),
        follow_links: args.follow,
        respect_gitignore: args.gitignore,
    };
    let (collected, walked) = collecting(progress, quiet, |tx| walk(&opts, rules, tx, progress))?;
    walked?;
    Ok(collected)
}

/// Runs `produce` with the sending end of a bounded channel while a collector thread gathers
/// what it sends; returns what was collected and what `produce` returned.
fn collecting<R>(
    progress: &ProgressBar,
    quiet: bool,
    produce: impl FnOnce(&crossbeam_channel::Sender<Event>) -> R,
) -> Result<(Collected, R)> {
    let (tx, rx) = crossbeam_channel::bounded(CHANNEL_CAPACITY);
    thread::scope(|s| {
        let collector = s.spawn(move || collect(rx, progress, quiet));
        let produced = produce(&tx);
        drop(tx);
        let collected = collector
            .join()
            .map_err(|_| anyhow::anyhow!("the collector thread panicked"))?;
        Ok((collected, produced))
    })
}

fn default_threads() -> usize {
    thread::available_parallelism().map_or(1, usize::from)
}

/// Gathers events until every worker hangs up. Problems are told to the user as they come.
fn collect(
    rx: crossbeam_channel::Receiver<Event>,
    progress: &ProgressBar,
    quiet: bool,
) -> Collected {
    let mut c = Collected::default();
    for event in rx {
        match event {
            Event::Findings(f) => c.findings.extend(f),
            Event::Skipped(path, reason) => {
                tracing::debug!(path = %sanitize(&path), ?reason, "skipped");
            }
            Event::Error(msg) => {
                progress.suspend(|| eprintln!("keytrail: error: {}", sanitize(&msg)));
                c.errors.push(msg);
            }
            Event::Warning(msg) => {
                progress.suspend(|| eprintln!("keytrail: warning: {}", sanitize(&msg)));
            }
            Event::Note(msg) if !quiet => {
                progress.suspend(|| eprintln!("keytrail: {}", sanitize(&msg)));
            }
            Event::Note(_) => {}
            Event::Done(s) => c.summary.merge(&s),
        }
    }
    c
}

fn filter_and_sort(c: &mut Collected, min: MinConfidence) {
    let before = c.findings.len();
    c.findings.retain(|f| min.admits(f.confidence));
    c.summary.findings_below_confidence = (before - c.findings.len()) as u64;
    c.summary.findings = c.findings.len() as u64;
    // Repository, blob and commit settle ties between history findings at one path and place,
    // so that a report does not depend on the order the workers finished in.
    c.findings.sort_by(|a, b| order_key(a).cmp(&order_key(b)));
}

/// Where a finding sorts in a report.
fn order_key(
    f: &Finding,
) -> (
    &str,
    Span,
    &RuleId,
    Option<&str>,
    Option<&str>,
    Option<&str>,
) {
    let commit = f.commit.as_ref().map(|c| c.id.as_str());
    let (repo, blob) = (f.repository.as_deref(), f.blob.as_deref());
    (&f.path, f.span, &f.rule_id, repo, blob, commit)
}

fn write_output(args: &ScanArgs, rules: &RuleSet, c: &Collected) -> Result<()> {
    let ctx = ReportContext {
        rules,
        summary: &c.summary,
        show_secrets: args.show_secrets,
        errors: &c.errors,
    };
    match &args.output {
        Some(path) => {
            let file =
                File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
            let mut out = BufWriter::new(file);
            write_report(&mut out, args.format, &c.findings, &ctx)?;
            out.flush()
                .with_context(|| format!("cannot write {}", path.display()))?;
            if args.format == Format::Human {
                eprintln!("{}", crate::report::summary_line(&c.findings, &c.summary));
            }
        }
        None => {
            let stdout = io::stdout();
            let mut out = BufWriter::new(stdout.lock());
            write_report(&mut out, args.format, &c.findings, &ctx)?;
            out.flush()?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_size("1024"), Ok(1024));
        assert_eq!(parse_size("512K"), Ok(512 << 10));
        assert_eq!(parse_size("10m"), Ok(10 << 20));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert!(parse_size("ten").is_err());
        assert!(parse_size("99999999999999999999G").is_err());
    }

    /// The same secret at the same place of a path in two blobs of a history: the report lists
    /// them by blob, whichever worker sent its finding first.
    #[test]
    fn ties_sort_by_blob_and_commit() {
        let rules = crate::rules::load_ruleset(true, &[]).expect("built-in rules");
        let mut scanner = crate::scan::BlobScanner::new(&rules);
        let found = scanner.scan(
            "app.env",
            b"DEPLOY_TOKEN=R7dKq2mX9vLp4sTzW8nB3cYhJ6fA1eU5oQ0i\n",
        );
        assert_eq!(found.len(), 1, "{found:?}");
        let with_blob = |blob: &str| {
            let mut f = found[0].clone();
            f.blob = Some(blob.to_string());
            f
        };
        for order in [["b2", "a1"], ["a1", "b2"]] {
            let mut c = Collected {
                findings: order.iter().map(|b| with_blob(b)).collect(),
                ..Collected::default()
            };
            filter_and_sort(&mut c, MinConfidence::Medium);
            let blobs: Vec<_> = c.findings.iter().map(|f| f.blob.as_deref()).collect();
            assert_eq!(blobs, [Some("a1"), Some("b2")]);
        }
    }
}
