//! What a change adds: the blobs of a commit range, of the index (`--staged`) or of the working
//! tree (`--worktree`), each with the line numbers that are new.
//!
//! A pull request that edits a file holding an old secret must not fail on that old secret, so
//! findings of these scans are kept only where they touch an added line. For a merge commit a line
//! counts as added only if it is new relative to every parent (what the merge itself introduced,
//! such as a conflict resolution), since the merged commits are scanned on their own.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use git2::{Diff, DiffOptions, Oid, Repository, Sort, Tree};

use crate::scan::CommitInfo;

use super::enumerate::{BlobSource, BlobTarget, Enumeration, commit_info};

/// Added lines per new file of one diff, keyed by (path, new blob id).
type Added = BTreeMap<(String, Oid), Vec<u32>>;

/// Resolves `rev` to a commit id, with a clear message.
pub fn resolve(repo: &Repository, rev: &str) -> Result<Oid, String> {
    repo.revparse_single(rev)
        .and_then(|o| o.peel_to_commit())
        .map(|c| c.id())
        .map_err(|e| format!("cannot resolve {rev:?} to a commit: {}", e.message()))
}

/// The commits reachable from `head` but not from `base`, oldest first, and the lines each adds.
/// `base == head` gives an empty enumeration. A `base` that is not an ancestor of `head` (a force
/// push) still works: the range is what `head` has that `base` has not.
pub fn enumerate_range(
    repo: &Repository,
    base: Oid,
    head: Oid,
) -> Result<Enumeration, git2::Error> {
    let mut walk = repo.revwalk()?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
    walk.push(head)?;
    walk.hide(base)?;
    let mut out = Enumeration::default();
    let mut by_blob: BTreeMap<Oid, usize> = BTreeMap::new();
    for oid in walk {
        let commit = repo.find_commit(oid?)?;
        out.commits += 1;
        let info = Arc::new(commit_info(&commit));
        let tree = commit.tree()?;
        let mut added: Option<Added> = None;
        let parents: Vec<_> = commit.parents().collect();
        if parents.is_empty() {
            added = Some(added_lines(&diff_trees(repo, None, &tree)?)?);
        }
        for parent in &parents {
            let lines = added_lines(&diff_trees(repo, Some(&parent.tree()?), &tree)?)?;
            added = Some(match added {
                None => lines,
                Some(prev) => intersect(prev, &lines),
            });
        }
        for ((path, blob), lines) in added.unwrap_or_default() {
            push_target(&mut out, &mut by_blob, blob, path, lines, Some(&info));
        }
    }
    Ok(out)
}

/// What the index adds relative to HEAD (everything, in a repository with no commit yet).
pub fn enumerate_staged(repo: &Repository) -> Result<Enumeration, git2::Error> {
    let head = head_tree(repo);
    let index = repo.index()?;
    let mut opts = diff_options();
    let diff = repo.diff_tree_to_index(head.as_ref(), Some(&index), Some(&mut opts))?;
    let mut out = Enumeration::default();
    let mut by_blob = BTreeMap::new();
    for ((path, blob), lines) in added_lines(&with_renames(diff)?)? {
        push_target(&mut out, &mut by_blob, blob, path, lines, None);
    }
    Ok(out)
}

/// What the working tree (staged or not, untracked files included) adds relative to HEAD.
pub fn enumerate_worktree(repo: &Repository) -> Result<Enumeration, git2::Error> {
    let head = head_tree(repo);
    let mut opts = diff_options();
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .show_untracked_content(true);
    let diff = repo.diff_tree_to_workdir_with_index(head.as_ref(), Some(&mut opts))?;
    let workdir = repo.workdir().unwrap_or_else(|| Path::new("."));
    let mut out = Enumeration::default();
    for ((path, _), lines) in added_lines(&with_renames(diff)?)? {
        out.blobs.push(BlobTarget {
            source: BlobSource::File(workdir.join(&path)),
            commit: None,
            path,
            added_lines: Some(lines),
        });
    }
    Ok(out)
}

fn head_tree(repo: &Repository) -> Option<Tree<'_>> {
    repo.head().ok()?.peel_to_tree().ok()
}

fn push_target(
    out: &mut Enumeration,
    by_blob: &mut BTreeMap<Oid, usize>,
    blob: Oid,
    path: String,
    lines: Vec<u32>,
    commit: Option<&Arc<CommitInfo>>,
) {
    if lines.is_empty() {
        return;
    }
    if let Some(&i) = by_blob.get(&blob) {
        // The same content added again later: one scan, the first commit keeps the credit.
        let target = &mut out.blobs[i];
        if let Some(existing) = &mut target.added_lines {
            existing.extend(lines);
            existing.sort_unstable();
            existing.dedup();
        }
        return;
    }
    by_blob.insert(blob, out.blobs.len());
    out.blobs.push(BlobTarget {
        source: BlobSource::Object(blob),
        commit: commit.cloned(),
        path,
        added_lines: Some(lines),
    });
}

fn diff_options() -> DiffOptions {
    let mut opts = DiffOptions::new();
    opts.context_lines(0).ignore_submodules(true);
    opts
}

fn diff_trees<'r>(
    repo: &'r Repository,
    old: Option<&Tree<'_>>,
    new: &Tree<'_>,
) -> Result<Diff<'r>, git2::Error> {
    let mut opts = diff_options();
    with_renames(repo.diff_tree_to_tree(old, Some(new), Some(&mut opts))?)
}

/// Renamed and copied files carry no new lines unless their content changed.
fn with_renames(mut diff: Diff<'_>) -> Result<Diff<'_>, git2::Error> {
    let mut find = git2::DiffFindOptions::new();
    find.renames(true).copies(false);
    diff.find_similar(Some(&mut find))?;
    Ok(diff)
}

/// The added line numbers of each new file in `diff`.
fn added_lines(diff: &Diff<'_>) -> Result<Added, git2::Error> {
    let mut added = Added::new();
    diff.foreach(
        &mut |_, _| true,
        None,
        None,
        Some(&mut |delta, _hunk, line| {
            if line.origin() == '+'
                && let (Some(n), Some(path)) = (line.new_lineno(), delta.new_file().path())
            {
                let key = (path.to_string_lossy().into_owned(), delta.new_file().id());
                added.entry(key).or_default().push(n);
            }
            true
        }),
    )?;
    Ok(added)
}

/// Lines added relative to both parents: the keys and lines present in both maps.
fn intersect(a: Added, b: &Added) -> Added {
    a.into_iter()
        .filter_map(|(key, lines)| {
            let other = b.get(&key)?;
            let both: Vec<u32> = lines
                .into_iter()
                .filter(|l| other.binary_search(l).is_ok())
                .collect();
            (!both.is_empty()).then_some((key, both))
        })
        .collect()
}
