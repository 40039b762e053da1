//! Incremental history scans: what an earlier scan of a repository already covered.
//!
//! The state is the ref tips scanned plus every tree and blob id visited. A re-scan hides the old
//! tips from the commit walk and skips visited trees and blobs, so it reads only what is new; when
//! no tip moved it reads nothing at all. The file is written to a temporary name and renamed, so a
//! killed scan leaves the previous state intact. Where the state is kept is a [`StateStore`]: a
//! directory of state files ([`StateDir`]) or the ledger, which then holds it for every scanner.
//!
//! Format: `keytrail-history-state 1\n`, then three sections, each a little-endian u64 count
//! followed by that many 20-byte object ids: tips, trees, blobs.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use git2::Oid;
use sha2::{Digest, Sha256};

use super::enumerate::{OidSet, Seen};

const MAGIC: &[u8] = b"keytrail-history-state 1\n";

/// The remembered coverage of one repository.
#[derive(Default)]
pub struct HistoryState {
    /// Ref tips of the last scan.
    pub tips: Vec<Oid>,
    /// Trees and blobs visited so far.
    pub seen: Seen,
}

/// Where incremental state is kept.
pub trait StateStore: Send + Sync + std::fmt::Debug {
    /// The state of a repository (empty if none was saved).
    fn load(&self, repo: &git2::Repository) -> Result<HistoryState, String>;
    /// Replaces the state of a repository; must be atomic.
    fn save(&self, repo: &git2::Repository, state: &HistoryState) -> Result<(), String>;
}

/// State files in a directory, one per repository.
#[derive(Debug, Clone)]
pub struct StateDir(pub PathBuf);

impl StateStore for StateDir {
    fn load(&self, repo: &git2::Repository) -> Result<HistoryState, String> {
        load(&state_path(&self.0, repo.commondir())).map_err(|e| e.to_string())
    }

    fn save(&self, repo: &git2::Repository, state: &HistoryState) -> Result<(), String> {
        let path = state_path(&self.0, repo.commondir());
        save(&path, state).map_err(|e| format!("cannot save {}: {e}", path.display()))
    }
}

/// The state file for the repository at `git_dir` under `state_dir`.
pub fn state_path(state_dir: &Path, git_dir: &Path) -> PathBuf {
    let canonical = fs::canonicalize(git_dir).unwrap_or_else(|_| git_dir.to_path_buf());
    let digest = Sha256::digest(canonical.to_string_lossy().as_bytes());
    let name: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    state_dir.join(format!("{name}.state"))
}

/// Loads a state file; a missing file is an empty state.
pub fn load(path: &Path) -> io::Result<HistoryState> {
    let mut data = Vec::new();
    match fs::File::open(path) {
        Ok(mut f) => f.read_to_end(&mut data)?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(HistoryState::default()),
        Err(e) => return Err(e),
    };
    from_bytes(&data).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{} is not a keytrail history state file", path.display()),
        )
    })
}

/// Reads the serialised form; `None` if it is not a state.
pub fn from_bytes(data: &[u8]) -> Option<HistoryState> {
    let mut rest = data.strip_prefix(MAGIC)?;
    let tips = read_ids(&mut rest)?;
    let trees = read_ids(&mut rest)?;
    let blobs = read_ids(&mut rest)?;
    rest.is_empty().then(|| HistoryState {
        tips,
        seen: Seen {
            trees: trees.into_iter().collect(),
            blobs: blobs.into_iter().collect(),
        },
    })
}

fn read_ids(rest: &mut &[u8]) -> Option<Vec<Oid>> {
    let count = usize::try_from(u64::from_le_bytes(rest.get(..8)?.try_into().ok()?)).ok()?;
    let bytes = rest.get(8..8 + count.checked_mul(20)?)?;
    *rest = &rest[8 + bytes.len()..];
    bytes
        .chunks_exact(20)
        .map(|c| Oid::from_bytes(c).ok())
        .collect()
}

/// Writes the state atomically (temporary file, fsync, rename).
pub fn save(path: &Path, state: &HistoryState) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("state.tmp");
    let mut file = fs::File::create(&tmp)?;
    file.write_all(&to_bytes(state))?;
    file.sync_all()?;
    fs::rename(&tmp, path)
}

/// The serialised form of a state.
pub fn to_bytes(state: &HistoryState) -> Vec<u8> {
    let ids = state.tips.len() + state.seen.trees.len() + state.seen.blobs.len();
    let mut out = Vec::with_capacity(MAGIC.len() + 24 + ids * 20);
    out.extend_from_slice(MAGIC);
    write_ids(&mut out, state.tips.iter());
    write_ids(&mut out, state.seen.trees.iter());
    write_ids(&mut out, state.seen.blobs.iter());
    out
}

fn write_ids<'a>(out: &mut Vec<u8>, ids: impl ExactSizeIterator<Item = &'a Oid>) {
    out.extend_from_slice(&(ids.len() as u64).to_le_bytes());
    for id in ids {
        out.extend_from_slice(id.as_bytes());
    }
}

/// Whether two tip lists name the same commits.
pub fn same_tips(a: &[Oid], b: &[Oid]) -> bool {
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort();
    b.sort();
    a == b
}

/// A set with the given ids (for tests and callers building state by hand).
pub fn oid_set(ids: impl IntoIterator<Item = Oid>) -> OidSet {
    ids.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oid(b: u8) -> Oid {
        Oid::from_bytes(&[b; 20]).unwrap()
    }

    #[test]
    fn state_round_trips_and_rejects_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/x.state");
        let state = HistoryState {
            tips: vec![oid(1)],
            seen: Seen {
                trees: oid_set([oid(2), oid(3)]),
                blobs: oid_set([oid(4)]),
            },
        };
        save(&path, &state).unwrap();
        let back = load(&path).unwrap();
        assert_eq!(back.tips, vec![oid(1)]);
        assert_eq!(back.seen.trees.len(), 2);
        assert!(back.seen.blobs.contains(&oid(4)));
        fs::write(&path, b"keytrail-history-state 1\n\x05").unwrap();
        assert!(load(&path).is_err());
        assert!(load(&dir.path().join("missing")).unwrap().tips.is_empty());
    }

    #[test]
    fn tips_compare_as_sets() {
        assert!(same_tips(&[oid(1), oid(2)], &[oid(2), oid(1)]));
        assert!(!same_tips(&[oid(1)], &[oid(1), oid(2)]));
    }
}
