//! From a [`Plan`] to a [`Target`]: makes the checkout hold the commits the plan names (see
//! [`history`](super::history)) and settles what is actually scanned, falling back where the plan
//! allows: a force push whose old tip is gone is scanned against the default branch, and a new
//! branch whose default branch cannot be had is scanned through its whole history.

use std::path::Path;

use super::event::{EventInfo, Plan};
use super::history::{Checkout, HistoryError};
use super::short;

/// What a prepared checkout is scanned for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The range's base and head commit ids; `None` for a history scan.
    pub range: Option<(String, String)>,
    /// For a history scan of one commit's history only, that commit (else every ref).
    pub history_of: Option<String>,
    /// The commit links should point at.
    pub head: Option<String>,
    /// Said in the log when the plan changed (a fallback base).
    pub note: Option<String>,
}

impl Target {
    /// What is scanned, in a few words for the log.
    pub fn describe(&self) -> String {
        match (&self.range, &self.history_of) {
            (Some((base, head)), _) => format!("what {}..{} adds", short(base), short(head)),
            (None, Some(head)) => format!("the history of {}", short(head)),
            (None, None) => "the full history".into(),
        }
    }
}

/// The checkout could not be made ready.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    /// History is missing.
    #[error(transparent)]
    History(#[from] HistoryError),
    /// A revision does not resolve.
    #[error("{0}")]
    Resolve(String),
}

/// Makes the checkout at `repo_dir` hold what the event's plan needs; `None` when there is
/// nothing to scan.
pub fn prepare(repo_dir: &Path, event: &EventInfo) -> Result<Option<Target>, TargetError> {
    let checkout = Checkout::open(repo_dir)?;
    let depth = event.commits.unwrap_or(0).saturating_add(1);
    let target = match &event.plan {
        Plan::Nothing { .. } => return Ok(None),
        Plan::Full => {
            checkout.ensure_full()?;
            full(None, resolve(repo_dir, "HEAD").ok())
        }
        Plan::Range {
            base,
            head,
            fallback,
        } => {
            checkout.obtain("the head commit", head, depth)?;
            let (base, note) = base_or_fallback(&checkout, base, head, fallback, depth)?;
            range(&checkout, repo_dir, &base, head, depth, note)?
        }
        Plan::NewBranch {
            head,
            default_branch,
        } => new_branch(&checkout, repo_dir, head, default_branch.as_deref(), depth)?,
    };
    Ok(Some(target))
}

/// The range's base, or the fallback branch when the base cannot be had.
fn base_or_fallback(
    checkout: &Checkout,
    base: &str,
    head: &str,
    fallback: &Option<String>,
    depth: u64,
) -> Result<(String, Option<String>), TargetError> {
    let missing = match checkout.obtain("the base commit", base, depth) {
        Ok(()) => return Ok((base.to_string(), None)),
        Err(e) => e,
    };
    let Some(branch) = fallback else {
        return Err(missing.into());
    };
    let Some(found) = checkout.remote_branch(branch) else {
        return Err(missing.into());
    };
    let note = format!(
        "the base commit {} is not available (a force push?); scanning what {} adds to {branch}",
        short(base),
        short(head)
    );
    Ok((found, Some(note)))
}

fn new_branch(
    checkout: &Checkout,
    repo_dir: &Path,
    head: &str,
    default_branch: Option<&str>,
    depth: u64,
) -> Result<Target, TargetError> {
    checkout.obtain("the pushed commit", head, depth)?;
    match default_branch.and_then(|b| checkout.remote_branch(b)) {
        Some(base) => {
            let note = format!("a new branch: scanning what {} adds to {base}", short(head));
            range(checkout, repo_dir, &base, head, depth, Some(note))
        }
        None => {
            checkout.ensure_full()?;
            Ok(full(Some(head), Some(head.to_string())))
        }
    }
}

fn range(
    checkout: &Checkout,
    repo_dir: &Path,
    base: &str,
    head: &str,
    depth: u64,
    note: Option<String>,
) -> Result<Target, TargetError> {
    checkout.connect(base, head, depth)?;
    let base_id = resolve(repo_dir, base)?;
    Ok(Target {
        range: Some((base_id, head.to_string())),
        history_of: None,
        head: Some(head.to_string()),
        note,
    })
}

fn full(only: Option<&str>, head: Option<String>) -> Target {
    Target {
        range: None,
        history_of: only.map(str::to_string),
        head,
        note: None,
    }
}

fn resolve(repo_dir: &Path, rev: &str) -> Result<String, TargetError> {
    let repo = git2::Repository::open(repo_dir)
        .map_err(|e| TargetError::Resolve(e.message().to_string()))?;
    crate::source::git::range::resolve(&repo, rev)
        .map(|id| id.to_string())
        .map_err(TargetError::Resolve)
}
