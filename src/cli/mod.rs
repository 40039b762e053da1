//! Command-line interface: clap definitions and one module per subcommand. Each subcommand maps
//! its arguments onto the library and returns an exit code; no scanning logic lives here.

mod owners;
mod rules;
mod scan;

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
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files and directories for secrets.
    Scan(scan::ScanArgs),
    /// List and check rules.
    #[command(subcommand)]
    Rules(rules::RulesCommand),
    /// Explain and check ownership rules (CODEOWNERS, owners map).
    #[command(subcommand)]
    Owners(owners::OwnersCommand),
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
    let filter = tracing_subscriber::EnvFilter::try_from_env("KEYTRAIL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
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
        Command::Scan(a) => scan::run(a, &args.global),
        Command::Rules(c) => rules::run(c),
        Command::Owners(c) => owners::run(c),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("keytrail: error: {}", report_error(&e));
            ExitCode::from(EXIT_ERROR)
        }
    }
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
