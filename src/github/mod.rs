//! GitHub Actions support: what an event asks to scan ([`event`]), getting the commits a shallow
//! checkout lacks ([`history`]) and settling what is scanned ([`target`]), placing findings on the head of a change and telling secrets
//! that were already there from new ones ([`locate`]), and the one pull-request comment keytrail
//! keeps up to date through the REST API ([`api`]).
//!
//! What reaches the log, the job summary and the comment is rendered in `report::github`; this
//! module decides what to scan and talks to git and GitHub. Nothing here prints a secret: the
//! plain text is used only to find a secret again in other versions of a file, and to ask its
//! provider about it when verification is on.

pub mod api;
pub mod event;
pub mod history;
pub mod locate;
pub mod target;

/// When the job fails (the `fail-on` input).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    /// On any finding in what was scanned.
    Any,
    /// Only on findings whose secret was not already at the base.
    New,
    /// Never (report only).
    Never,
}

impl FailOn {
    /// The input's value.
    pub fn as_str(self) -> &'static str {
        match self {
            FailOn::Any => "any",
            FailOn::New => "new",
            FailOn::Never => "never",
        }
    }

    /// Whether a scan with `findings` findings, `new` of them new, fails the job.
    pub fn fails(self, findings: usize, new: usize) -> bool {
        match self {
            FailOn::Any => findings > 0,
            FailOn::New => new > 0,
            FailOn::Never => false,
        }
    }
}

/// Whether `text` is a full commit id (40 hex digits for SHA-1, 64 for SHA-256).
pub fn is_commit_id(text: &str) -> bool {
    matches!(text.len(), 40 | 64) && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Whether `text` is an all-zero commit id (GitHub's "no commit": a new or deleted branch).
pub fn is_null_commit(text: &str) -> bool {
    is_commit_id(text) && text.bytes().all(|b| b == b'0')
}

/// The first 7 characters of a commit id, for people.
pub fn short(id: &str) -> &str {
    id.get(..7).unwrap_or(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fail_on_decides() {
        assert!(FailOn::Any.fails(1, 0));
        assert!(!FailOn::Any.fails(0, 0));
        assert!(!FailOn::New.fails(3, 0));
        assert!(FailOn::New.fails(3, 1));
        assert!(!FailOn::Never.fails(3, 3));
    }

    #[test]
    fn commit_ids() {
        assert!(is_commit_id(&"a".repeat(40)));
        assert!(is_commit_id(&"0".repeat(64)));
        assert!(!is_commit_id("HEAD"));
        assert!(!is_commit_id(&format!("-{}", "a".repeat(39))));
        assert!(is_null_commit(&"0".repeat(40)));
        assert!(!is_null_commit(&"a".repeat(40)));
        assert_eq!(short("0123456789abcdef"), "0123456");
        assert_eq!(short("abc"), "abc");
    }
}
