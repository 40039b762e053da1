//! GitLab CI reports: the secret-detection report (`artifacts:reports:secret_detection`, schema
//! 15.x, shown in merge requests and the vulnerability report) and Code Quality JSON
//! (`artifacts:reports:codequality`, a Code Climate issue list that every GitLab tier shows in
//! merge requests).
//!
//! Neither carries the secret: GitLab's own field for it (`raw_source_code_extract`) is left
//! out, descriptions use the redacted form, and identities are fingerprints.

use std::io::{self, Write};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::ReportContext;
use crate::rules::Confidence;
use crate::scan::Finding;

/// The secret-detection report schema version written.
pub const SECRET_DETECTION_VERSION: &str = "15.0.7";

/// Writes a GitLab secret-detection report.
pub fn write_gitlab(
    out: &mut dyn Write,
    findings: &[Finding],
    ctx: &ReportContext<'_>,
) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &secret_detection_report(findings, ctx))?;
    writeln!(out)
}

/// Writes Code Quality (Code Climate) JSON.
pub fn write_codequality(
    out: &mut dyn Write,
    findings: &[Finding],
    _ctx: &ReportContext<'_>,
) -> io::Result<()> {
    let issues: Vec<Value> = findings.iter().map(codequality_issue).collect();
    serde_json::to_writer_pretty(&mut *out, &issues)?;
    writeln!(out)
}

/// The secret-detection report document.
pub fn secret_detection_report(findings: &[Finding], ctx: &ReportContext<'_>) -> Value {
    let end = jiff::Timestamp::now();
    let start = end
        .checked_sub(jiff::SignedDuration::try_from(ctx.summary.elapsed).unwrap_or_default())
        .unwrap_or(end);
    let tool = json!({
        "id": "keytrail",
        "name": "keytrail",
        "version": env!("CARGO_PKG_VERSION"),
        "vendor": { "name": "keytrail" },
    });
    let mut doc = json!({
        "version": SECRET_DETECTION_VERSION,
        "vulnerabilities": [],
        "scan": {
            "analyzer": tool,
            "scanner": tool,
            "type": "secret_detection",
            "start_time": gitlab_time(start),
            "end_time": gitlab_time(end),
            "status": if ctx.summary.errors == 0 { "success" } else { "failure" },
        },
    });
    // Moved in, not given to `json!`, which would serialize every vulnerability into a copy.
    doc["vulnerabilities"] = findings.iter().map(vulnerability).collect();
    doc
}

fn vulnerability(f: &Finding) -> Value {
    let commit = f.commit.as_ref().map_or_else(
        || json!({ "sha": "0000000" }),
        |c| {
            json!({
                "sha": c.id,
                "author": format!("{} <{}>", c.author_name, c.author_email),
                "date": super::json::rfc3339(c.author_time),
            })
        },
    );
    json!({
        "id": occurrence_id(f),
        "category": "secret_detection",
        "name": f.rule_name,
        "description": format!("{} ({}) found: {}", f.rule_name, f.rule_id, f.secret.redacted()),
        "severity": severity(f.confidence),
        "solution": "Revoke or rotate the credential with its provider, then remove it from the code and its history.",
        "scanner": { "id": "keytrail", "name": "keytrail" },
        "location": {
            "file": project_path(&f.path),
            "start_line": f.span.line,
            "end_line": f.span.end_line,
            "commit": commit,
        },
        "identifiers": [
            {
                "type": "keytrail_rule_id",
                "name": format!("keytrail rule {}", f.rule_id),
                "value": f.rule_id,
            },
            {
                "type": "keytrail_fingerprint",
                "name": "keytrail secret fingerprint",
                "value": f.fingerprint,
            },
        ],
    })
}

fn codequality_issue(f: &Finding) -> Value {
    json!({
        "type": "issue",
        "check_name": f.rule_id,
        "description": format!("{} found: {}", f.rule_name, f.secret.redacted()),
        "categories": ["Security"],
        "severity": match f.confidence {
            Confidence::High | Confidence::Medium => "critical",
            Confidence::Low => "major",
        },
        "fingerprint": occurrence_id(f),
        "location": {
            "path": project_path(&f.path),
            "lines": { "begin": f.span.line, "end": f.span.end_line },
        },
    })
}

/// A path as GitLab wants it: relative to the project, `/`-separated, no leading `./`.
fn project_path(path: &str) -> String {
    let path = path.replace('\\', "/");
    path.strip_prefix("./").unwrap_or(&path).to_string()
}

/// One id per secret and path, stable when the line moves.
fn occurrence_id(f: &Finding) -> String {
    let digest = Sha256::new()
        .chain_update(f.fingerprint.as_str())
        .chain_update([0])
        .chain_update(&f.path)
        .finalize();
    hex::encode(digest)
}

fn severity(c: Confidence) -> &'static str {
    match c {
        Confidence::High => "Critical",
        Confidence::Medium => "High",
        Confidence::Low => "Medium",
    }
}

/// GitLab's report time format: `YYYY-MM-DDTHH:MM:SS`, UTC, no zone suffix.
fn gitlab_time(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_project_relative() {
        assert_eq!(project_path("./config/a.env"), "config/a.env");
        assert_eq!(project_path("dir\\b.env"), "dir/b.env");
        assert_eq!(project_path("c.env"), "c.env");
    }

    #[test]
    fn times_have_no_zone_suffix() {
        let t: jiff::Timestamp = "2026-03-01T12:34:56Z".parse().unwrap();
        assert_eq!(gitlab_time(t), "2026-03-01T12:34:56");
    }
}
