//! How attributions appear in reports: owner groups for human output, an `owners` object for
//! JSON, JSON Lines and SARIF.

use serde_json::{Value, json};

use crate::owners::{Attribution, AttributionSource, LineRef};
use crate::scan::Finding;

/// Findings grouped by their owners label, groups sorted by label with the unowned group last;
/// within a group findings keep their order. Findings without an attribution form one group
/// labelled as unowned.
pub fn owner_groups(findings: &[Finding]) -> Vec<(String, bool, Vec<&Finding>)> {
    let mut groups: Vec<(String, bool, Vec<&Finding>)> = Vec::new();
    for f in findings {
        let (label, unowned) = match &f.attribution {
            Some(a) => (a.label(), a.is_unowned()),
            None => ("unowned".to_string(), true),
        };
        match groups.iter_mut().find(|g| g.0 == label && g.1 == unowned) {
            Some(g) => g.2.push(f),
            None => groups.push((label, unowned, vec![f])),
        }
    }
    groups.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
    groups
}

/// The details an owners map adds (service, lifecycle and technical owners, contacts), as one
/// `; `-separated line; empty when there are none.
pub fn details(a: &Attribution) -> String {
    let mut parts = Vec::new();
    if let Some(s) = &a.service {
        parts.push(format!("service {s}"));
    }
    if let Some(o) = &a.lifecycle_owner {
        parts.push(format!("lifecycle owner {o}"));
    }
    if let Some(o) = &a.technical_owner {
        parts.push(format!("technical owner {o}"));
    }
    let c = &a.contacts;
    let contacts = [
        ("email", &c.email),
        ("slack", &c.slack),
        ("webhook", &c.webhook),
    ];
    for (kind, value) in contacts {
        if let Some(v) = value {
            parts.push(format!("{kind} {v}"));
        }
    }
    parts.join("; ")
}

/// The `owners` object of a finding.
pub fn attribution_json(a: &Attribution) -> Value {
    json!({
        "owners": a.owners,
        "service": a.service,
        "technical_owner": a.technical_owner,
        "lifecycle_owner": a.lifecycle_owner,
        "contacts": a.contacts,
        "source": source_json(&a.source),
        "rules_at_head": a.at_head,
        "reason": a.reason(),
    })
}

fn source_json(s: &AttributionSource) -> Value {
    let line_ref = |l: &Option<LineRef>| {
        l.as_ref()
            .map(|l| json!({ "file": l.file, "line": l.line }))
    };
    match s {
        AttributionSource::OwnersMap {
            name,
            index,
            file,
            line,
        } => json!({ "kind": s.kind(), "entry": name, "index": index, "file": file, "line": line }),
        AttributionSource::Codeowners {
            file,
            line,
            pattern,
            also,
        } => json!({
            "kind": s.kind(), "file": file, "line": line, "pattern": pattern, "also_lines": also,
        }),
        AttributionSource::CommitAuthor { commit, unowned_by } => {
            json!({ "kind": s.kind(), "commit": commit, "unowned_by": line_ref(unowned_by) })
        }
        AttributionSource::Unowned { unowned_by } => {
            json!({ "kind": s.kind(), "unowned_by": line_ref(unowned_by) })
        }
    }
}
