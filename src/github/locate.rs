//! Placing a range's findings on the head of the change, and telling secrets that were already
//! at its base from new ones.
//!
//! A range scan reports a secret where the commit that added it put it. A later commit of the
//! same pull request may have moved that line, and an annotation belongs on the line the pull
//! request shows, so each finding is looked up again in the head's version of its file.
//!
//! A line the change adds can still hold an old secret: a reformatted line, a secret moved from
//! one file to another. For `fail-on: new`, a secret counts as already there when the base (the
//! commit where base and head meet) holds it in the same file, or in any file the change
//! modifies, renames or deletes. A secret copied from a file the change does not touch counts
//! as new.

use std::collections::{HashMap, HashSet};

use git2::{Delta, Oid, Repository, Tree};

use crate::scan::{Finding, Fingerprint, Span};

/// Moves each finding to where its secret is in `head`'s version of the same file (the
/// occurrence nearest its reported line). Findings whose secret is not there verbatim (removed
/// later, or found inside a decoded value) keep their place.
pub fn relocate_at_head(repo: &Repository, head: Oid, findings: &mut [Finding]) {
    let Ok(tree) = repo.find_commit(head).and_then(|c| c.tree()) else {
        return;
    };
    let mut files: HashMap<String, Option<Vec<u8>>> = HashMap::new();
    for f in findings {
        let bytes = files
            .entry(f.path.clone())
            .or_insert_with(|| blob_at(repo, &tree, &f.path));
        let secret = f.secret.plain().as_bytes();
        if let Some(span) = bytes
            .as_deref()
            .and_then(|b| nearest(b, secret, f.span.line))
        {
            f.span = span;
        }
    }
}

/// Fingerprints of the findings whose secret `base` already held (see the module docs).
pub fn already_at_base(
    repo: &Repository,
    base: Oid,
    head: Oid,
    findings: &[Finding],
) -> HashSet<Fingerprint> {
    let meet = repo.merge_base(base, head).unwrap_or(base);
    let trees = (
        repo.find_commit(meet).and_then(|c| c.tree()),
        repo.find_commit(head).and_then(|c| c.tree()),
    );
    let (Ok(base_tree), Ok(head_tree)) = trees else {
        return HashSet::new();
    };
    let mut paths: Vec<String> = touched_paths(repo, &base_tree, &head_tree);
    paths.extend(findings.iter().map(|f| f.path.clone()));
    paths.sort();
    paths.dedup();
    let mut seen_blobs = HashSet::new();
    let blobs: Vec<Vec<u8>> = paths
        .iter()
        .filter_map(|p| base_tree.get_path(std::path::Path::new(p)).ok())
        .filter(|e| seen_blobs.insert(e.id()))
        .filter_map(|e| repo.find_blob(e.id()).ok().map(|b| b.content().to_vec()))
        .collect();
    findings
        .iter()
        .filter(|f| {
            let secret = f.secret.plain().as_bytes();
            !secret.is_empty()
                && blobs
                    .iter()
                    .any(|b| memchr::memmem::find(b, secret).is_some())
        })
        .map(|f| f.fingerprint.clone())
        .collect()
}

/// Paths (at the base) of files the change modifies, renames, copies or deletes.
fn touched_paths(repo: &Repository, base: &Tree<'_>, head: &Tree<'_>) -> Vec<String> {
    let Ok(mut diff) = repo.diff_tree_to_tree(Some(base), Some(head), None) else {
        return Vec::new();
    };
    let _ = diff.find_similar(None);
    diff.deltas()
        .filter(|d| !matches!(d.status(), Delta::Added | Delta::Untracked))
        .filter_map(|d| {
            d.old_file()
                .path()
                .map(|p| p.to_string_lossy().into_owned())
        })
        .collect()
}

fn blob_at(repo: &Repository, tree: &Tree<'_>, path: &str) -> Option<Vec<u8>> {
    let entry = tree.get_path(std::path::Path::new(path)).ok()?;
    let blob = repo.find_blob(entry.id()).ok()?;
    Some(blob.content().to_vec())
}

/// The span of the occurrence of `needle` in `hay` whose line is nearest `line`.
fn nearest(hay: &[u8], needle: &[u8], line: u32) -> Option<Span> {
    if needle.is_empty() {
        return None;
    }
    let mut best: Option<(u32, usize, u32)> = None;
    let (mut counted_to, mut current) = (0usize, 1u32);
    for at in memchr::memmem::find_iter(hay, needle) {
        current += memchr::memchr_iter(b'\n', &hay[counted_to..at]).count() as u32;
        counted_to = at;
        let distance = current.abs_diff(line);
        if best.is_none_or(|(d, _, _)| distance < d) {
            best = Some((distance, at, current));
        }
    }
    let (_, at, start_line) = best?;
    Some(span_of(hay, at, needle.len(), start_line))
}

/// The span of `len` bytes at `at`, whose first byte is on line `line`.
fn span_of(hay: &[u8], at: usize, len: usize, line: u32) -> Span {
    let chars = |b: &[u8]| String::from_utf8_lossy(b).chars().count() as u32;
    let line_start = memchr::memrchr(b'\n', &hay[..at]).map_or(0, |i| i + 1);
    let end = at + len;
    let last = end.saturating_sub(1).max(at);
    let end_line_start = memchr::memrchr(b'\n', &hay[..last]).map_or(0, |i| i + 1);
    let inner_lines = memchr::memchr_iter(b'\n', &hay[at..last]).count() as u32;
    Span {
        line,
        column: chars(&hay[line_start..at]) + 1,
        end_line: line + inner_lines,
        end_column: chars(&hay[end_line_start..end]) + 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_occurrence_wins() {
        let hay = b"a\nSECRET\nb\nc\nx = SECRET\n";
        let s = nearest(hay, b"SECRET", 5).unwrap();
        assert_eq!((s.line, s.column, s.end_line, s.end_column), (5, 5, 5, 11));
        let s = nearest(hay, b"SECRET", 1).unwrap();
        assert_eq!((s.line, s.column), (2, 1));
        assert!(nearest(hay, b"absent", 1).is_none());
    }

    #[test]
    fn columns_count_characters_and_spans_cross_lines() {
        let hay = "é = KEY\nKEY2\n".as_bytes();
        let s = nearest(hay, b"KEY\nKEY2", 1).unwrap();
        assert_eq!((s.line, s.column, s.end_line, s.end_column), (1, 5, 2, 5));
    }
}
