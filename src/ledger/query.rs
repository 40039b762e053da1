//! Reading the ledger for triage: list secrets with filters, show one, resolve one.

use serde::Serialize;
use serde_json::json;

use super::db::Value;
use super::model::{Event, EventKind, Resolution, SecretState, Status};
use super::{Ledger, LedgerError};

/// Which statuses `ledger list` shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StatusFilter {
    /// Open, notified or reopened.
    Unresolved,
    /// Closed in any way.
    Closed,
    /// Everything.
    All,
    /// Detected, owner not told.
    Open,
    /// Owner told.
    Notified,
    /// Closed once, then seen again.
    Reopened,
    /// Closed as revoked.
    Revoked,
    /// Closed as a false positive.
    FalsePositive,
    /// Closed as used in tests.
    UsedInTests,
    /// Closed as won't fix.
    WontFix,
}

impl StatusFilter {
    fn statuses(self) -> Vec<&'static str> {
        let closed = Resolution::ALL.map(Resolution::as_str).to_vec();
        match self {
            StatusFilter::Unresolved => vec!["open", "notified", "reopened"],
            StatusFilter::Closed => closed,
            StatusFilter::All => [vec!["open", "notified", "reopened"], closed].concat(),
            StatusFilter::Open => vec!["open"],
            StatusFilter::Notified => vec!["notified"],
            StatusFilter::Reopened => vec!["reopened"],
            StatusFilter::Revoked => vec!["revoked"],
            StatusFilter::FalsePositive => vec!["false_positive"],
            StatusFilter::UsedInTests => vec!["used_in_tests"],
            StatusFilter::WontFix => vec!["wont_fix"],
        }
    }
}

/// Filters for [`Ledger::list`]; all that are set must hold.
#[derive(Debug, Clone)]
pub struct Filter {
    /// Statuses to show.
    pub status: StatusFilter,
    /// An owner some finding names (exact: `@org/team`, `@user`, an email).
    pub owner: Option<String>,
    /// Rule id, or a prefix ending in `.` (`github.`).
    pub rule: Option<String>,
    /// Repository identity some finding has.
    pub repository: Option<String>,
    /// Only secrets first seen at least this many seconds ago.
    pub min_age: Option<i64>,
    /// Only secrets first seen at most this many seconds ago.
    pub max_age: Option<i64>,
}

impl Default for Filter {
    fn default() -> Self {
        Filter {
            status: StatusFilter::Unresolved,
            owner: None,
            rule: None,
            repository: None,
            min_age: None,
            max_age: None,
        }
    }
}

/// One secret in a listing.
#[derive(Debug, Clone, Serialize)]
pub struct SecretRow {
    /// Ledger fingerprint.
    pub fingerprint: String,
    /// Rule that first found it.
    pub rule_id: String,
    /// Redacted form.
    pub redacted: String,
    /// Current status.
    pub status: String,
    /// Whether some scanned code still holds it.
    pub in_code: bool,
    /// First seen, seconds since the Unix epoch.
    pub first_seen: i64,
    /// Number of places it was seen.
    pub findings: i64,
    /// Distinct owners over its findings.
    pub owners: Vec<String>,
    /// Distinct repositories over its findings.
    pub repositories: Vec<String>,
}

/// One place a secret was seen.
#[derive(Debug, Clone, Serialize)]
pub struct FindingRow {
    /// Repository identity.
    pub repository: String,
    /// Path within it.
    pub path: String,
    /// Line.
    pub line: i64,
    /// Introducing commit, for history findings.
    pub commit: Option<String>,
    /// Author of that commit.
    pub author: Option<String>,
    /// Whether it is in current code.
    pub present: bool,
    /// Owners of this place.
    pub owners: Vec<String>,
    /// How the owners were found.
    pub owner_source: Option<String>,
    /// Where to reach the owners (email, slack, webhook), from the owners map.
    pub contacts: Option<serde_json::Value>,
    /// First and last seen, seconds since the Unix epoch.
    pub first_seen: i64,
    /// Last seen.
    pub last_seen: i64,
}

/// A secret with its places and its event log.
#[derive(Debug, Clone)]
pub struct SecretDetail {
    /// The summary row.
    pub secret: SecretRow,
    /// Its places.
    pub findings: Vec<FindingRow>,
    /// Its events, oldest first.
    pub events: Vec<Event>,
    /// State derived from the events.
    pub state: SecretState,
}

/// The stored form of a finding's owners: each on its own line, with a newline before the
/// first, so that `LIKE '%\nOWNER\n%'` finds one exactly.
pub(super) fn join_owners(owners: &[String]) -> String {
    if owners.is_empty() {
        return String::new();
    }
    let mut out = String::from("\n");
    for o in owners {
        out.push_str(&o.replace('\n', " "));
        out.push('\n');
    }
    out
}

fn split_owners(stored: &str) -> Vec<String> {
    stored
        .split('\n')
        .filter(|o| !o.is_empty())
        .map(str::to_string)
        .collect()
}

/// A LIKE pattern matching one owner in the stored form (`!` escapes the wildcards).
fn owner_pattern(owner: &str) -> String {
    let mut escaped = String::new();
    for c in owner.chars() {
        if matches!(c, '%' | '_' | '!') {
            escaped.push('!');
        }
        escaped.push(c);
    }
    format!("%\n{escaped}\n%")
}

impl Ledger {
    /// Secrets matching a filter, oldest first.
    pub fn list(&mut self, filter: &Filter) -> Result<Vec<SecretRow>, LedgerError> {
        let now = self.now();
        let statuses = filter.status.statuses();
        let mut sql = format!(
            "SELECT s.id, s.fingerprint, s.rule_id, s.redacted, s.status, s.in_code, s.first_seen
             FROM secrets s WHERE s.status IN ({})",
            vec!["?"; statuses.len()].join(", ")
        );
        let mut params: Vec<Value> = statuses.into_iter().map(Value::from).collect();
        if let Some(rule) = &filter.rule {
            if rule.ends_with('.') {
                sql.push_str(" AND substr(s.rule_id, 1, ?) = ?");
                params.extend([(rule.len() as i64).into(), rule.as_str().into()]);
            } else {
                sql.push_str(" AND s.rule_id = ?");
                params.push(rule.as_str().into());
            }
        }
        if let Some(repo) = &filter.repository {
            sql.push_str(" AND EXISTS (SELECT 1 FROM findings f WHERE f.secret_id = s.id AND f.repository = ?)");
            params.push(repo.as_str().into());
        }
        if let Some(owner) = &filter.owner {
            sql.push_str(
                " AND EXISTS (SELECT 1 FROM findings f
                   WHERE f.secret_id = s.id AND f.owners LIKE ? ESCAPE '!')",
            );
            params.push(owner_pattern(owner).into());
        }
        if let Some(age) = filter.min_age {
            sql.push_str(" AND s.first_seen <= ?");
            params.push((now - age).into());
        }
        if let Some(age) = filter.max_age {
            sql.push_str(" AND s.first_seen >= ?");
            params.push((now - age).into());
        }
        sql.push_str(" ORDER BY s.first_seen, s.fingerprint");
        let rows = self.db.query(&sql, &params)?;
        rows.into_iter().map(|r| self.secret_row(&r)).collect()
    }

    /// How many places a secret was seen in.
    fn place_count(&mut self, secret_id: i64) -> Result<i64, LedgerError> {
        Ok(self
            .db
            .query_opt(
                "SELECT COUNT(*) FROM findings WHERE secret_id = ?",
                &[secret_id.into()],
            )?
            .and_then(|r| r.first().and_then(Value::as_i64))
            .unwrap_or(0))
    }

    fn secret_row(&mut self, r: &[Value]) -> Result<SecretRow, LedgerError> {
        let id = r.first().and_then(Value::as_i64).unwrap_or_default();
        let count = self.place_count(id)?;
        let mut owners: Vec<String> = self
            .db
            .query(
                "SELECT owners FROM findings WHERE secret_id = ?",
                &[id.into()],
            )?
            .iter()
            .flat_map(|r| split_owners(&r.first().map(Value::text).unwrap_or_default()))
            .collect();
        owners.sort();
        owners.dedup();
        let repos = self.db.query(
            "SELECT DISTINCT repository FROM findings WHERE secret_id = ? ORDER BY repository",
            &[id.into()],
        )?;
        let column =
            |v: Vec<Vec<Value>>| v.iter().filter_map(|r| Some(r.first()?.text())).collect();
        Ok(SecretRow {
            fingerprint: r.get(1).map(Value::text).unwrap_or_default(),
            rule_id: r.get(2).map(Value::text).unwrap_or_default(),
            redacted: r.get(3).map(Value::text).unwrap_or_default(),
            status: r.get(4).map(Value::text).unwrap_or_default(),
            in_code: r.get(5).and_then(Value::as_i64) == Some(1),
            first_seen: r.get(6).and_then(Value::as_i64).unwrap_or_default(),
            findings: count,
            owners,
            repositories: column(repos),
        })
    }

    /// Finds the one secret whose fingerprint starts with `prefix` (at least 8 hex digits).
    pub fn resolve_fingerprint(&mut self, prefix: &str) -> Result<String, LedgerError> {
        let p = prefix.trim().to_ascii_lowercase();
        if p.len() < 8 || !p.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(LedgerError::Lookup(format!(
                "{prefix:?} is not a fingerprint (at least 8 hex digits)"
            )));
        }
        let rows = self.db.query(
            "SELECT fingerprint FROM secrets WHERE substr(fingerprint, 1, ?) = ? LIMIT 2",
            &[(p.len() as i64).into(), p.as_str().into()],
        )?;
        match rows.as_slice() {
            [one] => Ok(one.first().map(Value::text).unwrap_or_default()),
            [] => Err(LedgerError::Lookup(format!(
                "no secret has fingerprint {p}"
            ))),
            _ => Err(LedgerError::Lookup(format!(
                "{p} matches several secrets; give more digits"
            ))),
        }
    }

    /// A secret with its places and events.
    pub fn show(&mut self, fingerprint: &str) -> Result<SecretDetail, LedgerError> {
        let row = self
            .db
            .query_opt(
                "SELECT id, fingerprint, rule_id, redacted, status, in_code, first_seen
                 FROM secrets WHERE fingerprint = ?",
                &[fingerprint.into()],
            )?
            .ok_or_else(|| LedgerError::Lookup(format!("no secret {fingerprint}")))?;
        let id = row.first().and_then(Value::as_i64).unwrap_or_default();
        let secret = self.secret_row(&row)?;
        let findings = self.findings_of(id)?;
        let events = super::events_of(&mut self.db, id)?;
        let state = SecretState::derive(&events);
        Ok(SecretDetail {
            secret,
            findings,
            events,
            state,
        })
    }

    fn findings_of(&mut self, secret_id: i64) -> Result<Vec<FindingRow>, LedgerError> {
        let rows = self.db.query(
            "SELECT owners, repository, path, line, commit_id, author_name, author_email, present,
                    owner_source, first_seen, last_seen, contacts
             FROM findings WHERE secret_id = ? ORDER BY repository, path",
            &[secret_id.into()],
        )?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let owners = split_owners(&r.first().map(Value::text).unwrap_or_default());
            let text = |i: usize| r.get(i).and_then(Value::as_str).map(str::to_string);
            let int = |i: usize| r.get(i).and_then(Value::as_i64).unwrap_or_default();
            let author = match (text(5), text(6)) {
                (Some(n), Some(e)) => Some(format!("{n} <{e}>")),
                (n, e) => n.or(e),
            };
            out.push(FindingRow {
                repository: text(1).unwrap_or_default(),
                path: text(2).unwrap_or_default(),
                line: int(3),
                commit: text(4),
                author,
                present: int(7) == 1,
                owners,
                owner_source: text(8),
                first_seen: int(9),
                last_seen: int(10),
                contacts: text(11).and_then(|c| serde_json::from_str(&c).ok()),
            });
        }
        Ok(out)
    }

    /// Closes a secret with a resolution and an optional comment.
    pub fn resolve(
        &mut self,
        fingerprint: &str,
        resolution: Resolution,
        comment: Option<&str>,
        actor: &str,
    ) -> Result<SecretState, LedgerError> {
        let detail = json!({"resolution": resolution.as_str(), "comment": comment});
        self.append_event(fingerprint, EventKind::Resolved, actor, detail)
    }

    /// Whether a secret's cached state matches the state derived from its events, for every
    /// secret (a consistency check after crashes and concurrent writers).
    pub fn verify(&mut self) -> Result<Vec<String>, LedgerError> {
        let rows = self
            .db
            .query("SELECT id, fingerprint, status, in_code FROM secrets", &[])?;
        let mut problems = Vec::new();
        for r in rows {
            let id = r.first().and_then(Value::as_i64).unwrap_or_default();
            let fp = r.get(1).map(Value::text).unwrap_or_default();
            let events = super::events_of(&mut self.db, id)?;
            let state = SecretState::derive(&events);
            let cached_status: Option<Status> = r
                .get(2)
                .and_then(Value::as_str)
                .and_then(|s| s.parse().ok());
            let cached_in_code = r.get(3).and_then(Value::as_i64) == Some(1);
            if events.first().map(|e| e.kind) != Some(EventKind::Detected) {
                problems.push(format!("{fp}: the log does not start with `detected`"));
            }
            if self.place_count(id)? == 0 {
                problems.push(format!("{fp}: no findings"));
            }
            if cached_status != Some(state.status) || cached_in_code != state.in_code {
                problems.push(format!("{fp}: cached state differs from its events"));
            }
        }
        Ok(problems)
    }
}
