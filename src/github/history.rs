//! Making sure a checkout holds the commits a scan needs.
//!
//! `actions/checkout` fetches one commit by default (`fetch-depth: 1`), and for a pull request
//! that commit is a merge GitHub made, whose parents are absent. A range scan needs both ends
//! and the history between them: without the commit where they meet, the oldest commit present
//! would look like a first commit and everything in it like an addition. So the ends are
//! fetched by id, then the history is deepened (50 commits or the change's size, then 500, then
//! 5,000, then all of it) until git finds where base and head meet. When fetching fails, the
//! error says to check out with `fetch-depth: 0`.
//!
//! Fetching uses the `git` program, not libgit2, because that is what `actions/checkout` sets
//! up credentials for. Its messages are sanitised and stripped of URL passwords before they are
//! shown.

use std::path::{Path, PathBuf};
use std::process::Command;

use git2::Repository;

use crate::report::sanitize::{sanitize, strip_url_password};

/// What to tell the user when history is missing and cannot be fetched.
pub const FETCH_DEPTH_HINT: &str = "check out the full history: actions/checkout with `fetch-depth: 0` (on other CI, a clone without --depth)";

/// A commit or the history a scan needs is not there and could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// The path is not a git repository.
    #[error("{0} is not a git repository ({1})")]
    NotARepository(String, String),
    /// A commit is missing.
    #[error(
        "{what} {id} is not in this checkout and could not be fetched ({detail}); {FETCH_DEPTH_HINT}"
    )]
    MissingCommit {
        /// Which end ("the base commit").
        what: String,
        /// The commit id or ref.
        id: String,
        /// git's last words.
        detail: String,
    },
    /// The checkout is shallow and the rest of the history could not be fetched.
    #[error(
        "this checkout is shallow and {what} could not be fetched ({detail}); {FETCH_DEPTH_HINT}"
    )]
    Shallow {
        /// What was needed ("the commit where base and head meet").
        what: String,
        /// git's last words.
        detail: String,
    },
}

/// A checkout and the remote it fetches from.
#[derive(Debug, Clone)]
pub struct Checkout {
    dir: PathBuf,
    remote: String,
}

impl Checkout {
    /// The repository at `dir`, fetching from `origin`.
    pub fn open(dir: &Path) -> Result<Checkout, HistoryError> {
        Repository::open(dir).map_err(|e| {
            HistoryError::NotARepository(dir.display().to_string(), e.message().to_string())
        })?;
        Ok(Checkout {
            dir: dir.to_path_buf(),
            remote: "origin".into(),
        })
    }

    fn repo(&self) -> Option<Repository> {
        Repository::open(&self.dir).ok()
    }

    /// Whether `rev` names a commit present here.
    pub fn has_commit(&self, rev: &str) -> bool {
        self.repo().is_some_and(|r| {
            r.revparse_single(rev)
                .and_then(|o| o.peel_to_commit())
                .is_ok()
        })
    }

    /// Whether the checkout is shallow.
    pub fn is_shallow(&self) -> bool {
        self.repo().is_some_and(|r| r.is_shallow())
    }

    /// Whether git can find a commit both `a` and `b` descend from.
    pub fn has_merge_base(&self, a: &str, b: &str) -> bool {
        let Some(repo) = self.repo() else {
            return false;
        };
        let id = |rev: &str| repo.revparse_single(rev).and_then(|o| o.peel_to_commit());
        match (id(a), id(b)) {
            (Ok(a), Ok(b)) => repo.merge_base(a.id(), b.id()).is_ok(),
            _ => false,
        }
    }

    /// Makes commit `id` (a full commit id) present, fetching it if needed.
    pub fn obtain(&self, what: &str, id: &str, depth: u64) -> Result<(), HistoryError> {
        if self.has_commit(id) {
            return Ok(());
        }
        let depth_arg = format!("--depth={depth}");
        let mut args = vec!["fetch", "--no-tags", "--quiet"];
        if self.is_shallow() {
            args.push(&depth_arg);
        }
        args.extend([self.remote.as_str(), id]);
        let detail = match self.git(&args) {
            Ok(()) if self.has_commit(id) => return Ok(()),
            Ok(()) => "the remote did not send it".to_string(),
            Err(e) => e,
        };
        Err(HistoryError::MissingCommit {
            what: what.to_string(),
            id: id.to_string(),
            detail,
        })
    }

    /// Deepens a shallow checkout until git finds where `base` and `head` (full commit ids,
    /// both present) meet. Nothing to do in a complete checkout, where two histories that never
    /// meet are simply unrelated.
    pub fn connect(&self, base: &str, head: &str, hint: u64) -> Result<(), HistoryError> {
        let met = || !self.is_shallow() || self.has_merge_base(base, head);
        for depth in [hint.saturating_add(2).max(50), 500, 5000] {
            if met() {
                return Ok(());
            }
            let depth = format!("--depth={depth}");
            let args = [
                "fetch",
                "--no-tags",
                "--quiet",
                &depth,
                &self.remote,
                head,
                base,
            ];
            if self.git(&args).is_err() {
                break;
            }
        }
        if met() {
            return Ok(());
        }
        let shallow = |detail: String| HistoryError::Shallow {
            what: "the commit where the base and head meet".into(),
            detail,
        };
        self.unshallow().map_err(shallow)?;
        match met() {
            true => Ok(()),
            false => Err(shallow("no common commit".into())),
        }
    }

    /// Makes a shallow checkout complete.
    pub fn ensure_full(&self) -> Result<(), HistoryError> {
        if !self.is_shallow() {
            return Ok(());
        }
        self.unshallow().map_err(|detail| HistoryError::Shallow {
            what: "the rest of the history".into(),
            detail,
        })
    }

    /// Fetches `branch` into `refs/remotes/<remote>/<branch>` unless it is already there, and
    /// returns that ref's name when it resolves. `branch` must be a checked branch name.
    pub fn remote_branch(&self, branch: &str) -> Option<String> {
        let name = format!("refs/remotes/{}/{branch}", self.remote);
        if self.has_commit(&name) {
            return Some(name);
        }
        let spec = format!("+refs/heads/{branch}:{name}");
        let mut args = vec!["fetch", "--no-tags", "--quiet"];
        if self.is_shallow() {
            args.push("--depth=1");
        }
        args.extend([self.remote.as_str(), spec.as_str()]);
        match self.git(&args) {
            Ok(()) if self.has_commit(&name) => Some(name),
            Ok(()) => None,
            Err(e) => {
                tracing::info!(branch, error = %e, "cannot fetch the default branch");
                None
            }
        }
    }

    fn unshallow(&self) -> Result<(), String> {
        self.git(&["fetch", "--no-tags", "--quiet", "--unshallow", &self.remote])
    }

    /// Runs git in the checkout; on failure, the last line of what it said, made safe.
    fn git(&self, args: &[&str]) -> Result<(), String> {
        tracing::info!(args = ?args, "git");
        let out = Command::new("git")
            .arg("-C")
            .arg(&self.dir)
            .args(args)
            .env("GIT_TERMINAL_PROMPT", "0")
            .output()
            .map_err(|e| format!("cannot run git: {e}"))?;
        if out.status.success() {
            return Ok(());
        }
        Err(last_words(&String::from_utf8_lossy(&out.stderr)))
    }
}

/// The last non-empty line of git's error output, without URL passwords or control characters.
fn last_words(stderr: &str) -> String {
    let line = stderr
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .unwrap_or("git failed without a message");
    let safe: Vec<String> = line
        .split(' ')
        .map(|w| match w.contains("://") {
            true => strip_url_password(w),
            false => w.to_string(),
        })
        .collect();
    sanitize(&safe.join(" ")).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_messages_lose_passwords_and_control_characters() {
        let said = "warning: x\nfatal: unable to access 'https://u:hunter2@example.com/r.git/': \x1b[31mfailed\n\n";
        let w = last_words(said);
        assert!(!w.contains("hunter2"), "{w}");
        assert!(w.starts_with("fatal: unable to access"), "{w}");
        assert!(!w.contains('\x1b'), "{w}");
        assert_eq!(last_words(""), "git failed without a message");
    }
}
