//! Directory scans: a parallel walk with `ignore`, one visitor (and so one matcher and one read
//! buffer) per thread.
//!
//! By default nothing is skipped for being ignored by `.gitignore`: a `.env` that git ignores is
//! still a secret on disk. Only `.git/` directories are left out (history is `--git`'s job), plus
//! what `--exclude` names.

use std::path::PathBuf;

use crossbeam_channel::Sender;
use ignore::overrides::OverrideBuilder;
use ignore::{DirEntry, ParallelVisitor, ParallelVisitorBuilder, WalkBuilder, WalkState};
use indicatif::ProgressBar;

use super::Event;
use super::blob::{ReadOutcome, read_file};
use crate::rules::RuleSet;
use crate::scan::{BlobScanner, Summary};

/// A read buffer larger than this is released after use, so one huge file does not pin memory.
const KEEP_BUFFER: usize = 16 << 20;

/// What to walk and how.
#[derive(Debug, Clone)]
pub struct WalkOptions {
    /// Files and directories to scan.
    pub paths: Vec<PathBuf>,
    /// Worker threads.
    pub threads: usize,
    /// Files larger than this are skipped.
    pub max_file_size: u64,
    /// Gitignore-style globs to leave out.
    pub excludes: Vec<String>,
    /// Follow symbolic links.
    pub follow_links: bool,
    /// Honour `.gitignore`, `.ignore` and git's exclude files.
    pub respect_gitignore: bool,
}

/// A bad `--exclude` glob.
#[derive(Debug, thiserror::Error)]
#[error("invalid --exclude glob {glob:?}: {message}")]
pub struct ExcludeError {
    glob: String,
    message: String,
}

/// Walks `opts.paths` in parallel and scans every file, sending events to `tx`.
pub fn walk(
    opts: &WalkOptions,
    rules: &RuleSet,
    tx: &Sender<Event>,
    progress: &ProgressBar,
) -> Result<(), ExcludeError> {
    let Some((first, rest)) = opts.paths.split_first() else {
        return Ok(());
    };
    let mut builder = WalkBuilder::new(first);
    for p in rest {
        builder.add(p);
    }
    builder
        .standard_filters(false)
        .hidden(false)
        .git_ignore(opts.respect_gitignore)
        .git_exclude(opts.respect_gitignore)
        .ignore(opts.respect_gitignore)
        .parents(opts.respect_gitignore)
        .require_git(false)
        .follow_links(opts.follow_links)
        .threads(opts.threads)
        .filter_entry(|e| e.file_name() != ".git");
    if !opts.excludes.is_empty() {
        builder.overrides(excludes(first, &opts.excludes)?);
    }
    let mut visitors = VisitorBuilder {
        rules,
        tx,
        progress,
        max_file_size: opts.max_file_size,
    };
    builder.build_parallel().visit(&mut visitors);
    Ok(())
}

fn excludes(
    root: &std::path::Path,
    globs: &[String],
) -> Result<ignore::overrides::Override, ExcludeError> {
    let err = |glob: &str, e: ignore::Error| ExcludeError {
        glob: glob.to_string(),
        message: e.to_string(),
    };
    let mut ob = OverrideBuilder::new(root);
    for g in globs {
        ob.add(&format!("!{g}")).map_err(|e| err(g, e))?;
    }
    ob.build().map_err(|e| err("", e))
}

struct VisitorBuilder<'s> {
    rules: &'s RuleSet,
    tx: &'s Sender<Event>,
    progress: &'s ProgressBar,
    max_file_size: u64,
}

impl<'s> ParallelVisitorBuilder<'s> for VisitorBuilder<'s> {
    fn build(&mut self) -> Box<dyn ParallelVisitor + 's> {
        Box::new(FileVisitor {
            scanner: BlobScanner::new(self.rules),
            buf: Vec::new(),
            tx: self.tx.clone(),
            progress: self.progress.clone(),
            max_file_size: self.max_file_size,
            summary: Summary::default(),
        })
    }
}

struct FileVisitor<'s> {
    scanner: BlobScanner<'s>,
    buf: Vec<u8>,
    tx: Sender<Event>,
    progress: ProgressBar,
    max_file_size: u64,
    summary: Summary,
}

impl FileVisitor<'_> {
    fn scan_entry(&mut self, entry: &DirEntry) {
        let path = entry.path();
        let name = path.display().to_string();
        match read_file(path, self.max_file_size, &mut self.buf) {
            Ok(ReadOutcome::Read) => {
                self.summary.files_scanned += 1;
                self.summary.bytes_scanned += self.buf.len() as u64;
                self.progress.inc(self.buf.len() as u64);
                let findings = self.scanner.scan(&name, &self.buf);
                if !findings.is_empty() {
                    let _ = self.tx.send(Event::Findings(findings));
                }
            }
            Ok(ReadOutcome::Skipped(reason)) => {
                self.summary.skip(reason);
                let _ = self.tx.send(Event::Skipped(name, reason));
            }
            Err(e) => {
                self.summary.errors += 1;
                let _ = self.tx.send(Event::Error(format!("{name}: {e}")));
            }
        }
        if self.buf.capacity() > KEEP_BUFFER {
            self.buf = Vec::new();
        }
    }

    fn walk_error(&mut self, err: &ignore::Error) {
        if is_loop(err) {
            self.summary.warnings += 1;
            let _ = self.tx.send(Event::Warning(format!("skipped: {err}")));
        } else {
            self.summary.errors += 1;
            let _ = self.tx.send(Event::Error(err.to_string()));
        }
    }
}

impl ParallelVisitor for FileVisitor<'_> {
    fn visit(&mut self, entry: Result<DirEntry, ignore::Error>) -> WalkState {
        match entry {
            Ok(entry) => {
                if entry.file_type().is_some_and(|t| t.is_file()) {
                    self.scan_entry(&entry);
                }
                if let Some(err) = entry.error() {
                    self.walk_error(err);
                }
            }
            Err(err) => self.walk_error(&err),
        }
        WalkState::Continue
    }
}

impl Drop for FileVisitor<'_> {
    fn drop(&mut self) {
        let _ = self.tx.send(Event::Done(std::mem::take(&mut self.summary)));
    }
}

fn is_loop(err: &ignore::Error) -> bool {
    match err {
        ignore::Error::Loop { .. } => true,
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => is_loop(err),
        ignore::Error::Partial(errs) => errs.iter().any(is_loop),
        _ => false,
    }
}
