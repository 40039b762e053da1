//! Command-line interface: clap definitions and one module per subcommand. Each subcommand maps
//! its arguments onto the library and returns an exit code; no scanning logic lives here.

mod github;
mod ledger;
mod metrics;
mod owners;
mod record;
mod rules;
mod scan;
mod verify;

use std::process::ExitCode;

use clap::{Args as ClapArgs, Parser, Subcommand};

/// Exit code: the command ran and found nothing.
pub const EXIT_CLEAN: u8 = 0;
/// Exit code: the command ran and found secrets.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit code: something went wrong (wins over findings).
pub const EXIT_ERROR: u8 = 2;

/// keytrail: find leaked secrets, name their owners, track them until revoked.
#[derive(Debug, Parser)]
#[command(name = "keytrail", version, about, propagate_version = true)]
pub struct Args {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every subcommand takes.
#[derive(Debug, ClapArgs)]
pub struct GlobalArgs {
    /// More log output on stderr (-v info, -vv debug, -vvv trace). KEYTRAIL_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors on stderr; no progress bar or summary.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Use this time as "now" for ledger events and ages (RFC 3339, or a date).
    #[arg(long, global = true, value_name = "TIME", value_parser = parse_time)]
    pub now: Option<i64>,
}

/// Reads `2026-03-01T12:00:00Z` or `2026-03-01` (midnight UTC) into seconds since the epoch.
fn parse_time(text: &str) -> Result<i64, String> {
    if let Ok(t) = text.parse::<jiff::Timestamp>() {
        return Ok(t.as_second());
    }
    text.parse::<jiff::civil::Date>()
        .ok()
        .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC).ok())
        .map(|z| z.timestamp().as_second())
        .ok_or_else(|| format!("{text:?} is not a time (e.g. 2026-03-01T12:00:00Z or 2026-03-01)"))
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files and directories for secrets.
    Scan(Box<scan::ScanArgs>),
    /// List and check rules.
    #[command(subcommand)]
    Rules(rules::RulesCommand),
    /// Triage the secrets a ledger tracks.
    #[command(subcommand)]
    Ledger(ledger::LedgerCommand),
    /// Print the .keytrailignore line for each secret value read from standard input.
    Ignore,
    /// Ask providers whether the ledger's unresolved secrets still work; close dead ones.
    Verify(verify::VerifyArgs),
    /// Revoke a secret through its provider's self-service API, then check it.
    Revoke(verify::RevokeArgs),
    /// Tell owners about unresolved secrets they have not been told about.
    Notify(verify::NotifyArgs),
    /// Time-to-revoke, survival and other lifecycle figures from the ledger.
    Metrics(metrics::MetricsArgs),
    /// The ledger's unresolved secrets grouped by owner, as one HTML page.
    Report(metrics::ReportArgs),
    /// Explain and check ownership rules (CODEOWNERS, owners map).
    #[command(subcommand)]
    Owners(owners::OwnersCommand),
    /// Scan what a GitHub Actions event adds and report the GitHub way (the action's step).
    Github(Box<github::GithubArgs>),
}

/// Sets up `tracing` on stderr: `KEYTRAIL_LOG` if set, else a level from -v / -q.
pub fn init_logging(global: &GlobalArgs) {
    let default = match (global.quiet, global.verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        _ => "trace",
    };
    let mut filter = tracing_subscriber::EnvFilter::try_from_env("KEYTRAIL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // The HTTP stack logs request paths and queries at trace level, and a validator's URL can
    // hold the secret (`/bot<token>/getMe`): its logs are never shown, whatever the level.
    for quiet in ["ureq=off", "ureq_proto=off", "rustls=off"] {
        if let Ok(d) = quiet.parse() {
            filter = filter.add_directive(d);
        }
    }
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .try_init();
}

/// Runs the parsed command and returns the process exit code.
pub fn run(args: Args) -> ExitCode {
    let result = match args.command {
        Command::Scan(a) => scan::run(*a, &args.global),
        Command::Rules(c) => rules::run(c),
        Command::Ledger(c) => ledger::run(c, &args.global),
        Command::Ignore => ignore_lines(),
        Command::Verify(a) => verify::run_verify(a, &args.global),
        Command::Revoke(a) => verify::run_revoke(a, &args.global),
        Command::Notify(a) => verify::run_notify(a, &args.global),
        Command::Metrics(a) => metrics::run(a, &args.global),
        Command::Report(a) => metrics::run_report(a, &args.global),
        Command::Owners(c) => owners::run(c),
        Command::Github(a) => github::run(*a, &args.global),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("keytrail: error: {}", report_error(&e));
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// `keytrail ignore`: one ignore line per value on standard input (values are never echoed).
fn ignore_lines() -> anyhow::Result<u8> {
    use std::io::{BufRead, Write};
    let mut out = std::io::stdout().lock();
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        let value = line.trim_end_matches('\r');
        if !value.is_empty() {
            writeln!(out, "{}", crate::scan::ignore::ignore_line(value))?;
        }
    }
    Ok(EXIT_CLEAN)
}

fn report_error(e: &anyhow::Error) -> String {
    let text = e
        .chain()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(": ");
    crate::report::sanitize::sanitize(&text).into_owned()
}

/// Whether an I/O error is a closed pipe (`keytrail scan | head`), which is not a failure.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
