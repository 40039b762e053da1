//! `keytrail owners explain` and `keytrail owners check`, and the attribute stage of
//! `keytrail scan` (between collecting findings and writing the report).

use std::collections::HashSet;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Args, Subcommand};

use super::{EXIT_CLEAN, EXIT_FINDINGS};
use crate::owners::attribute::Attributor;
use crate::owners::check::{Level, check};
use crate::owners::discover::{self, DirFiles, HeadFiles, RepoFiles};
use crate::owners::explain::{Explanation, explain};
use crate::owners::{OwnersMap, RepoOwnership, map};
use crate::report::owners::details;
use crate::report::sanitize::sanitize;
use crate::scan::{Finding, Summary};

/// `keytrail owners` subcommands.
#[derive(Debug, Subcommand)]
pub enum OwnersCommand {
    /// Print the owners of a path and every rule that matches it, in order.
    Explain(ExplainArgs),
    /// Validate CODEOWNERS and the owners map; report bad lines, patterns that match nothing
    /// and rules shadowed by later ones.
    Check(CheckArgs),
}

/// Arguments of `keytrail owners explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The path, on disk or relative to the repository root.
    pub path: PathBuf,
    /// The repository (default: the one holding the current directory).
    #[arg(long, value_name = "DIR")]
    pub repo: Option<PathBuf>,
    /// Owners map to use instead of the repository's keytrail.toml.
    #[arg(long, value_name = "FILE")]
    pub owners: Option<PathBuf>,
    /// Read the rules from HEAD's tree instead of the working tree.
    #[arg(long)]
    pub head: bool,
}

/// Arguments of `keytrail owners check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The repository (default: the one holding the current directory).
    pub dir: Option<PathBuf>,
    /// Owners map to check instead of the repository's keytrail.toml.
    #[arg(long, value_name = "FILE")]
    pub owners: Option<PathBuf>,
    /// Check the rules and files of HEAD's tree instead of the working tree.
    #[arg(long)]
    pub head: bool,
}

/// Runs an `owners` subcommand.
pub fn run(cmd: OwnersCommand) -> Result<u8> {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let result = match cmd {
        OwnersCommand::Explain(a) => run_explain(&a, &mut out),
        OwnersCommand::Check(a) => run_check(&a, &mut out),
    };
    match result {
        Err(e) if super::is_broken_pipe(&e) => Ok(EXIT_CLEAN),
        other => other,
    }
}

/// Reads an owners map given on the command line.
pub fn load_map_file(path: Option<&Path>) -> Result<Option<OwnersMap>> {
    let Some(path) = path else { return Ok(None) };
    let text = std::fs::read(path)
        .with_context(|| format!("cannot read owners map {}", path.display()))?;
    let name = path.display().to_string();
    Ok(Some(map::parse(&name, &String::from_utf8_lossy(&text))))
}

/// The repository root for a command run in the current directory or on `dir`.
fn root_of(dir: Option<&Path>) -> Result<PathBuf> {
    match dir {
        Some(d) => std::fs::canonicalize(d).with_context(|| format!("cannot open {}", d.display())),
        None => Ok(discover::repo_root(&std::env::current_dir()?)),
    }
}

fn files_of(root: &Path, head: bool) -> Result<Box<dyn RepoFiles>> {
    if head {
        let files = HeadFiles::open(root)
            .with_context(|| format!("{} is not a git repository", root.display()))?;
        Ok(Box::new(files))
    } else {
        Ok(Box::new(DirFiles::new(root)))
    }
}

/// `path` relative to `root` when it names a file under it, else as written (minus `./`).
fn relative_path(root: &Path, path: &Path) -> String {
    if let Ok(abs) = std::fs::canonicalize(path)
        && let Ok(rel) = abs.strip_prefix(root)
    {
        return discover::slash_path(rel);
    }
    let text = discover::slash_path(path);
    text.trim_start_matches("./")
        .trim_start_matches('/')
        .to_string()
}

fn run_explain(args: &ExplainArgs, out: &mut dyn Write) -> Result<u8> {
    let root = root_of(args.repo.as_deref())?;
    let files = files_of(&root, args.head)?;
    let map = load_map_file(args.owners.as_deref())?;
    let mut own = RepoOwnership::load(files.as_ref(), map);
    let path = relative_path(&root, &args.path);
    let e = explain(&mut own, &path);
    write_sources(out, &root, &own)?;
    write_explanation(out, &e)?;
    Ok(EXIT_CLEAN)
}

fn write_sources(out: &mut dyn Write, root: &Path, own: &RepoOwnership) -> Result<()> {
    let names = own.names.join(", ");
    writeln!(
        out,
        "repository:  {} ({})",
        sanitize(&root.display().to_string()),
        sanitize(&names)
    )?;
    match &own.map {
        Some(m) => writeln!(
            out,
            "owners map:  {} ({} entries)",
            sanitize(&m.file),
            m.entries.len()
        )?,
        None => writeln!(out, "owners map:  none")?,
    }
    match &own.codeowners {
        Some(c) => writeln!(
            out,
            "CODEOWNERS:  {} ({} syntax, {} rules)",
            sanitize(&c.file),
            c.flavor.name(),
            c.rules.len()
        )?,
        None => writeln!(out, "CODEOWNERS:  none")?,
    }
    Ok(())
}

fn write_explanation(out: &mut dyn Write, e: &Explanation) -> Result<()> {
    writeln!(out, "path:        {}", sanitize(&e.path))?;
    writeln!(out)?;
    if e.matched.is_empty() {
        writeln!(out, "No rule matches this path.")?;
    } else {
        writeln!(
            out,
            "Matching rules, in the order they are considered (owners map first; in each file the last match wins; * marks the deciding rules):"
        )?;
        for m in &e.matched {
            let mark = if m.decisive { '*' } else { ' ' };
            let place = format!("{}:{}", m.file, m.line);
            let section = m
                .section
                .as_ref()
                .map_or(String::new(), |s| format!("[{s}] "));
            let rule = format!("{section}{}", m.rule);
            writeln!(out, "  {mark} {:<28} {}", sanitize(&place), sanitize(&rule))?;
        }
    }
    writeln!(out)?;
    let a = &e.attribution;
    writeln!(out, "owners:      {}", sanitize(&a.label()))?;
    let details = details(a);
    if !details.is_empty() {
        writeln!(out, "details:     {}", sanitize(&details))?;
    }
    writeln!(out, "why:         {}", sanitize(&a.reason()))?;
    Ok(())
}

fn run_check(args: &CheckArgs, out: &mut dyn Write) -> Result<u8> {
    let root = root_of(args.dir.as_deref())?;
    let files = files_of(&root, args.head)?;
    let map = load_map_file(args.owners.as_deref())?;
    let own = RepoOwnership::load(files.as_ref(), map);
    if own.codeowners.is_none() && own.map.is_none() {
        writeln!(
            out,
            "No CODEOWNERS file or owners map found in {}.",
            sanitize(&root.display().to_string())
        )?;
        return Ok(EXIT_CLEAN);
    }
    let diagnostics = check(&own, &files.list());
    for d in &diagnostics {
        let level = match d.level {
            Level::Error => "error",
            Level::Warning => "warning",
        };
        let place = if d.line == 0 {
            d.file.clone()
        } else {
            format!("{}:{}", d.file, d.line)
        };
        writeln!(
            out,
            "{}: {level}: {}",
            sanitize(&place),
            sanitize(&d.message)
        )?;
    }
    let errors = diagnostics
        .iter()
        .filter(|d| d.level == Level::Error)
        .count();
    let warnings = diagnostics.len() - errors;
    let checked: Vec<String> = own
        .codeowners
        .iter()
        .map(|c| {
            format!(
                "{} ({} syntax, {} rules)",
                c.file,
                c.flavor.name(),
                c.rules.len()
            )
        })
        .chain(
            own.map
                .iter()
                .map(|m| format!("{} ({} entries)", m.file, m.entries.len())),
        )
        .collect();
    writeln!(
        out,
        "{errors} error{}, {warnings} warning{} in {}.",
        if errors == 1 { "" } else { "s" },
        if warnings == 1 { "" } else { "s" },
        sanitize(&checked.join(" and "))
    )?;
    Ok(if diagnostics.is_empty() {
        EXIT_CLEAN
    } else {
        EXIT_FINDINGS
    })
}

/// Loads and compiles the ownership rules of the scanned paths (from disk, or from HEAD for
/// git scans), with the owners map `map` in place of each repository's own. Run on a thread of
/// its own while the scan runs, so a large CODEOWNERS file costs the scan no wall time.
pub fn prepare_attribution(paths: &[PathBuf], git: bool, map: Option<&OwnersMap>) -> Attributor {
    let at = if git {
        Attributor::for_repos(paths, map)
    } else {
        Attributor::for_dirs(paths, map)
    };
    at.compile_all();
    at
}

/// The attribute stage of a scan: warns about bad rules lines (counted in the summary) and
/// attributes every finding.
pub fn attribute_stage(mut at: Attributor, findings: &mut [Finding], summary: &mut Summary) {
    let started = std::time::Instant::now();
    let mut seen = HashSet::new();
    for repo in at.repos() {
        for e in repo.errors() {
            let text = e.to_string();
            if seen.insert(text.clone()) {
                eprintln!("keytrail: warning: owners: {}", sanitize(&text));
                summary.warnings += 1;
            }
        }
        if let Some(Err(e)) = repo.codeowners_matcher() {
            eprintln!(
                "keytrail: warning: owners: CODEOWNERS cannot be compiled: {}",
                sanitize(e)
            );
            summary.warnings += 1;
        }
    }
    at.attribute(findings);
    tracing::info!(
        repositories = at.repos().len(),
        findings = findings.len(),
        attribute_s = started.elapsed().as_secs_f64(),
        "attribute stage"
    );
}
