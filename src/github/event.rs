//! Reading a GitHub Actions event payload (`GITHUB_EVENT_NAME`, `GITHUB_EVENT_PATH`) into a
//! [`Plan`]: which commits a scan should cover.
//!
//! - `pull_request`, `pull_request_target`: what the pull request adds,
//!   `pull_request.base.sha..pull_request.head.sha`.
//! - `merge_group`: `merge_group.base_sha..merge_group.head_sha`.
//! - `push`: `before..after`. An all-zero `before` is a new branch: what it adds to the default
//!   branch, or its whole history when there is no other branch (a repository's first push). An
//!   all-zero `after` is a deleted branch, and `before == after` adds nothing: both scan nothing.
//!   After a force push `before` may be gone; the default branch is the fallback base then.
//! - `schedule`, `workflow_dispatch` and anything else: the full history.
//!
//! Commit ids and branch names from the payload are checked before they reach a git command
//! line, so a payload cannot smuggle an option (`--upload-pack=...`) into one.

use serde_json::Value;

use super::{is_commit_id, is_null_commit};

/// What the `mode` input asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// What the event implies: a range for pull requests and pushes, else the full history.
    Auto,
    /// Only a range; an event without one is an error.
    Diff,
    /// The full history, whatever the event.
    Full,
}

/// What to scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// What `base..head` adds.
    Range {
        /// The commit the change starts from.
        base: String,
        /// The commit it ends at.
        head: String,
        /// A branch to use as the base when `base` cannot be had (a force push's old tip).
        fallback: Option<String>,
    },
    /// A new branch: what `head` adds to `default_branch`, or all of `head`'s history when the
    /// default branch is unknown, is the pushed branch itself, or cannot be fetched.
    NewBranch {
        /// The pushed commit.
        head: String,
        /// The repository's default branch, unless it is the pushed branch.
        default_branch: Option<String>,
    },
    /// The full history of every ref.
    Full,
    /// Nothing: the change adds no commit.
    Nothing {
        /// Why, for the log and the summary.
        reason: String,
    },
}

/// An event as keytrail reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventInfo {
    /// `GITHUB_EVENT_NAME`.
    pub name: String,
    /// What to scan.
    pub plan: Plan,
    /// The pull request number, for pull-request events.
    pub pull_request: Option<u64>,
    /// How many commits the change has, when the payload says (a depth hint for fetching).
    pub commits: Option<u64>,
}

/// A payload that does not say what the event should.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EventError {
    /// A field the event must have is missing or not a string.
    #[error("the {event} event payload has no {field}")]
    Missing {
        /// Event name.
        event: String,
        /// Dotted field path.
        field: &'static str,
    },
    /// A field that must be a commit id is not one.
    #[error("the {event} event payload's {field} is not a commit id")]
    NotACommit {
        /// Event name.
        event: String,
        /// Dotted field path.
        field: &'static str,
    },
    /// `mode: diff` on an event that has no range.
    #[error("mode diff needs a pull_request, merge_group or push event, not {0}")]
    NoRange(String),
}

/// Reads the event `name` with `payload` under `mode`.
pub fn read_event(name: &str, payload: &Value, mode: Mode) -> Result<EventInfo, EventError> {
    let mut info = EventInfo {
        name: name.to_string(),
        plan: Plan::Full,
        pull_request: None,
        commits: None,
    };
    if mode == Mode::Full {
        return Ok(info);
    }
    info.plan = match name {
        "pull_request" | "pull_request_target" => {
            let pr = &payload["pull_request"];
            info.pull_request = pr["number"].as_u64().or(payload["number"].as_u64());
            info.commits = pr["commits"].as_u64();
            let base = commit(name, pr, "pull_request.base.sha", &["base", "sha"])?;
            let head = commit(name, pr, "pull_request.head.sha", &["head", "sha"])?;
            range(base, head, None)
        }
        "merge_group" => {
            let group = &payload["merge_group"];
            let base = commit(name, group, "merge_group.base_sha", &["base_sha"])?;
            let head = commit(name, group, "merge_group.head_sha", &["head_sha"])?;
            range(base, head, None)
        }
        "push" => push(name, payload, &mut info)?,
        other if mode == Mode::Diff => return Err(EventError::NoRange(other.to_string())),
        _ => Plan::Full,
    };
    Ok(info)
}

fn push(name: &str, payload: &Value, info: &mut EventInfo) -> Result<Plan, EventError> {
    let before = commit(name, payload, "before", &["before"])?;
    let after = commit(name, payload, "after", &["after"])?;
    info.commits = payload["commits"].as_array().map(|c| c.len() as u64);
    let default_branch = payload["repository"]["default_branch"]
        .as_str()
        .filter(|b| is_branch_name(b))
        .map(str::to_string);
    let pushed = payload["ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("refs/heads/"));
    let other_default = default_branch.filter(|d| Some(d.as_str()) != pushed);
    if is_null_commit(&after) {
        return Ok(Plan::Nothing {
            reason: "the push deleted a branch".into(),
        });
    }
    if is_null_commit(&before) {
        return Ok(Plan::NewBranch {
            head: after,
            default_branch: other_default,
        });
    }
    Ok(range(before, after, other_default))
}

fn range(base: String, head: String, fallback: Option<String>) -> Plan {
    if base.eq_ignore_ascii_case(&head) {
        return Plan::Nothing {
            reason: format!(
                "the base and head are the same commit ({})",
                super::short(&head)
            ),
        };
    }
    Plan::Range {
        base,
        head,
        fallback,
    }
}

/// The commit id at `path` under `v`, checked.
fn commit(
    event: &str,
    v: &Value,
    field: &'static str,
    path: &[&str],
) -> Result<String, EventError> {
    let text = path
        .iter()
        .fold(v, |v, key| &v[*key])
        .as_str()
        .ok_or_else(|| EventError::Missing {
            event: event.to_string(),
            field,
        })?;
    if !is_commit_id(text) {
        return Err(EventError::NotACommit {
            event: event.to_string(),
            field,
        });
    }
    Ok(text.to_ascii_lowercase())
}

/// Whether `name` is safe to hand to git as a branch name: git's ref-name rules, minus the
/// characters no branch of a sane repository needs, and never a leading `-`.
pub fn is_branch_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && !name.starts_with(['-', '/', '.'])
        && !name.ends_with(['/', '.'])
        && !name.ends_with(".lock")
        && !name.contains("..")
        && !name.contains("//")
        && !name.contains("@{")
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-/+".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const A: &str = "1111111111111111111111111111111111111111";
    const B: &str = "2222222222222222222222222222222222222222";
    const Z: &str = "0000000000000000000000000000000000000000";

    fn pr(base: &str, head: &str) -> Value {
        json!({"number": 7, "pull_request": {"number": 7, "commits": 3,
            "base": {"sha": base}, "head": {"sha": head}}})
    }

    fn push(before: &str, after: &str, r: &str) -> Value {
        json!({"before": before, "after": after, "ref": r, "commits": [{}, {}],
            "repository": {"default_branch": "main"}})
    }

    #[test]
    fn pull_requests_scan_base_to_head() {
        let e = read_event("pull_request", &pr(A, B), Mode::Auto).unwrap();
        assert_eq!(e.pull_request, Some(7));
        assert_eq!(e.commits, Some(3));
        assert_eq!(
            e.plan,
            Plan::Range {
                base: A.into(),
                head: B.into(),
                fallback: None
            }
        );
        let same = read_event("pull_request_target", &pr(A, A), Mode::Diff).unwrap();
        assert!(matches!(same.plan, Plan::Nothing { .. }));
    }

    #[test]
    fn pushes_scan_before_to_after_with_the_default_branch_as_fallback() {
        let e = read_event("push", &push(A, B, "refs/heads/topic"), Mode::Auto).unwrap();
        assert_eq!(
            e.plan,
            Plan::Range {
                base: A.into(),
                head: B.into(),
                fallback: Some("main".into())
            }
        );
        assert_eq!(e.commits, Some(2));
        let on_main = read_event("push", &push(A, B, "refs/heads/main"), Mode::Auto).unwrap();
        assert!(matches!(on_main.plan, Plan::Range { fallback: None, .. }));
    }

    #[test]
    fn new_and_deleted_branches() {
        let new = read_event("push", &push(Z, B, "refs/heads/topic"), Mode::Auto).unwrap();
        assert_eq!(
            new.plan,
            Plan::NewBranch {
                head: B.into(),
                default_branch: Some("main".into())
            }
        );
        let first = read_event("push", &push(Z, B, "refs/heads/main"), Mode::Auto).unwrap();
        assert_eq!(
            first.plan,
            Plan::NewBranch {
                head: B.into(),
                default_branch: None
            }
        );
        let deleted = read_event("push", &push(A, Z, "refs/heads/topic"), Mode::Auto).unwrap();
        assert!(matches!(deleted.plan, Plan::Nothing { .. }));
    }

    #[test]
    fn other_events_scan_everything_and_modes_override() {
        for name in ["schedule", "workflow_dispatch", "release"] {
            assert_eq!(
                read_event(name, &json!({}), Mode::Auto).unwrap().plan,
                Plan::Full
            );
        }
        assert_eq!(
            read_event("pull_request", &pr(A, B), Mode::Full)
                .unwrap()
                .plan,
            Plan::Full
        );
        assert_eq!(
            read_event("schedule", &json!({}), Mode::Diff),
            Err(EventError::NoRange("schedule".into()))
        );
    }

    #[test]
    fn payload_values_are_checked() {
        let bad = pr("--upload-pack=touch /tmp/x", B);
        assert!(matches!(
            read_event("pull_request", &bad, Mode::Auto),
            Err(EventError::NotACommit { .. })
        ));
        assert!(matches!(
            read_event("pull_request", &json!({}), Mode::Auto),
            Err(EventError::Missing { .. })
        ));
        let mut p = push(Z, B, "refs/heads/topic");
        p["repository"]["default_branch"] = json!("--force");
        let e = read_event("push", &p, Mode::Auto).unwrap();
        assert!(matches!(
            e.plan,
            Plan::NewBranch {
                default_branch: None,
                ..
            }
        ));
    }

    #[test]
    fn branch_names() {
        for good in ["main", "release/1.2", "feature_x-y", "v1.0+build"] {
            assert!(is_branch_name(good), "{good}");
        }
        for bad in [
            "", "-x", "a..b", "a b", "x.lock", "/a", "a/", "a@{1}", "a;b",
        ] {
            assert!(!is_branch_name(bad), "{bad}");
        }
    }
}
