//! SARIF 2.1.0 output, as GitHub code scanning reads it.
//!
//! Each result carries `partialFingerprints` derived from the secret's fingerprint, so an alert
//! keeps its identity when the secret moves to another line, and one secret in two files gives
//! two alerts rather than one.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::ReportContext;
use crate::rules::{Confidence, RuleSet};
use crate::scan::Finding;

const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// Builds the SARIF document for `findings`.
pub fn sarif_document(findings: &[Finding], ctx: &ReportContext<'_>) -> Value {
    let (rules, index) = rule_descriptors(findings, ctx.rules);
    let mut doc = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "keytrail",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/keytrail/keytrail",
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": [],
            "invocations": [{
                "executionSuccessful": ctx.summary.errors == 0,
                "toolExecutionNotifications": ctx.errors.iter().map(|e| json!({
                    "level": "error",
                    "message": { "text": e },
                })).collect::<Vec<_>>(),
            }],
        }],
    });
    // Moved in, not given to `json!`, which would serialize every result into a copy.
    doc["runs"][0]["results"] = findings
        .iter()
        .map(|f| result(f, &index, ctx.show_secrets))
        .collect();
    doc
}

/// Writes the SARIF document.
pub fn write_sarif(
    out: &mut dyn Write,
    findings: &[Finding],
    ctx: &ReportContext<'_>,
) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &sarif_document(findings, ctx))?;
    writeln!(out)
}

/// Descriptors for the rules that produced findings, and each rule id's index among them.
fn rule_descriptors(
    findings: &[Finding],
    rules: &RuleSet,
) -> (Vec<Value>, BTreeMap<String, usize>) {
    let mut index = BTreeMap::new();
    for f in findings {
        index.entry(f.rule_id.to_string()).or_insert(0);
    }
    let mut descriptors = Vec::with_capacity(index.len());
    for (i, (id, slot)) in index.iter_mut().enumerate() {
        *slot = i;
        let rule = rules.get(id);
        let name = rule.map_or(id.as_str(), |r| r.name.as_str());
        descriptors.push(json!({
            "id": id,
            "name": pascal_case(id),
            "shortDescription": { "text": name },
            "fullDescription": { "text": format!("{name}: a credential that should not be in source control.") },
            "help": { "text": "Revoke or rotate the credential with its provider, then remove it from the code and its history." },
            "defaultConfiguration": { "level": "error" },
            "properties": {
                "tags": ["security", "secret"],
                "precision": rule.map_or("medium", |r| precision(r.confidence)),
                "security-severity": "8.0",
            },
        }));
    }
    (descriptors, index)
}

fn result(f: &Finding, index: &BTreeMap<String, usize>, show: bool) -> Value {
    json!({
        "ruleId": f.rule_id,
        "ruleIndex": index.get(f.rule_id.as_str()).copied().unwrap_or(0),
        "level": level(f.confidence),
        "message": { "text": format!("{} found: {}", f.rule_name, f.shown_secret(show)) },
        "locations": [{ "physicalLocation": {
            "artifactLocation": { "uri": uri_of(&f.path) },
            "region": {
                "startLine": f.span.line,
                "startColumn": f.span.column,
                "endLine": f.span.end_line,
                "endColumn": f.span.end_column,
                "snippet": { "text": f.shown_context(show) },
            },
        }}],
        "partialFingerprints": {
            "keytrailSecret/v1": f.fingerprint,
            "keytrailSecretAtPath/v1": at_path(f),
        },
        "properties": result_properties(f),
    })
}

fn result_properties(f: &Finding) -> Value {
    let mut props = json!({ "confidence": f.confidence });
    if let Value::Object(map) = &mut props {
        if let Some(repo) = &f.repository {
            map.insert("repository".into(), json!(repo.as_ref()));
        }
        if let Some(c) = &f.commit {
            map.insert("commit".into(), super::json::commit_json(c));
        }
        if let Some(at_head) = f.still_at_head {
            map.insert("stillAtHead".into(), json!(at_head));
        }
        if let Some(v) = f.validity {
            map.insert("validity".into(), json!(v.as_str()));
        }
        if let Some(a) = &f.attribution {
            map.insert("owners".into(), super::owners::attribution_json(a));
        }
    }
    props
}

fn at_path(f: &Finding) -> String {
    let digest = Sha256::new()
        .chain_update(f.fingerprint.as_str())
        .chain_update([0])
        .chain_update(&f.path)
        .finalize();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn level(c: Confidence) -> &'static str {
    match c {
        Confidence::High | Confidence::Medium => "error",
        Confidence::Low => "warning",
    }
}

fn precision(c: Confidence) -> &'static str {
    match c {
        Confidence::High => "very-high",
        Confidence::Medium => "high",
        Confidence::Low => "medium",
    }
}

fn pascal_case(id: &str) -> String {
    id.split(['.', '-', '_'])
        .map(|w| {
            let mut c = w.chars();
            c.next().map_or(String::new(), |f| {
                f.to_ascii_uppercase().to_string() + c.as_str()
            })
        })
        .collect()
}

/// A relative URI reference for a path: forward slashes, a leading `./` dropped, and bytes
/// outside the unreserved set percent-encoded.
pub fn uri_of(path: &str) -> String {
    let path = path.replace('\\', "/");
    let path = path.strip_prefix("./").unwrap_or(&path);
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_and_encoded() {
        assert_eq!(uri_of("./src/a b.rs"), "src/a%20b.rs");
        assert_eq!(uri_of("dir\\f#1"), "dir/f%231");
    }

    #[test]
    fn rule_names_are_pascal_case() {
        assert_eq!(pascal_case("github.pat.classic"), "GithubPatClassic");
        assert_eq!(pascal_case("aws.access-key_id"), "AwsAccessKeyId");
    }
}
