//! Where bytes come from: files on disk (`walk`) and the reading rules every source shares
//! (`blob`: size limit, binary detection).
//!
//! Sources produce [`Event`]s on a channel; one collector turns them into a report. Sources do
//! not format anything for people.

pub mod blob;
pub mod git;
pub mod identity;
pub mod walk;

use crate::scan::{Finding, SkipReason, Summary};

/// What a source worker tells the collector.
#[derive(Debug)]
pub enum Event {
    /// Findings from one file or blob.
    Findings(Vec<Finding>),
    /// A file was skipped (counted; named in debug logs).
    Skipped(String, SkipReason),
    /// A file or directory could not be read. Counts toward exit code 2.
    Error(String),
    /// Something worth saying that is not an error (a symlink loop).
    Warning(String),
    /// Information for the user (nothing new to scan); silenced by `--quiet`.
    Note(String),
    /// A worker finished; its counts.
    Done(Summary),
}
