//! Recording a scan: new secrets, new places, reopening, and removal from code.
//!
//! Sightings are grouped by secret and written in batches, each batch one transaction, secrets
//! in fingerprint order so that concurrent writers lock rows in the same order. Every write is
//! an upsert keyed by (secret) or (secret, repository, path), so repeating a batch (after a kill,
//! a retry, or a second scan) adds nothing twice, and a `detected` or `reopened` event is
//! appended only by the writer whose insert created the row. Findings that a *complete* scan of
//! a repository no longer saw are marked absent in a last transaction, which runs only when the
//! scan finished; a secret with no present finding left gets a `removed` event.

use std::collections::BTreeMap;

use serde_json::json;

use super::db::{Db, Value};
use super::model::{EventKind, SecretState};
use super::query::join_owners;
use super::{Ledger, LedgerError, append, lock_secret, lock_secret_by_id};

/// Sightings written per transaction.
const BATCH: usize = 256;

/// The commit that introduced a finding, for history scans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitRef {
    /// Commit id (hex).
    pub id: String,
    /// Commit time, seconds since the Unix epoch.
    pub time: i64,
    /// Author name.
    pub author_name: String,
    /// Author email.
    pub author_email: String,
}

/// One finding as the ledger takes it.
#[derive(Debug, Clone)]
pub struct Sighting {
    /// The secret's plain value (hashed with the ledger key; sealed only with a sealing key).
    pub secret: String,
    /// Redacted form for display.
    pub redacted: String,
    /// Rule id.
    pub rule_id: String,
    /// Rule name.
    pub rule_name: String,
    /// Path within the repository.
    pub path: String,
    /// 1-based line.
    pub line: i64,
    /// 1-based column.
    pub col: i64,
    /// Introducing commit, for history scans.
    pub commit: Option<CommitRef>,
    /// Git blob id, for git scans.
    pub blob: Option<String>,
    /// Whether the secret is in the repository's current code (working tree or HEAD).
    pub present: bool,
    /// Owning identities (users, teams, emails), most specific first.
    pub owners: Vec<String>,
    /// Service the owners map names, if any.
    pub service: Option<String>,
    /// How the owners were found (owners map, CODEOWNERS line, commit author, unowned).
    pub owner_source: Option<String>,
    /// Where to reach the owners (JSON: email, slack, webhook), from the owners map.
    pub contacts: Option<String>,
    /// Non-secret values from the same file that a validator needs (JSON object).
    pub related: Option<String>,
}

/// What kind of scan produced a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanKind {
    /// A directory or working tree.
    Tree,
    /// Full git history.
    History,
    /// Git history since the last recorded scan.
    Incremental,
    /// What a commit range, the index or the working tree adds.
    Diff,
}

impl ScanKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ScanKind::Tree => "tree",
            ScanKind::History => "history",
            ScanKind::Incremental => "incremental",
            ScanKind::Diff => "diff",
        }
    }

    /// Whether a finished scan of this kind saw every secret its repository holds, so that
    /// what it did not see is gone.
    pub fn is_exhaustive(self) -> bool {
        matches!(self, ScanKind::Tree | ScanKind::History)
    }
}

/// One repository's scan results.
#[derive(Debug, Clone)]
pub struct ScanRecord {
    /// Repository identity (remote URL or absolute path).
    pub repository: String,
    /// Kind of scan.
    pub kind: ScanKind,
    /// Whether the scan read everything it meant to, without errors.
    pub finished: bool,
    /// What it found.
    pub sightings: Vec<Sighting>,
}

/// Counts of what a recording changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Recorded {
    /// Secrets the ledger had not seen.
    pub new_secrets: u64,
    /// Places (repository, path) not seen before.
    pub new_findings: u64,
    /// Closed secrets seen in a new place.
    pub reopened: u64,
    /// Secrets no longer present in any code.
    pub removed: u64,
}

impl Ledger {
    /// Records a scan of one repository.
    pub fn record(&mut self, rec: &ScanRecord) -> Result<Recorded, LedgerError> {
        let now = self.now();
        let scan_id = self.start_scan(rec, now)?;
        let mut total = Recorded::default();
        let groups = self.group(&rec.sightings);
        let mut batch: Vec<(String, Vec<Sighting>)> = Vec::new();
        let mut size = 0;
        for (fp, group) in groups {
            size += group.len();
            batch.push((fp, group));
            if size >= BATCH {
                total = add(total, self.write_batch(rec, scan_id, now, &batch)?);
                batch.clear();
                size = 0;
            }
        }
        total = add(total, self.write_batch(rec, scan_id, now, &batch)?);
        if rec.finished && rec.kind.is_exhaustive() {
            total.removed += self.mark_absent(&rec.repository, scan_id, now)?;
        }
        self.finish_scan(scan_id, rec.finished, now)?;
        Ok(total)
    }

    /// Sightings by ledger fingerprint, in fingerprint order; within a secret, one per path
    /// (the earliest commit wins, and the place is present if any of its sightings is).
    fn group(&self, sightings: &[Sighting]) -> BTreeMap<String, Vec<Sighting>> {
        let mut by_secret: BTreeMap<String, BTreeMap<&str, Sighting>> = BTreeMap::new();
        for s in sightings {
            let places = by_secret
                .entry(self.fingerprint(s.secret.as_bytes()))
                .or_default();
            match places.get_mut(s.path.as_str()) {
                Some(kept) => {
                    let present = kept.present || s.present;
                    if is_earlier(s, kept) {
                        *kept = s.clone();
                    }
                    kept.present = present;
                }
                None => {
                    places.insert(s.path.as_str(), s.clone());
                }
            }
        }
        by_secret
            .into_iter()
            .map(|(fp, places)| (fp, places.into_values().collect()))
            .collect()
    }

    fn start_scan(&mut self, rec: &ScanRecord, now: i64) -> Result<i64, LedgerError> {
        let params = [
            rec.repository.as_str().into(),
            rec.kind.as_str().into(),
            now.into(),
        ];
        self.db.transaction(|db| {
            let row = db.query_opt(
                "INSERT INTO scans (repository, kind, started_at, complete) VALUES (?, ?, ?, 0)
                 RETURNING id",
                &params,
            )?;
            row.and_then(|r| r.first().and_then(Value::as_i64))
                .ok_or_else(|| LedgerError::Config("the scans table returned no id".into()))
        })
    }

    fn finish_scan(&mut self, scan_id: i64, finished: bool, now: i64) -> Result<(), LedgerError> {
        let params = [now.into(), finished.into(), scan_id.into()];
        self.db.transaction(|db| {
            db.execute(
                "UPDATE scans SET finished_at = ?, complete = ? WHERE id = ?",
                &params,
            )
            .map_err(LedgerError::from)
        })?;
        Ok(())
    }

    fn write_batch(
        &mut self,
        rec: &ScanRecord,
        scan_id: i64,
        now: i64,
        batch: &[(String, Vec<Sighting>)],
    ) -> Result<Recorded, LedgerError> {
        if batch.is_empty() {
            return Ok(Recorded::default());
        }
        let sealing = self.sealing.clone();
        self.db.transaction(|db| {
            let mut counts = Recorded::default();
            for (fp, group) in batch {
                let sealed = match (&sealing, group.first()) {
                    (Some(key), Some(s)) => Some(key.seal(fp, s.secret.as_bytes())?),
                    _ => None,
                };
                let w = SecretWrite {
                    fp,
                    group,
                    sealed,
                    scan_id,
                    now,
                    repository: &rec.repository,
                };
                counts = add(counts, w.write(db)?);
            }
            Ok(counts)
        })
    }

    /// Marks the repository's findings this scan did not see as absent; returns how many
    /// secrets thereby left the code altogether.
    fn mark_absent(
        &mut self,
        repository: &str,
        scan_id: i64,
        now: i64,
    ) -> Result<u64, LedgerError> {
        self.db.transaction(|db| {
            let rows = db.query(
                "UPDATE findings SET present = 0
                 WHERE repository = ? AND last_scan <> ? AND present = 1
                 RETURNING secret_id",
                &[repository.into(), scan_id.into()],
            )?;
            let mut ids: Vec<i64> = rows.iter().filter_map(|r| r.first()?.as_i64()).collect();
            ids.sort_unstable();
            ids.dedup();
            let mut removed = 0;
            for id in ids {
                let state = lock_secret_by_id(db, id)?;
                if sync_in_code(db, id, &state, false, now, Some(scan_id))?
                    == Some(EventKind::Removed)
                {
                    removed += 1;
                }
            }
            Ok(removed)
        })
    }
}

/// The writes for one secret and its places, inside a batch transaction. Each costs few round
/// trips (lock or insert the secret, one upsert per place), which matters on a remote server.
struct SecretWrite<'a> {
    fp: &'a str,
    group: &'a [Sighting],
    sealed: Option<Vec<u8>>,
    scan_id: i64,
    now: i64,
    repository: &'a str,
}

impl SecretWrite<'_> {
    fn write(&self, db: &mut Db) -> Result<Recorded, LedgerError> {
        let mut counts = Recorded::default();
        let scan = Some(self.scan_id);
        let (id, mut state) = match lock_secret(db, self.fp)? {
            Some(found) => {
                self.keep_sealed(db, found.0)?;
                found
            }
            None => match self.insert_secret(db)? {
                Some(id) => {
                    counts.new_secrets = 1;
                    let first = &self.group[0];
                    let detail = json!({"repository": self.repository, "path": first.path});
                    let fresh = SecretState::derive([]);
                    let state = append(
                        db,
                        id,
                        &fresh,
                        EventKind::Detected,
                        self.now,
                        "scan",
                        scan,
                        &detail,
                    )?;
                    (id, state)
                }
                // Another writer created it since the lock attempt; its row is locked now.
                None => lock_secret(db, self.fp)?
                    .ok_or_else(|| LedgerError::Lookup(format!("secret {} vanished", self.fp)))?,
            },
        };
        for s in self.group {
            if !self.upsert_finding(db, id, s)? {
                continue;
            }
            counts.new_findings += 1;
            if state.status.is_closed() {
                let detail = json!({"repository": self.repository, "path": s.path,
                                    "was": state.status.as_str()});
                state = append(
                    db,
                    id,
                    &state,
                    EventKind::Reopened,
                    self.now,
                    "scan",
                    scan,
                    &detail,
                )?;
                counts.reopened += 1;
            }
        }
        let seen_present = self.group.iter().any(|s| s.present);
        if sync_in_code(db, id, &state, seen_present, self.now, scan)? == Some(EventKind::Removed) {
            counts.removed += 1;
        }
        Ok(counts)
    }

    /// Inserts the secret; `None` if another writer inserted it first.
    fn insert_secret(&self, db: &mut Db) -> Result<Option<i64>, LedgerError> {
        let first = &self.group[0];
        let row = db.query_opt(
            "INSERT INTO secrets (fingerprint, rule_id, rule_name, redacted, first_seen, status,
                                  in_code, updated_at, sealed)
             VALUES (?, ?, ?, ?, ?, 'open', 1, ?, ?)
             ON CONFLICT (fingerprint) DO NOTHING RETURNING id",
            &[
                self.fp.into(),
                first.rule_id.as_str().into(),
                first.rule_name.as_str().into(),
                first.redacted.as_str().into(),
                self.now.into(),
                self.now.into(),
                self.sealed.clone().map_or(Value::Null, Value::Blob),
            ],
        )?;
        Ok(row.and_then(|r| r.first().and_then(Value::as_i64)))
    }

    /// Seals the plain text of a known secret that was recorded without a sealing key.
    fn keep_sealed(&self, db: &mut Db, id: i64) -> Result<(), LedgerError> {
        if let Some(sealed) = &self.sealed {
            db.execute(
                "UPDATE secrets SET sealed = ? WHERE id = ? AND sealed IS NULL",
                &[Value::Blob(sealed.clone()), id.into()],
            )?;
        }
        Ok(())
    }

    /// Inserts or refreshes a place in one statement, keeping the earliest introducing commit;
    /// returns whether the place is new (its first scan is this one).
    fn upsert_finding(
        &self,
        db: &mut Db,
        secret_id: i64,
        s: &Sighting,
    ) -> Result<bool, LedgerError> {
        let c = s.commit.as_ref();
        let row = db.query_opt(
            "INSERT INTO findings (secret_id, repository, path, line, col, rule_id, commit_id,
                 commit_time, author_name, author_email, blob_id, service, owner_source, owners,
                 contacts, first_seen, last_seen, first_scan, last_scan, present, related)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (secret_id, repository, path) DO UPDATE SET
                 line = excluded.line, col = excluded.col, blob_id = excluded.blob_id,
                 service = excluded.service, owner_source = excluded.owner_source,
                 owners = excluded.owners, contacts = excluded.contacts,
                 last_seen = excluded.last_seen,
                 last_scan = excluded.last_scan, present = excluded.present,
                 related = COALESCE(excluded.related, findings.related),
                 commit_id = CASE WHEN findings.commit_time IS NULL
                     OR excluded.commit_time < findings.commit_time
                     THEN excluded.commit_id ELSE findings.commit_id END,
                 author_name = CASE WHEN findings.commit_time IS NULL
                     OR excluded.commit_time < findings.commit_time
                     THEN excluded.author_name ELSE findings.author_name END,
                 author_email = CASE WHEN findings.commit_time IS NULL
                     OR excluded.commit_time < findings.commit_time
                     THEN excluded.author_email ELSE findings.author_email END,
                 commit_time = CASE WHEN findings.commit_time IS NULL
                     OR excluded.commit_time < findings.commit_time
                     THEN excluded.commit_time ELSE findings.commit_time END
             RETURNING first_scan",
            &[
                secret_id.into(),
                self.repository.into(),
                s.path.as_str().into(),
                s.line.into(),
                s.col.into(),
                s.rule_id.as_str().into(),
                c.map(|c| c.id.clone()).into(),
                c.map(|c| c.time).into(),
                c.map(|c| c.author_name.clone()).into(),
                c.map(|c| c.author_email.clone()).into(),
                s.blob.clone().into(),
                s.service.clone().into(),
                s.owner_source.clone().into(),
                join_owners(&s.owners).into(),
                s.contacts.clone().into(),
                self.now.into(),
                self.now.into(),
                self.scan_id.into(),
                self.scan_id.into(),
                s.present.into(),
                s.related.clone().into(),
            ],
        )?;
        Ok(row.and_then(|r| r.first().and_then(Value::as_i64)) == Some(self.scan_id))
    }
}

/// Appends `removed` or `reappeared` when whether the secret is in code disagrees with its
/// state; returns the event appended, if any. `seen_present` says this scan saw it in code,
/// which settles the question without asking the database.
fn sync_in_code(
    db: &mut Db,
    secret_id: i64,
    state: &SecretState,
    seen_present: bool,
    now: i64,
    scan_id: Option<i64>,
) -> Result<Option<EventKind>, LedgerError> {
    let present = seen_present
        || (state.in_code
            && db
                .query_opt(
                    "SELECT COUNT(*) FROM findings WHERE secret_id = ? AND present = 1",
                    &[secret_id.into()],
                )?
                .and_then(|r| r.first().and_then(Value::as_i64))
                .unwrap_or(0)
                > 0);
    let kind = match (state.in_code, present) {
        (true, false) => EventKind::Removed,
        (false, true) => EventKind::Reappeared,
        _ => return Ok(None),
    };
    append(db, secret_id, state, kind, now, "scan", scan_id, &json!({}))?;
    Ok(Some(kind))
}

/// Whether `a` was introduced before `b` (working-tree sightings have no commit).
fn is_earlier(a: &Sighting, b: &Sighting) -> bool {
    match (&a.commit, &b.commit) {
        (Some(x), Some(y)) => x.time < y.time,
        (Some(_), None) => true,
        _ => false,
    }
}

fn add(a: Recorded, b: Recorded) -> Recorded {
    Recorded {
        new_secrets: a.new_secrets + b.new_secrets,
        new_findings: a.new_findings + b.new_findings,
        reopened: a.reopened + b.reopened,
        removed: a.removed + b.removed,
    }
}
