//! Human-readable output: findings grouped by file, then a one-paragraph summary.

use std::io::{self, Write};

use super::ReportContext;
use super::sanitize::sanitize;
use crate::scan::{Finding, Summary};

/// Writes findings grouped by path (findings must be sorted by path), then the summary.
pub fn write_human(
    out: &mut dyn Write,
    findings: &[Finding],
    ctx: &ReportContext<'_>,
) -> io::Result<()> {
    let mut current: Option<String> = None;
    for f in findings {
        let place = match &f.repository {
            Some(repo) => format!("{repo}: {}", f.path),
            None => f.path.clone(),
        };
        if current.as_deref() != Some(place.as_str()) {
            if current.is_some() {
                writeln!(out)?;
            }
            writeln!(out, "{}", sanitize(&place))?;
            current = Some(place);
        }
        writeln!(
            out,
            "  {}:{}  {:<6}  {}  ({})",
            f.span.line,
            f.span.column,
            f.confidence.as_str(),
            sanitize(&f.rule_name),
            f.rule_id
        )?;
        writeln!(
            out,
            "      secret:  {}",
            sanitize(f.shown_secret(ctx.show_secrets))
        )?;
        writeln!(
            out,
            "      line:    {}",
            sanitize(f.shown_context(ctx.show_secrets).trim())
        )?;
        if let Some(c) = &f.commit {
            let at_head = match f.still_at_head {
                Some(true) => ", still at HEAD",
                Some(false) => ", no longer at HEAD",
                None => "",
            };
            writeln!(
                out,
                "      commit:  {} by {} <{}> on {}{at_head}",
                &c.id[..c.id.len().min(12)],
                sanitize(&c.author_name),
                sanitize(&c.author_email),
                super::json::rfc3339(c.author_time),
            )?;
        }
        if let Some(v) = f.validity {
            writeln!(out, "      validity: {}", v.as_str())?;
        }
        writeln!(out, "      fingerprint: {}", f.fingerprint)?;
    }
    if !findings.is_empty() {
        writeln!(out)?;
    }
    writeln!(out, "{}", summary_line(findings, ctx.summary))
}

/// One paragraph: what was found, what was read, what was skipped or failed.
pub fn summary_line(findings: &[Finding], s: &Summary) -> String {
    let mut secrets: Vec<&str> = findings.iter().map(|f| f.fingerprint.as_str()).collect();
    secrets.sort_unstable();
    secrets.dedup();
    let mut files: Vec<&str> = findings.iter().map(|f| f.path.as_str()).collect();
    files.dedup();
    let mut text = if findings.is_empty() {
        "No secrets found.".to_string()
    } else {
        format!(
            "{} finding{} of {} distinct secret{} in {} file{}.",
            findings.len(),
            plural(findings.len() as u64),
            secrets.len(),
            plural(secrets.len() as u64),
            files.len(),
            plural(files.len() as u64)
        )
    };
    if s.repositories > 0 {
        text.push_str(&format!(
            " Walked {} commit{} in {} repositor{}.",
            s.commits_scanned,
            plural(s.commits_scanned),
            s.repositories,
            if s.repositories == 1 { "y" } else { "ies" }
        ));
    }
    let unit = if s.repositories > 0 { "blob" } else { "file" };
    text.push_str(&format!(
        " Scanned {} {unit}{} ({}) in {:.2}s.",
        s.files_scanned,
        plural(s.files_scanned),
        human_bytes(s.bytes_scanned),
        s.elapsed.as_secs_f64()
    ));
    let skipped = [
        (s.skipped_binary, "binary"),
        (s.skipped_too_large, "over the size limit"),
        (s.skipped_special, "not regular files"),
    ];
    let parts: Vec<String> = skipped
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, why)| format!("{n} {why}"))
        .collect();
    if !parts.is_empty() {
        text.push_str(&format!(" Skipped: {}.", parts.join(", ")));
    }
    if s.findings_below_confidence > 0 {
        text.push_str(&format!(
            " {} low-confidence finding{} hidden (--min-confidence low shows them).",
            s.findings_below_confidence,
            plural(s.findings_below_confidence)
        ));
    }
    if s.errors > 0 {
        text.push_str(&format!(
            " {} error{} (see above).",
            s.errors,
            plural(s.errors)
        ));
    }
    text
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Formats a byte count with a binary unit.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}
