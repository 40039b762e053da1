//! Reading the whole ledger at once for metrics: three queries (secrets, findings, events in
//! order), folded into one timeline per secret.

use std::collections::HashMap;

use super::db::Value;
use super::model::{Event, Status};
use super::{Ledger, LedgerError};
use crate::metrics::Timeline;

impl Ledger {
    /// Every secret's timeline.
    pub fn timelines(&mut self) -> Result<Vec<Timeline>, LedgerError> {
        let mut by_id: HashMap<i64, Timeline> = HashMap::new();
        for r in self.db.query(
            "SELECT id, rule_id, status, in_code, first_seen FROM secrets",
            &[],
        )? {
            let id = r.first().and_then(Value::as_i64).unwrap_or_default();
            let status = r
                .get(2)
                .and_then(Value::as_str)
                .and_then(|s| s.parse().ok())
                .unwrap_or(Status::Open);
            by_id.insert(
                id,
                Timeline {
                    rule_id: r.get(1).map(Value::text).unwrap_or_default(),
                    status,
                    in_code: r.get(3).and_then(Value::as_i64) != Some(0),
                    first_seen: r.get(4).and_then(Value::as_i64).unwrap_or_default(),
                    committed_at: None,
                    owners: Vec::new(),
                    services: Vec::new(),
                    repositories: Vec::new(),
                    events: Vec::new(),
                },
            );
        }
        let findings = self.db.query(
            "SELECT secret_id, owners, service, repository, commit_time FROM findings",
            &[],
        )?;
        for r in findings {
            let Some(t) = timeline_of(&mut by_id, &r) else {
                continue;
            };
            for o in r
                .get(1)
                .map(Value::text)
                .unwrap_or_default()
                .split('\n')
                .filter(|o| !o.is_empty())
            {
                push_new(&mut t.owners, o);
            }
            if let Some(s) = r.get(2).and_then(Value::as_str) {
                push_new(&mut t.services, s);
            }
            push_new(
                &mut t.repositories,
                &r.get(3).map(Value::text).unwrap_or_default(),
            );
            if let Some(c) = r.get(4).and_then(Value::as_i64) {
                t.committed_at = Some(t.committed_at.map_or(c, |old| old.min(c)));
            }
        }
        let events = self.db.query(
            "SELECT secret_id, kind, at, actor, detail FROM events ORDER BY secret_id, id",
            &[],
        )?;
        for r in events {
            let Some(t) = timeline_of(&mut by_id, &r) else {
                continue;
            };
            let Some(kind) = r
                .get(1)
                .and_then(Value::as_str)
                .and_then(|k| k.parse().ok())
            else {
                continue;
            };
            t.events.push(Event {
                kind,
                at: r.get(2).and_then(Value::as_i64).unwrap_or_default(),
                actor: r.get(3).map(Value::text).unwrap_or_default(),
                detail: r
                    .get(4)
                    .and_then(Value::as_str)
                    .and_then(|d| serde_json::from_str(d).ok())
                    .unwrap_or_default(),
            });
        }
        let mut out: Vec<Timeline> = by_id.into_values().collect();
        out.sort_by(|a, b| (a.first_seen, &a.rule_id).cmp(&(b.first_seen, &b.rule_id)));
        Ok(out)
    }
}

fn push_new(list: &mut Vec<String>, item: &str) {
    if !item.is_empty() && !list.iter().any(|x| x == item) {
        list.push(item.to_string());
    }
}

/// The timeline of the secret whose id is a row's first column.
fn timeline_of<'a>(
    by_id: &'a mut HashMap<i64, Timeline>,
    row: &[Value],
) -> Option<&'a mut Timeline> {
    row.first()
        .and_then(Value::as_i64)
        .and_then(|id| by_id.get_mut(&id))
}
