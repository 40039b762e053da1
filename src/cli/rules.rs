//! `keytrail rules list` and `keytrail rules check`.

use std::collections::BTreeSet;
use std::io::{self, Write};
use std::path::PathBuf;

use anyhow::Result;
use clap::Subcommand;
use serde_json::json;

use super::{EXIT_CLEAN, EXIT_ERROR};
use crate::rules::{RuleSetBuilder, load_ruleset};

/// `keytrail rules ...`
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List the rules a scan would use.
    List {
        /// Extra rule file or directory (repeatable).
        #[arg(long, value_name = "PATH")]
        rules: Vec<PathBuf>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Check rule files: syntax, patterns, and every example and negative example.
    Check {
        /// Rule files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
}

/// Runs a `rules` subcommand.
pub fn run(cmd: RulesCommand) -> Result<u8> {
    match cmd {
        RulesCommand::List { rules, json } => list(&rules, json),
        RulesCommand::Check { paths } => Ok(check(&paths)),
    }
}

fn list(extra: &[PathBuf], as_json: bool) -> Result<u8> {
    let set = load_ruleset(true, extra)?;
    let mut out = io::stdout().lock();
    if as_json {
        let rules: Vec<_> = set
            .rules()
            .iter()
            .map(|r| {
                json!({
                    "id": r.id, "name": r.name, "provider": r.provider,
                    "confidence": r.confidence, "keywords": r.keywords, "origin": r.origin,
                })
            })
            .collect();
        writeln!(out, "{}", serde_json::to_string_pretty(&rules)?)?;
        return Ok(EXIT_CLEAN);
    }
    for r in set.rules() {
        writeln!(
            out,
            "{:<40} {:<7} {}",
            r.id.as_str(),
            r.confidence.as_str(),
            r.name
        )?;
    }
    let providers: BTreeSet<&str> = set.rules().iter().map(|r| r.provider.as_str()).collect();
    writeln!(
        out,
        "\n{} rules, {} providers",
        set.rules().len(),
        providers.len()
    )?;
    Ok(EXIT_CLEAN)
}

/// Checks every rule of every file and reports every problem, not just the first.
fn check(paths: &[PathBuf]) -> u8 {
    let mut failed = false;
    for path in paths {
        let (checked, problems) = RuleSetBuilder::check_path_all(path);
        for e in &problems {
            eprintln!("keytrail: error: {e}");
        }
        if problems.is_empty() {
            println!("ok: {} ({checked} rules)", path.display());
        } else {
            failed = true;
            eprintln!(
                "{}: {} problem(s) in {checked} rules",
                path.display(),
                problems.len()
            );
        }
    }
    if failed { EXIT_ERROR } else { EXIT_CLEAN }
}
