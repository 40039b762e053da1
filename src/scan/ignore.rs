//! `.keytrailignore`: secrets to leave out of every report, named by the SHA-256 of their value.
//!
//! Naming a value rather than a location means the entry survives line moves, renames and
//! squashes, and is the same in every ledger (ledger fingerprints are keyed, these are not, so
//! an entry can be shared). Format: one `sha256:<64 hex digits>` (or the bare digits) per line,
//! `#` starts a comment, blank lines are ignored. `keytrail ignore` prints the line for a value.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// The file name looked for at the root of each scanned path.
pub const IGNORE_FILE: &str = ".keytrailignore";

/// A problem in an ignore file.
#[derive(Debug, thiserror::Error)]
#[error("{path}:{line}: {message}")]
pub struct IgnoreError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Secret values to ignore, by hash.
#[derive(Debug, Default, Clone)]
pub struct IgnoreList {
    hashes: HashSet<[u8; 32]>,
}

impl IgnoreList {
    /// Adds the entries of one file; returns the bad lines (the good ones are kept).
    pub fn add_text(&mut self, path: &Path, text: &str) -> Vec<IgnoreError> {
        let mut problems = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let entry = raw.split('#').next().unwrap_or_default().trim();
            if entry.is_empty() {
                continue;
            }
            let digits = entry.strip_prefix("sha256:").unwrap_or(entry);
            match hex::decode(digits)
                .ok()
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
            {
                Some(hash) => {
                    self.hashes.insert(hash);
                }
                None => problems.push(IgnoreError {
                    path: path.to_path_buf(),
                    line: i + 1,
                    message: "expected `sha256:` and 64 hex digits".into(),
                }),
            }
        }
        problems
    }

    /// Whether a secret value is ignored.
    pub fn is_ignored(&self, secret: &str) -> bool {
        !self.hashes.is_empty() && self.hashes.contains(&hash(secret))
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }
}

/// The SHA-256 of a secret value.
fn hash(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// The ignore-file line for a secret value.
pub fn ignore_line(secret: &str) -> String {
    format!("sha256:{}", hex::encode(hash(secret)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_match_values_and_bad_lines_are_named() {
        let mut list = IgnoreList::default();
        let text = format!(
            "# test fixtures\n{}  # the demo key\n\nnot-a-hash\n{}\n",
            ignore_line("hunter2hunter2"),
            &ignore_line("other")[7..]
        );
        let problems = list.add_text(Path::new(".keytrailignore"), &text);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, 4);
        assert!(problems[0].to_string().starts_with(".keytrailignore:4:"));
        assert!(list.is_ignored("hunter2hunter2"));
        assert!(list.is_ignored("other"));
        assert!(!list.is_ignored("hunter3hunter3"));
    }
}
