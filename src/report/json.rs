//! JSON and JSON Lines output. Both carry a `type` on every object and a format `version`.

use std::io::{self, Write};

use serde_json::{Value, json};

use super::{JSON_FORMAT_VERSION, ReportContext};
use crate::scan::{CommitInfo, Finding};

/// One finding as a JSON object.
pub fn finding_json(f: &Finding, show_secrets: bool) -> Value {
    let mut v = json!({
        "type": "finding",
        "rule_id": f.rule_id,
        "rule_name": f.rule_name,
        "confidence": f.confidence,
        "path": f.path,
        "line": f.span.line,
        "column": f.span.column,
        "end_line": f.span.end_line,
        "end_column": f.span.end_column,
        "secret": f.shown_secret(show_secrets),
        "redacted": !show_secrets,
        "fingerprint": f.fingerprint,
        "context": f.shown_context(show_secrets),
    });
    if let Value::Object(map) = &mut v {
        if let Some(repo) = &f.repository {
            map.insert("repository".into(), json!(repo.as_ref()));
        }
        if let Some(blob) = &f.blob {
            map.insert("blob".into(), json!(blob));
        }
        if let Some(c) = &f.commit {
            map.insert("commit".into(), commit_json(c));
        }
        if let Some(at_head) = f.still_at_head {
            map.insert("still_at_head".into(), json!(at_head));
        }
        if !f.related.is_empty() {
            let related: serde_json::Map<String, Value> = f
                .related
                .iter()
                .map(|(k, v)| (k.clone(), json!(v)))
                .collect();
            map.insert("related".into(), Value::Object(related));
        }
        if let Some(v) = f.validity {
            map.insert("validity".into(), json!(v.as_str()));
        }
        if let Some(a) = &f.attribution {
            map.insert("owners".into(), super::owners::attribution_json(a));
        }
    }
    v
}

/// A commit as JSON, with times as RFC 3339 text.
pub fn commit_json(c: &CommitInfo) -> Value {
    json!({
        "id": c.id,
        "author_name": c.author_name,
        "author_email": c.author_email,
        "author_time": rfc3339(c.author_time),
        "commit_time": rfc3339(c.commit_time),
    })
}

/// Seconds since the epoch as RFC 3339 UTC text.
pub fn rfc3339(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds).map_or_else(|_| seconds.to_string(), |t| t.to_string())
}

fn summary_json(ctx: &ReportContext<'_>) -> Value {
    let mut v = serde_json::to_value(ctx.summary).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut v {
        map.insert("type".into(), json!("summary"));
        map.insert("error_messages".into(), json!(ctx.errors));
    }
    v
}

fn tool_json() -> Value {
    json!({ "name": "keytrail", "version": env!("CARGO_PKG_VERSION") })
}

/// Writes one JSON document: `{version, tool, findings: [...], summary: {...}}`.
pub fn write_json(
    out: &mut dyn Write,
    findings: &[Finding],
    ctx: &ReportContext<'_>,
) -> io::Result<()> {
    let mut doc = json!({
        "type": "report",
        "version": JSON_FORMAT_VERSION,
        "tool": tool_json(),
        "findings": [],
        "summary": summary_json(ctx),
    });
    // Moved in, not given to `json!`, which would serialize every finding's value into a copy.
    doc["findings"] = findings
        .iter()
        .map(|f| finding_json(f, ctx.show_secrets))
        .collect();
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

/// Writes JSON Lines: a `header` line, one `finding` line each, then a `summary` line.
pub fn write_jsonl(
    out: &mut dyn Write,
    findings: &[Finding],
    ctx: &ReportContext<'_>,
) -> io::Result<()> {
    let header = json!({ "type": "header", "version": JSON_FORMAT_VERSION, "tool": tool_json() });
    writeln!(out, "{header}")?;
    for f in findings {
        writeln!(out, "{}", finding_json(f, ctx.show_secrets))?;
    }
    writeln!(out, "{}", summary_json(ctx))
}
