//! Turning findings and a summary into output: human text, JSON, JSON Lines, SARIF, GitLab's
//! secret-detection and Code Quality reports, and (in `github`) what GitHub Actions shows.
//!
//! Every writer takes the same [`ReportContext`]. Secrets are redacted unless the context says
//! otherwise, and text from the scanned repository is sanitised before it reaches a terminal.

pub mod github;
mod gitlab;
mod human;
pub mod json;
pub mod owners;
pub mod sanitize;
mod sarif;

use std::io::{self, Write};

use crate::rules::RuleSet;
use crate::scan::{Finding, Summary};

pub use gitlab::{secret_detection_report, write_codequality, write_gitlab};
pub use human::{human_bytes, summary_line, write_human};
pub use json::{finding_json, write_json, write_jsonl};
pub use sarif::{sarif_document, write_sarif};

/// Version of the JSON and JSON Lines output shape. Bumped on any incompatible change.
pub const JSON_FORMAT_VERSION: u32 = 1;

/// Output format of `keytrail scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Readable text grouped by owner and file.
    Human,
    /// One JSON object with `findings` and `summary`.
    Json,
    /// One JSON object per line, each with a `type`.
    Jsonl,
    /// SARIF 2.1.0.
    Sarif,
    /// GitLab secret-detection report (`artifacts:reports:secret_detection`).
    Gitlab,
    /// Code Quality JSON for GitLab merge requests (`artifacts:reports:codequality`).
    Codequality,
}

/// What every writer needs besides the findings.
pub struct ReportContext<'a> {
    /// The rules, for names and metadata.
    pub rules: &'a RuleSet,
    /// The scan's counts.
    pub summary: &'a Summary,
    /// Print secrets in plain text.
    pub show_secrets: bool,
    /// Messages of files that could not be read.
    pub errors: &'a [String],
}

/// Writes `findings` in `format`.
pub fn write_report(
    out: &mut dyn Write,
    format: Format,
    findings: &[Finding],
    ctx: &ReportContext<'_>,
) -> io::Result<()> {
    match format {
        Format::Human => write_human(out, findings, ctx),
        Format::Json => write_json(out, findings, ctx),
        Format::Jsonl => write_jsonl(out, findings, ctx),
        Format::Sarif => write_sarif(out, findings, ctx),
        Format::Gitlab => write_gitlab(out, findings, ctx),
        Format::Codequality => write_codequality(out, findings, ctx),
    }
}

impl Finding {
    /// The secret as the report should show it.
    pub fn shown_secret(&self, show: bool) -> &str {
        if show {
            self.secret.plain()
        } else {
            self.secret.redacted()
        }
    }

    /// The context line as the report should show it.
    pub fn shown_context(&self, show: bool) -> &str {
        if show {
            &self.context_plain.0
        } else {
            &self.context
        }
    }
}
