//! Enumerating what a history scan must read: every commit of the chosen refs, oldest first, and
//! for each commit the blobs it introduces (blobs no earlier commit had).
//!
//! Trees are visited once each: a tree seen before holds only blobs seen before, so the walk over
//! 80,000 commits costs about as much as reading each distinct tree once. Commits are taken in
//! reverse topological order, so the first commit that carries a blob is the one that introduced
//! it, and that commit (with the path the blob had there) is its first-seen provenance.

use std::collections::{BTreeSet, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use git2::{Odb, Oid, Repository, Sort};

use crate::scan::CommitInfo;

/// A hasher for object ids: they are already uniformly random, so folding their bytes is enough.
#[derive(Default)]
pub struct OidHasher(u64);

impl Hasher for OidHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = self.0.rotate_left(23) ^ u64::from_le_bytes(word);
        }
    }
}

/// A set of object ids.
pub type OidSet = HashSet<Oid, BuildHasherDefault<OidHasher>>;

/// Trees and blobs already visited (in this run, or in earlier runs when re-scanning).
#[derive(Default)]
pub struct Seen {
    /// Trees already walked.
    pub trees: OidSet,
    /// Blobs already queued for scanning.
    pub blobs: OidSet,
}

/// Where the bytes of a blob to scan come from.
#[derive(Debug, Clone)]
pub enum BlobSource {
    /// A git object.
    Object(Oid),
    /// A file in the working tree (for `--worktree`).
    File(std::path::PathBuf),
}

/// A blob to scan and where it was first seen.
#[derive(Debug, Clone)]
pub struct BlobTarget {
    /// Where to read it.
    pub source: BlobSource,
    /// The commit that introduced it (none for staged or working-tree changes).
    pub commit: Option<Arc<CommitInfo>>,
    /// Its path in that commit.
    pub path: String,
    /// For range, staged and working-tree scans: the 1-based lines that are new. `None`: all.
    pub added_lines: Option<Vec<u32>>,
}

/// What a history enumeration found.
#[derive(Default)]
pub struct Enumeration {
    /// Commits walked.
    pub commits: u64,
    /// Blobs to scan, each once.
    pub blobs: Vec<BlobTarget>,
    /// Paths of submodules (gitlinks) met in trees; not followed.
    pub submodules: BTreeSet<String>,
    /// Problems met (unreadable refs, missing objects); each counts as an error.
    pub errors: Vec<String>,
}

/// Commit metadata for provenance.
pub fn commit_info(commit: &git2::Commit<'_>) -> CommitInfo {
    let author = commit.author();
    CommitInfo {
        id: commit.id().to_string(),
        author_name: String::from_utf8_lossy(author.name_bytes()).into_owned(),
        author_email: String::from_utf8_lossy(author.email_bytes()).into_owned(),
        author_time: author.when().seconds(),
        commit_time: commit.time().seconds(),
    }
}

/// The commit ids at the tips of `refs` (all references and HEAD when empty). Unresolvable
/// names are errors; references that do not point at commits (tags of trees) are skipped.
pub fn tips(repo: &Repository, refs: &[String], errors: &mut Vec<String>) -> Vec<Oid> {
    let mut out = Vec::new();
    if refs.is_empty() {
        match repo.references() {
            Ok(iter) => {
                for r in iter {
                    match r.and_then(|r| r.peel_to_commit()) {
                        Ok(c) => out.push(c.id()),
                        Err(e) if e.code() == git2::ErrorCode::InvalidSpec => {}
                        Err(e) => tracing::debug!("reference skipped: {e}"),
                    }
                }
            }
            Err(e) => errors.push(format!("cannot list references: {}", e.message())),
        }
        if let Ok(head) = repo.head().and_then(|h| h.peel_to_commit()) {
            out.push(head.id());
        }
    } else {
        for name in refs {
            match repo.revparse_single(name).and_then(|o| o.peel_to_commit()) {
                Ok(c) => out.push(c.id()),
                Err(e) => errors.push(format!("cannot resolve {name:?}: {}", e.message())),
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Every commit reachable from `tips` but not from `hide`, oldest first (reverse topological).
pub fn commit_order(
    repo: &Repository,
    tips: &[Oid],
    hide: &[Oid],
) -> Result<Vec<Oid>, git2::Error> {
    let mut walk = repo.revwalk()?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
    for tip in tips {
        walk.push(*tip)?;
    }
    for h in hide {
        if let Err(e) = walk.hide(*h) {
            tracing::debug!("cannot hide {h}: {e}");
        }
    }
    walk.collect()
}

/// Walks `commits` in order, queuing each blob not in `seen`.
pub fn walk_commits(
    repo: &Repository,
    commits: &[Oid],
    seen: &mut Seen,
) -> Result<Enumeration, git2::Error> {
    let odb = repo.odb()?;
    let mut out = Enumeration::default();
    let mut path = Vec::with_capacity(256);
    for &oid in commits {
        let commit = match repo.find_commit(oid) {
            Ok(c) => c,
            Err(e) => {
                out.errors
                    .push(format!("cannot read commit {oid}: {}", e.message()));
                continue;
            }
        };
        out.commits += 1;
        let info = Arc::new(commit_info(&commit));
        let mut walker = TreeWalker {
            odb: &odb,
            seen,
            out: &mut out,
            commit: &info,
        };
        path.clear();
        walker.walk(commit.tree_id(), &mut path);
    }
    Ok(out)
}

/// Segments per thread in a parallel walk: more segments balance better, each costs one extra
/// walk of a full tree (the snapshot at its first commit).
const SEGMENTS_PER_THREAD: usize = 4;

/// Walks `commits` on `threads` threads and merges the results as a sequential walk would.
///
/// The oldest-first commit list is cut into contiguous segments, each walked with its own seen
/// sets and repository handle. Every commit of an earlier segment precedes every commit of a later
/// one, so keeping each blob from the earliest segment that has it gives exactly the first-seen
/// commit and path of a single sequential walk. The price is one full-tree walk per segment.
pub fn walk_commits_parallel(
    git_dir: &std::path::Path,
    commits: &[Oid],
    threads: usize,
    seen: &mut Seen,
) -> Result<Enumeration, git2::Error> {
    use rayon::prelude::*;
    let segments = (threads * SEGMENTS_PER_THREAD).max(1);
    let size = commits.len().div_ceil(segments).max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| git2::Error::from_str(&e.to_string()))?;
    let parts: Vec<Result<(Enumeration, Seen), git2::Error>> = pool.install(|| {
        commits
            .par_chunks(size)
            .map(|segment| {
                let repo = Repository::open(git_dir)?;
                let mut local = Seen::default();
                let e = walk_commits(&repo, segment, &mut local)?;
                Ok((e, local))
            })
            .collect()
    });
    let mut out = Enumeration::default();
    for part in parts {
        let (e, local) = part?;
        out.commits += e.commits;
        out.errors.extend(e.errors);
        out.submodules.extend(e.submodules);
        let blobs = &mut seen.blobs;
        out.blobs
            .extend(e.blobs.into_iter().filter(|t| match &t.source {
                BlobSource::Object(oid) => blobs.insert(*oid),
                BlobSource::File(_) => true,
            }));
        seen.trees.extend(local.trees);
    }
    Ok(out)
}

/// Every blob id in the tree of `commit` (the still-at-HEAD test).
pub fn blobs_of_tree(repo: &Repository, commit: Oid) -> OidSet {
    let mut seen = Seen::default();
    let mut out = Enumeration::default();
    if let (Ok(odb), Ok(c)) = (repo.odb(), repo.find_commit(commit)) {
        let info = Arc::new(commit_info(&c));
        let mut walker = TreeWalker {
            odb: &odb,
            seen: &mut seen,
            out: &mut out,
            commit: &info,
        };
        walker.walk(c.tree_id(), &mut Vec::new());
    }
    seen.blobs
}

struct TreeWalker<'a> {
    odb: &'a Odb<'a>,
    seen: &'a mut Seen,
    out: &'a mut Enumeration,
    commit: &'a Arc<CommitInfo>,
}

impl TreeWalker<'_> {
    fn walk(&mut self, tree: Oid, path: &mut Vec<u8>) {
        if !self.seen.trees.insert(tree) {
            return;
        }
        let object = match self.odb.read(tree) {
            Ok(o) => o,
            Err(e) => {
                let at = String::from_utf8_lossy(path).into_owned();
                self.out.errors.push(format!(
                    "cannot read tree {tree} at {at:?}: {}",
                    e.message()
                ));
                return;
            }
        };
        for entry in TreeEntries(object.data()) {
            let base = path.len();
            path.extend_from_slice(entry.name);
            match entry.mode {
                b"40000" => {
                    path.push(b'/');
                    self.walk(entry.oid, path);
                }
                b"160000" => {
                    self.out
                        .submodules
                        .insert(String::from_utf8_lossy(path).into_owned());
                }
                b"100644" | b"100755" | b"100664" => self.queue(entry.oid, path),
                _ => {} // symbolic links hold a path, not content
            }
            path.truncate(base);
        }
    }

    fn queue(&mut self, blob: Oid, path: &[u8]) {
        if self.seen.blobs.insert(blob) {
            self.out.blobs.push(BlobTarget {
                source: BlobSource::Object(blob),
                commit: Some(Arc::clone(self.commit)),
                path: String::from_utf8_lossy(path).into_owned(),
                added_lines: None,
            });
        }
    }
}

/// One raw tree entry.
struct TreeEntry<'a> {
    mode: &'a [u8],
    name: &'a [u8],
    oid: Oid,
}

/// Iterates the entries of a raw tree object: `<mode> <name>\0<20-byte id>`, repeated. A
/// malformed tail ends the iteration.
struct TreeEntries<'a>(&'a [u8]);

impl<'a> Iterator for TreeEntries<'a> {
    type Item = TreeEntry<'a>;

    fn next(&mut self) -> Option<TreeEntry<'a>> {
        let data = self.0;
        let space = memchr::memchr(b' ', data)?;
        let nul = space + memchr::memchr(0, &data[space..])?;
        let id = data.get(nul + 1..nul + 21)?;
        self.0 = &data[nul + 21..];
        Some(TreeEntry {
            mode: &data[..space],
            name: &data[space + 1..nul],
            oid: Oid::from_bytes(id).ok()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_tree_entries_parse_and_stop_on_garbage() {
        let mut raw = b"100644 a.txt\0".to_vec();
        raw.extend_from_slice(&[1u8; 20]);
        raw.extend_from_slice(b"40000 dir\0");
        raw.extend_from_slice(&[2u8; 20]);
        raw.extend_from_slice(b"100644 trunc\0\x01\x02");
        let entries: Vec<_> = TreeEntries(&raw).collect();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].name, b"a.txt");
        assert_eq!(entries[1].mode, b"40000");
        assert_eq!(entries[1].oid.as_bytes(), &[2u8; 20]);
    }
}
