//! JSON and JSON Lines output. Both carry a `type` on every object and a format `version`.

use std::io::{self, Write};

use serde_json::{Value, json};

use super::{JSON_FORMAT_VERSION, ReportContext};
use crate::scan::Finding;

/// One finding as a JSON object.
pub fn finding_json(f: &Finding, show_secrets: bool) -> Value {
    json!({
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
    })
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
    let doc = json!({
        "type": "report",
        "version": JSON_FORMAT_VERSION,
        "tool": tool_json(),
        "findings": findings.iter().map(|f| finding_json(f, ctx.show_secrets)).collect::<Vec<_>>(),
        "summary": summary_json(ctx),
    });
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
