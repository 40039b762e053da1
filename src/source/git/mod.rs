//! Git sources: full history, commit ranges, the index and the working tree, read with libgit2.
//!
//! A history scan runs in three phases: *enumerate* (walk commits oldest first and list each blob
//! the first time a commit introduces it), *order* (sort that list into pack order, so delta bases
//! are still cached when their deltas are inflated), and *scan* (rayon workers, each with its own
//! repository handle and matcher, read and scan contiguous runs of the list). Each unique blob is
//! read once, however many commits and paths carry it; its first-seen commit and path travel
//! beside it and are attached to its findings.

pub mod enumerate;
pub mod exclude;
pub mod packidx;
pub mod range;
pub mod state;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crossbeam_channel::Sender;
use git2::{ObjectType, Odb, Repository};
use indicatif::ProgressBar;
use rayon::prelude::*;

use self::enumerate::{BlobSource, BlobTarget, Enumeration, OidSet};
use super::Event;
use super::blob::is_binary;
use crate::rules::RuleSet;
use crate::scan::{BlobScanner, Finding, SkipReason, Summary};

/// Blobs handed to a worker at a time: long enough runs of pack order to keep delta bases warm,
/// short enough to balance two threads.
const CHUNK: usize = 256;

/// Which part of a repository to scan.
#[derive(Debug, Clone)]
pub enum GitMode {
    /// The full history of the chosen refs.
    History,
    /// Only what `BASE..HEAD` adds.
    Range {
        /// The revision the change starts from.
        base: String,
        /// The revision the change ends at.
        head: String,
    },
    /// What the index adds relative to HEAD.
    Staged,
    /// What the working tree adds relative to HEAD.
    Worktree,
}

/// Options of a git scan.
#[derive(Debug, Clone)]
pub struct GitOptions {
    /// What to scan.
    pub mode: GitMode,
    /// Refs to scan in `History` mode (all refs when empty).
    pub refs: Vec<String>,
    /// Worker threads.
    pub threads: usize,
    /// Blobs larger than this are skipped.
    pub max_file_size: u64,
    /// Where incremental state lives; `None` scans everything every time.
    pub state: Option<std::sync::Arc<dyn state::StateStore>>,
    /// Gitignore-style globs over repository paths; a blob is left out when the path it was
    /// first seen at matches one.
    pub excludes: Vec<String>,
}

/// A repository could not be scanned at all.
#[derive(Debug, thiserror::Error)]
#[error("{repo}: {message}")]
pub struct GitError {
    repo: String,
    message: String,
}

/// What a scan of one repository covered, for the summary and the still-at-HEAD pass.
#[derive(Debug, Default)]
pub struct RepoOutcome {
    /// The repository as named on the command line.
    pub repository: String,
    /// Blobs in the tree of HEAD (or of the range's head); empty for staged/worktree scans.
    pub head_blobs: OidSet,
    /// Whether `head_blobs` is meaningful.
    pub has_head: bool,
}

/// Scans one repository, sending events to `tx`.
pub fn scan_repo(
    path: &Path,
    opts: &GitOptions,
    rules: &RuleSet,
    tx: &Sender<Event>,
    progress: &ProgressBar,
) -> Result<RepoOutcome, GitError> {
    configure_libgit2();
    let name = path.display().to_string();
    let fail = |message: String| GitError {
        repo: name.clone(),
        message,
    };
    let repo = Repository::open(path)
        .map_err(|e| fail(format!("not a git repository: {}", e.message())))?;
    if repo.is_shallow() {
        let _ = tx.send(Event::Warning(format!(
            "{name}: shallow clone: history before the shallow boundary is not scanned"
        )));
    }
    let mut outcome = RepoOutcome {
        repository: name.clone(),
        ..RepoOutcome::default()
    };
    let started = std::time::Instant::now();
    let mut pending_state = None;
    let enumeration = match &opts.mode {
        GitMode::History => {
            let (e, state) = history(&repo, &name, opts, tx, &mut outcome).map_err(fail)?;
            pending_state = state;
            e
        }
        GitMode::Range { base, head } => {
            let base = range::resolve(&repo, base).map_err(fail)?;
            let head = range::resolve(&repo, head).map_err(fail)?;
            outcome.head_blobs = enumerate::blobs_of_tree(&repo, head);
            outcome.has_head = true;
            range::enumerate_range(&repo, base, head).map_err(|e| fail(e.message().to_string()))?
        }
        GitMode::Staged => {
            range::enumerate_staged(&repo).map_err(|e| fail(e.message().to_string()))?
        }
        GitMode::Worktree => {
            range::enumerate_worktree(&repo).map_err(|e| fail(e.message().to_string()))?
        }
    };
    report_enumeration(&name, &enumeration, tx);
    let enumerated = started.elapsed();
    let mut targets = enumeration.blobs;
    if !opts.excludes.is_empty() {
        let excluded = exclude::PathFilter::new(&opts.excludes).map_err(fail)?;
        targets.retain(|t| !excluded.is_excluded(&t.path));
    }
    sort_pack_order(&repo, &mut targets);
    let ordered = started.elapsed();
    let failed = scan_targets(repo.path(), &name, &targets, opts, rules, tx, progress);
    tracing::info!(
        repository = %name,
        commits = enumeration.commits,
        blobs = targets.len(),
        enumerate_s = enumerated.as_secs_f64(),
        order_s = (ordered - enumerated).as_secs_f64(),
        scan_s = (started.elapsed() - ordered).as_secs_f64(),
        "history scan phases"
    );
    if let (Some(new), Some(store)) = (pending_state, &opts.state) {
        // Saved only after every listed blob was scanned without error, so a killed or failed
        // run is repeated in full next time rather than leaving blobs unscanned.
        if failed == 0 {
            store.save(&repo, &new).map_err(fail)?;
        }
    }
    Ok(outcome)
}

/// New incremental state to save once the scan succeeds.
type PendingState = Option<state::HistoryState>;

/// Process-wide libgit2 settings for scanning.
///
/// Hash verification re-computes the SHA-1 (with collision detection) of every object read; on a
/// full history that is over half the run time. A scanner reads objects, it does not vouch for
/// them, and a damaged object still fails to inflate and is reported. Object caching is off and
/// pack windows are capped, so resident memory stays flat over a long history.
fn configure_libgit2() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        git2::opts::strict_hash_verification(false);
        // Every object is read once: a cache of parsed objects only holds memory.
        git2::opts::enable_caching(false);
        // SAFETY: set once, before any repository is opened by this process's scans.
        unsafe {
            let _ = git2::opts::set_mwindow_size(WINDOW_SIZE);
            let _ = git2::opts::set_mwindow_mapped_limit(MAPPED_LIMIT);
        }
    });
}

/// Size of one mapped pack window (libgit2's default maps up to 1 GiB at once).
const WINDOW_SIZE: usize = 32 << 20;
/// Upper bound on pack bytes libgit2 keeps mapped per process.
const MAPPED_LIMIT: usize = 160 << 20;

/// Full-history enumeration, incremental when a state directory is given.
fn history(
    repo: &Repository,
    name: &str,
    opts: &GitOptions,
    tx: &Sender<Event>,
    outcome: &mut RepoOutcome,
) -> Result<(Enumeration, PendingState), String> {
    let mut errors = Vec::new();
    let tips = enumerate::tips(repo, &opts.refs, &mut errors);
    if let Ok(head) = repo.head().and_then(|h| h.peel_to_commit()) {
        outcome.head_blobs = enumerate::blobs_of_tree(repo, head.id());
        outcome.has_head = true;
    }
    let Some(store) = &opts.state else {
        let t = std::time::Instant::now();
        let order =
            enumerate::commit_order(repo, &tips, &[]).map_err(|e| e.message().to_string())?;
        tracing::debug!(
            order_s = t.elapsed().as_secs_f64(),
            commits = order.len(),
            "commit order"
        );
        let mut e = enumerate::walk_commits_parallel(
            repo.path(),
            &order,
            opts.threads,
            &mut Default::default(),
        )
        .map_err(|e| e.message().to_string())?;
        e.errors.extend(errors);
        return Ok((e, None));
    };
    let mut previous = store.load(repo)?;
    if !previous.tips.is_empty() && state::same_tips(&previous.tips, &tips) {
        let _ = tx.send(Event::Warning(format!(
            "{name}: no new commits since the last scan"
        )));
        return Ok((
            Enumeration {
                errors,
                ..Enumeration::default()
            },
            None,
        ));
    }
    let order = enumerate::commit_order(repo, &tips, &previous.tips)
        .map_err(|e| e.message().to_string())?;
    let mut e = if previous.tips.is_empty() {
        enumerate::walk_commits_parallel(repo.path(), &order, opts.threads, &mut previous.seen)
    } else {
        // A re-scan walks few commits against the remembered sets; one thread is enough.
        enumerate::walk_commits(repo, &order, &mut previous.seen)
    }
    .map_err(|e| e.message().to_string())?;
    e.errors.extend(errors);
    let pending = e.errors.is_empty().then(|| {
        previous.tips = tips;
        previous
    });
    Ok((e, pending))
}

fn report_enumeration(name: &str, e: &Enumeration, tx: &Sender<Event>) {
    for err in &e.errors {
        let _ = tx.send(Event::Error(format!("{name}: {err}")));
    }
    if !e.submodules.is_empty() {
        let list: Vec<&str> = e.submodules.iter().map(String::as_str).take(10).collect();
        let more = e.submodules.len().saturating_sub(list.len());
        let tail = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        let _ = tx.send(Event::Warning(format!(
            "{name}: submodules not followed: {}{tail}",
            list.join(", ")
        )));
    }
    let summary = Summary {
        commits_scanned: e.commits,
        repositories: 1,
        errors: e.errors.len() as u64,
        ..Summary::default()
    };
    let _ = tx.send(Event::Done(summary));
}

fn sort_pack_order(repo: &Repository, targets: &mut [BlobTarget]) {
    let order = packidx::PackOrder::load(repo.commondir());
    targets.sort_by_cached_key(|t| match &t.source {
        BlobSource::Object(oid) => order.key(oid.as_bytes()),
        BlobSource::File(_) => (u32::MAX, 0),
    });
}

/// Scans `targets` on a pool of `opts.threads` workers; returns how many blobs failed.
fn scan_targets(
    git_dir: &Path,
    name: &str,
    targets: &[BlobTarget],
    opts: &GitOptions,
    rules: &RuleSet,
    tx: &Sender<Event>,
    progress: &ProgressBar,
) -> u64 {
    let failed = AtomicU64::new(0);
    let pool = match rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .build()
    {
        Ok(p) => p,
        Err(e) => {
            let _ = tx.send(Event::Error(format!("{name}: cannot start workers: {e}")));
            return targets.len() as u64;
        }
    };
    let repository: Arc<str> = Arc::from(name);
    pool.install(|| {
        targets.par_chunks(CHUNK).for_each_init(
            || {
                Worker::new(
                    git_dir,
                    rules,
                    tx.clone(),
                    Arc::clone(&repository),
                    opts.max_file_size,
                )
            },
            |worker, chunk| {
                let errors = worker.scan_chunk(chunk, progress);
                failed.fetch_add(errors, Ordering::Relaxed);
            },
        );
    });
    failed.into_inner()
}

/// One scan thread's state: its own repository handle (libgit2 handles are not shared across
/// threads), matcher and counters.
struct Worker<'r> {
    repo: Option<Repository>,
    scanner: BlobScanner<'r>,
    tx: Sender<Event>,
    repository: Arc<str>,
    max_file_size: u64,
    summary: Summary,
}

impl<'r> Worker<'r> {
    fn new(
        git_dir: &Path,
        rules: &'r RuleSet,
        tx: Sender<Event>,
        repository: Arc<str>,
        max: u64,
    ) -> Worker<'r> {
        let repo = match Repository::open(git_dir) {
            Ok(r) => Some(r),
            Err(e) => {
                let _ = tx.send(Event::Error(format!(
                    "{repository}: cannot open: {}",
                    e.message()
                )));
                None
            }
        };
        Worker {
            repo,
            scanner: BlobScanner::new(rules),
            tx,
            repository,
            max_file_size: max,
            summary: Summary::default(),
        }
    }

    /// Scans a run of blobs and returns how many failed.
    fn scan_chunk(&mut self, chunk: &[BlobTarget], progress: &ProgressBar) -> u64 {
        let repo = self.repo.take();
        let Some(odb) = repo.as_ref().and_then(|r| r.odb().ok()) else {
            self.summary.errors += chunk.len() as u64;
            let _ = self.tx.send(Event::Done(std::mem::take(&mut self.summary)));
            return chunk.len() as u64;
        };
        for target in chunk {
            self.scan_target(&odb, target, progress);
        }
        drop(odb);
        self.repo = repo;
        let done = std::mem::take(&mut self.summary);
        let errors = done.errors;
        let _ = self.tx.send(Event::Done(done));
        errors
    }

    fn scan_target(&mut self, odb: &Odb<'_>, target: &BlobTarget, progress: &ProgressBar) {
        let findings = match &target.source {
            BlobSource::Object(oid) => match read_blob(odb, *oid, self.max_file_size) {
                Ok(Ok(object)) => self.scan_bytes(target, object.data(), progress),
                Ok(Err(reason)) => return self.skip(target, reason),
                Err(e) => {
                    return self.error(format!(
                        "{}: blob {oid} ({}): {}",
                        self.repository,
                        target.path,
                        e.message()
                    ));
                }
            },
            BlobSource::File(path) => {
                let mut buf = Vec::new();
                match super::blob::read_file(path, self.max_file_size, &mut buf) {
                    Ok(super::blob::ReadOutcome::Read) => self.scan_bytes(target, &buf, progress),
                    Ok(super::blob::ReadOutcome::Skipped(reason)) => {
                        return self.skip(target, reason);
                    }
                    Err(e) => return self.error(format!("{}: {e}", path.display())),
                }
            }
        };
        if !findings.is_empty() {
            let _ = self.tx.send(Event::Findings(findings));
        }
    }

    fn scan_bytes(
        &mut self,
        target: &BlobTarget,
        data: &[u8],
        progress: &ProgressBar,
    ) -> Vec<Finding> {
        if is_binary(data) {
            self.skip(target, SkipReason::Binary);
            return Vec::new();
        }
        self.summary.files_scanned += 1;
        self.summary.bytes_scanned += data.len() as u64;
        progress.inc(data.len() as u64);
        let mut findings = self.scanner.scan(&target.path, data);
        if let Some(lines) = &target.added_lines {
            findings.retain(|f| {
                (f.span.line..=f.span.end_line).any(|l| lines.binary_search(&l).is_ok())
            });
        }
        for f in &mut findings {
            f.repository = Some(Arc::clone(&self.repository));
            f.commit = target.commit.clone();
            if let BlobSource::Object(oid) = &target.source {
                f.blob = Some(oid.to_string());
            }
        }
        findings
    }

    fn skip(&mut self, target: &BlobTarget, reason: SkipReason) {
        self.summary.skip(reason);
        let _ = self.tx.send(Event::Skipped(target.path.clone(), reason));
    }

    fn error(&mut self, message: String) {
        self.summary.errors += 1;
        let _ = self.tx.send(Event::Error(message));
    }
}

/// Reads a blob unless it is over the size limit (checked from the object header first).
fn read_blob<'o>(
    odb: &'o Odb<'_>,
    oid: git2::Oid,
    max: u64,
) -> Result<Result<git2::OdbObject<'o>, SkipReason>, git2::Error> {
    let (size, kind) = odb.read_header(oid)?;
    if kind != ObjectType::Blob {
        return Ok(Err(SkipReason::NotAFile));
    }
    if size as u64 > max {
        return Ok(Err(SkipReason::TooLarge));
    }
    odb.read(oid).map(Ok)
}

/// Marks each finding of `outcome`'s repository with whether its secret is still present in a
/// blob of HEAD (any path, any blob: the same secret in another file counts).
pub fn mark_still_at_head(findings: &mut [Finding], outcome: &RepoOutcome) {
    if !outcome.has_head {
        return;
    }
    let ours = |f: &Finding| f.repository.as_deref() == Some(outcome.repository.as_str());
    let at_head: std::collections::HashSet<String> = findings
        .iter()
        .filter(|f| ours(f))
        .filter(|f| {
            f.blob
                .as_deref()
                .and_then(|b| git2::Oid::from_str(b).ok())
                .is_some_and(|b| outcome.head_blobs.contains(&b))
        })
        .map(|f| f.fingerprint.as_str().to_string())
        .collect();
    for f in findings.iter_mut().filter(|f| ours(f)) {
        f.still_at_head = Some(at_head.contains(f.fingerprint.as_str()));
    }
}
