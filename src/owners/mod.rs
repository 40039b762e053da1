//! Ownership attribution: who must revoke a leaked secret, and how that answer was reached.
//!
//! Two sources of rules are read from a repository: an *owners map* (`keytrail.toml`, or a file
//! given with `--owners`) that names a service, a technical owner, a lifecycle owner and
//! contacts for repositories and paths, and a `CODEOWNERS` file in GitHub or GitLab syntax. A
//! finding's path is attributed by the first source that owns it, in this order: owners map
//! entry, CODEOWNERS line, the author of the commit that introduced it (history scans only),
//! unowned. History findings are attributed with the rules of HEAD, and say so.
//!
//! This module parses and matches rules (`pattern`, `set`, `codeowners`, `resolve`, `map`), finds them
//! in a directory or in HEAD's tree (`discover`), attributes paths (`attribute`) and explains or
//! checks the rules (`explain`, `check`). It does not scan, and it does not print: reports and
//! the CLI decide how attributions are shown.

pub mod attribute;
pub mod check;
pub mod codeowners;
pub mod discover;
pub mod explain;
pub mod map;
pub mod pattern;
pub mod resolve;
pub mod set;

use std::fmt;

use serde::Serialize;

pub use attribute::RepoOwnership;
pub use codeowners::{Codeowners, Flavor};
pub use map::OwnersMap;

/// An owning identity: a user (`@name`), a team or group (`@org/team`), a GitLab role
/// (`@@maintainer`) or an email address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Owner(String);

impl Owner {
    /// Wraps an owner as written (not validated; see [`Owner::parse`]).
    pub fn new(text: impl Into<String>) -> Owner {
        Owner(text.into())
    }

    /// An owner if `text` has the shape of one (`@user`, `@org/team`, `@a/b/c`, `@@role`,
    /// `name@example.com`), else `None`. `nested` allows more than one `/` (GitLab subgroups)
    /// and `@@role`.
    pub fn parse(text: &str, nested: bool) -> Option<Owner> {
        let is_name = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        };
        let ok = if let Some(role) = text.strip_prefix("@@") {
            nested && is_name(role)
        } else if let Some(handle) = text.strip_prefix('@') {
            let parts: Vec<&str> = handle.split('/').collect();
            parts.iter().all(|p| is_name(p)) && (nested || parts.len() <= 2)
        } else {
            is_email(text)
        };
        ok.then(|| Owner(text.to_string()))
    }

    /// The owner as written, e.g. `@org/team`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `local@domain.tld`, loosely: one `@`, no white space, a dot in the domain.
fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    let ok = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "._%+-".contains(c))
    };
    ok(local)
        && ok(domain)
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
}

/// Where to reach an owner, from the owners map.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Contacts {
    /// An email address.
    pub email: Option<String>,
    /// A Slack channel, e.g. `#payments-oncall`.
    pub slack: Option<String>,
    /// A webhook URL that accepts notifications.
    pub webhook: Option<String>,
}

impl Contacts {
    /// Whether no contact is given.
    pub fn is_empty(&self) -> bool {
        self.email.is_none() && self.slack.is_none() && self.webhook.is_none()
    }
}

/// A line of a rules file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineRef {
    /// The file, relative to the repository root (or as given on the command line).
    pub file: String,
    /// 1-based line number.
    pub line: u32,
}

impl fmt::Display for LineRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// Which rule decided a finding's owners.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttributionSource {
    /// An owners map entry.
    OwnersMap {
        /// The entry's `name`.
        name: String,
        /// The entry's position in the map (0-based).
        index: usize,
        /// The map file.
        file: String,
        /// The line of the entry's `[[owner]]` header.
        line: u32,
    },
    /// A CODEOWNERS line (for GitLab, the last matching line of the last section that owns
    /// the path; `also` lists the deciding lines of the other sections).
    Codeowners {
        /// The CODEOWNERS file.
        file: String,
        /// The deciding line.
        line: u32,
        /// The pattern on that line, as written.
        pattern: String,
        /// Deciding lines of other GitLab sections that also own the path.
        also: Vec<u32>,
    },
    /// The author of the commit that introduced the secret (history scans).
    CommitAuthor {
        /// The commit id.
        commit: String,
        /// A CODEOWNERS line that leaves the path deliberately unowned, if one matched.
        unowned_by: Option<LineRef>,
    },
    /// Nobody: no rule owns the path and there is no commit to fall back to.
    Unowned {
        /// A CODEOWNERS line that leaves the path deliberately unowned, if one matched.
        unowned_by: Option<LineRef>,
    },
}

impl AttributionSource {
    /// A short stable name: `owners-map`, `codeowners`, `commit-author`, `unowned`.
    pub fn kind(&self) -> &'static str {
        match self {
            AttributionSource::OwnersMap { .. } => "owners-map",
            AttributionSource::Codeowners { .. } => "codeowners",
            AttributionSource::CommitAuthor { .. } => "commit-author",
            AttributionSource::Unowned { .. } => "unowned",
        }
    }
}

/// Who owns a finding, and why. Shared (behind an `Arc`) by every finding at the same path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribution {
    /// The owners to notify; empty when unowned.
    pub owners: Vec<Owner>,
    /// The service the path belongs to (owners map).
    pub service: Option<String>,
    /// Who maintains the service (owners map).
    pub technical_owner: Option<Owner>,
    /// Who is accountable for revoking its credentials (owners map).
    pub lifecycle_owner: Option<Owner>,
    /// Where to reach the owners (owners map).
    pub contacts: Contacts,
    /// Which rule decided.
    pub source: AttributionSource,
    /// Whether the rules of HEAD were applied to a finding from an older commit.
    pub at_head: bool,
}

impl Attribution {
    /// Whether nobody owns the finding.
    pub fn is_unowned(&self) -> bool {
        self.owners.is_empty()
    }

    /// The owners as one label (`@a, @b`), or `unowned`.
    pub fn label(&self) -> String {
        if self.owners.is_empty() {
            return "unowned".to_string();
        }
        let names: Vec<&str> = self.owners.iter().map(Owner::as_str).collect();
        names.join(", ")
    }

    /// How the owners were found, in one sentence.
    pub fn reason(&self) -> String {
        let mut text = match &self.source {
            AttributionSource::OwnersMap {
                name, file, line, ..
            } => format!("owners map entry {name:?} ({file}:{line})"),
            AttributionSource::Codeowners {
                file,
                line,
                pattern,
                also,
            } => {
                let mut t = format!("CODEOWNERS line {line} ({file}:{line}, pattern {pattern:?})");
                if !also.is_empty() {
                    let lines: Vec<String> = also.iter().map(u32::to_string).collect();
                    t.push_str(&format!(
                        " and lines {} of other sections",
                        lines.join(", ")
                    ));
                }
                t
            }
            AttributionSource::CommitAuthor { commit, unowned_by } => {
                let short = &commit[..commit.len().min(12)];
                let why = unowned_by.as_ref().map_or_else(
                    || "no owners map entry or CODEOWNERS line owns the path".to_string(),
                    |l| format!("{l} leaves the path deliberately unowned"),
                );
                format!("{why}; the author of commit {short}, which introduced it")
            }
            AttributionSource::Unowned { unowned_by } => unowned_by.as_ref().map_or_else(
                || "no owners map entry or CODEOWNERS line owns the path".to_string(),
                |l| format!("{l} leaves the path deliberately unowned"),
            ),
        };
        if self.at_head {
            text.push_str(" (ownership rules as of HEAD)");
        }
        text
    }
}

/// What is wrong with one line of a CODEOWNERS file or owners map.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {problem}")]
pub struct LineError {
    /// The file.
    pub file: String,
    /// 1-based line number.
    pub line: u32,
    /// What is wrong.
    pub problem: Problem,
}

/// The kinds of problem a rules line can have. [`Problem::is_skipped`] tells whether the line
/// was dropped or kept with the problem part ignored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// A pattern that cannot be compiled or is not valid in this flavour.
    #[error("{0}; line skipped")]
    Pattern(#[from] pattern::PatternError),
    /// An owner that is not `@user`, `@org/team` or an email; the other owners are kept.
    #[error("{0:?} is not an owner (@user, @org/team or an email); ignored")]
    BadOwner(String),
    /// Every owner on the line is malformed.
    #[error("no valid owner among {0:?}; line skipped")]
    NoValidOwner(String),
    /// A GitLab section header that cannot be read.
    #[error("malformed section header: {0}; line skipped")]
    BadSection(String),
    /// A GitLab section header in a GitHub CODEOWNERS file.
    #[error("GitLab section headers are not supported by GitHub; line skipped")]
    SectionOnGitHub,
    /// A GitLab entry with no owners in a section without default owners.
    #[error("GitLab requires owners here (no section default); the path is left unowned")]
    MissingOwner,
    /// Owners after a GitLab exclusion pattern.
    #[error("owners after an exclusion (`!`) pattern are ignored")]
    OwnersOnExclusion,
    /// The owners map is not valid TOML, or an entry does not have the expected shape.
    #[error("{0}")]
    Map(String),
}

impl Problem {
    /// Whether the whole line was dropped.
    pub fn is_skipped(&self) -> bool {
        matches!(
            self,
            Problem::Pattern(_)
                | Problem::NoValidOwner(_)
                | Problem::BadSection(_)
                | Problem::SectionOnGitHub
                | Problem::Map(_)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_parse_by_shape() {
        assert!(Owner::parse("@octocat", false).is_some());
        assert!(Owner::parse("@octo-org/octocats", false).is_some());
        assert!(Owner::parse("@group/sub/team", false).is_none());
        assert!(Owner::parse("@group/sub/team", true).is_some());
        assert!(Owner::parse("@@maintainer", true).is_some());
        assert!(Owner::parse("@@maintainer", false).is_none());
        assert!(Owner::parse("docs@example.com", false).is_some());
        assert!(Owner::parse("octocat", false).is_none());
        assert!(Owner::parse("@", false).is_none());
        assert!(Owner::parse("a@b", false).is_none());
        assert_eq!(
            Owner::parse("@a/b", false).map(|o| o.to_string()),
            Some("@a/b".into())
        );
    }

    #[test]
    fn reasons_name_the_rule_and_head() {
        let a = Attribution {
            owners: vec![Owner::new("@acme/payments")],
            service: None,
            technical_owner: None,
            lifecycle_owner: None,
            contacts: Contacts::default(),
            source: AttributionSource::Codeowners {
                file: ".github/CODEOWNERS".into(),
                line: 7,
                pattern: "/payments/".into(),
                also: vec![],
            },
            at_head: true,
        };
        assert_eq!(
            a.reason(),
            "CODEOWNERS line 7 (.github/CODEOWNERS:7, pattern \"/payments/\") (ownership rules as of HEAD)"
        );
        assert_eq!(a.label(), "@acme/payments");
        assert_eq!(a.source.kind(), "codeowners");
    }
}
