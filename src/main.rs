//! The `keytrail` command: parse arguments, set up logging, run, exit with the command's code.

use std::process::ExitCode;

use clap::Parser;

/// A scan compiles a few hundred regexes and reads thousands of files, each a burst of small
/// allocations; mimalloc serves them faster than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = keytrail::cli::Args::parse();
    keytrail::cli::init_logging(&args.global);
    keytrail::cli::run(args)
}
