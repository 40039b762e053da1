//! The `keytrail` command: parse arguments, set up logging, run, exit with the command's code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = keytrail::cli::Args::parse();
    keytrail::cli::init_logging(&args.global);
    keytrail::cli::run(args)
}
