//! Human-readable output: findings grouped by owner, then by file, then a one-paragraph summary.

use std::io::{self, Write};

use super::ReportContext;
use super::owners::{details, owner_groups};
use super::sanitize::sanitize;
use crate::scan::{Finding, Summary};

/// Writes findings grouped by owner (when they were attributed; unowned last), within an owner
/// by path (findings must be sorted by path), then the summary.
pub fn write_human(
    out: &mut dyn Write,
    findings: &[Finding],
    ctx: &ReportContext<'_>,
) -> io::Result<()> {
    if findings.iter().any(|f| f.attribution.is_some()) {
        for (label, unowned, group) in owner_groups(findings) {
            let n = group.len();
            let count = format!("{n} finding{}", plural(n as u64));
            if unowned {
                writeln!(
                    out,
                    "== Unowned: {count} (no owner found; see each file's reason) =="
                )?;
            } else {
                writeln!(out, "== Owners {}: {count} ==", sanitize(&label))?;
            }
            write_files(out, &group, ctx)?;
            writeln!(out)?;
        }
    } else {
        let all: Vec<&Finding> = findings.iter().collect();
        write_files(out, &all, ctx)?;
        if !findings.is_empty() {
            writeln!(out)?;
        }
    }
    writeln!(out, "{}", summary_line(findings, ctx.summary))
}

/// Writes findings grouped by file, each file's owners first.
fn write_files(
    out: &mut dyn Write,
    findings: &[&Finding],
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
            write_owners(out, f)?;
            current = Some(place);
        }
        write_finding(out, f, ctx)?;
    }
    Ok(())
}

fn write_owners(out: &mut dyn Write, f: &Finding) -> io::Result<()> {
    let Some(a) = &f.attribution else {
        return Ok(());
    };
    writeln!(out, "  owners:  {}", sanitize(&a.label()))?;
    let details = details(a);
    if !details.is_empty() {
        writeln!(out, "  details: {}", sanitize(&details))?;
    }
    writeln!(out, "  why:     {}", sanitize(&a.reason()))
}

fn write_finding(out: &mut dyn Write, f: &Finding, ctx: &ReportContext<'_>) -> io::Result<()> {
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
    writeln!(out, "      fingerprint: {}", f.fingerprint)
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
    text.push_str(&owners_summary(findings));
    if s.warnings > 0 {
        text.push_str(&format!(
            " {} warning{} (see above).",
            s.warnings,
            plural(s.warnings)
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

/// ` Owners: N; M findings unowned.` when findings were attributed, else nothing.
fn owners_summary(findings: &[Finding]) -> String {
    if !findings.iter().any(|f| f.attribution.is_some()) {
        return String::new();
    }
    let groups = owner_groups(findings);
    let owned = groups.iter().filter(|g| !g.1).count();
    let unowned: usize = groups.iter().filter(|g| g.1).map(|g| g.2.len()).sum();
    format!(
        " {owned} owner group{}; {unowned} finding{} unowned.",
        plural(owned as u64),
        plural(unowned as u64)
    )
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
