//! keytrail finds credentials that leaked into repositories, says who owns them, and follows
//! each leaked secret until it is revoked.
//!
//! The library is layered as the data flows:
//! - [`source`]: where bytes come from (directory walks; git history later) as *blobs*;
//! - [`rules`]: what to look for, loaded from `rules/*.toml` and user files into a `RuleSet`;
//! - [`scan`]: the per-thread matcher that turns blobs into *findings*;
//! - [`owners`]: who owns each finding (owners map, CODEOWNERS, commit author), and why;
//! - [`report`]: human text, JSON, JSON Lines, SARIF, GitLab reports, GitHub annotations;
//! - [`github`]: what a GitHub Actions event asks to scan, shallow checkouts, the PR comment.
//!
//! The `keytrail` binary in `src/main.rs` and `cli` is a thin layer over these.

pub mod cli;
pub mod github;
pub mod ledger;
pub mod metrics;
pub mod owners;
pub mod report;
pub mod rules;
pub mod scan;
pub mod source;
pub mod verify;
