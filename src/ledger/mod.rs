//! The ledger: one record of every distinct leaked secret, where it sprawled, and what happened
//! to it, on embedded SQLite or a shared PostgreSQL server.
//!
//! A *secret* is keyed by its ledger fingerprint (an HMAC of its value, see [`keys`]); its
//! *findings* are the places it was seen, one row per (repository, path); its *events* are an
//! append-only log (detected, notified, checked, resolved, reopened, removed, reappeared) from
//! which its state is derived ([`model`]). Scans add findings and events in short transactions
//! that can be repeated without harm, so a killed scan leaves a consistent ledger and running it
//! again completes the record. This module owns storage and lifecycle rules; it does not scan,
//! attribute owners, or print.

pub mod db;
mod export;
pub mod keys;
pub mod model;
mod query;
mod record;
pub mod schema;

use std::path::{Path, PathBuf};

pub use query::{Filter, FindingRow, SecretDetail, SecretRow, StatusFilter};
pub use record::{CommitRef, Recorded, ScanKind, ScanRecord, Sighting};

use db::{AsTransient, Db, DbError, Value};
use keys::{FingerprintKey, KeyError, SealingKey};
use model::{Event, EventKind, SecretState};

/// Where a ledger lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A SQLite database file.
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL (`postgres://` or `postgresql://`).
    Postgres(String),
}

impl Location {
    /// Reads `--ledger`: a PostgreSQL URL, a file path, or empty for the default file.
    pub fn parse(text: &str) -> Result<Location, LedgerError> {
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            return Ok(Location::Postgres(text.to_string()));
        }
        if text.is_empty() {
            return Location::default_path().map(Location::Sqlite);
        }
        Ok(Location::Sqlite(PathBuf::from(text)))
    }

    /// The default SQLite ledger under the user's data directory.
    pub fn default_path() -> Result<PathBuf, LedgerError> {
        dirs::data_dir()
            .map(|d| d.join("keytrail").join("ledger.db"))
            .ok_or_else(|| LedgerError::Config("no user data directory: give --ledger PATH".into()))
    }

    /// A printable form with any password in a URL hidden.
    pub fn display(&self) -> String {
        match self {
            Location::Sqlite(p) => p.display().to_string(),
            Location::Postgres(url) => crate::report::sanitize::strip_url_password(url),
        }
    }
}

/// How to open a ledger.
#[derive(Debug, Clone)]
pub struct LedgerOptions {
    /// Where it lives.
    pub location: Location,
    /// The fingerprint key file; else `KEYTRAIL_LEDGER_KEY`, else (SQLite only) `<ledger>.key`.
    pub key_file: Option<PathBuf>,
    /// The sealing key file; else `KEYTRAIL_SEALING_KEY`; else plain text is not stored.
    pub sealing_key_file: Option<PathBuf>,
    /// The clock override (`--now`), in seconds since the Unix epoch.
    pub now: Option<i64>,
}

/// What went wrong with a ledger.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The storage engine failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The schema is unusable.
    #[error(transparent)]
    Schema(#[from] schema::SchemaError),
    /// A key is missing or wrong.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The ledger or its arguments are misconfigured.
    #[error("{0}")]
    Config(String),
    /// No secret, or more than one, matches a fingerprint prefix.
    #[error("{0}")]
    Lookup(String),
}

impl AsTransient for LedgerError {
    fn is_transient(&self) -> bool {
        matches!(self, LedgerError::Db(e) if e.is_transient())
    }
}

/// An open ledger.
pub struct Ledger {
    db: Db,
    key: FingerprintKey,
    sealing: Option<SealingKey>,
    now: Option<i64>,
}

impl Ledger {
    /// Opens (creating and migrating if needed) the ledger the options name.
    pub fn open(opts: &LedgerOptions) -> Result<Ledger, LedgerError> {
        let (mut db, key) = match &opts.location {
            Location::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        LedgerError::Config(format!("cannot create {}: {e}", dir.display()))
                    })?;
                }
                let key = fingerprint_key(opts, Some(&key_path_beside(path)))?;
                (Db::open_sqlite(path)?, key)
            }
            Location::Postgres(url) => {
                let key = fingerprint_key(opts, None)?;
                (Db::connect_postgres(url)?, key)
            }
        };
        schema::migrate(&mut db)?;
        check_key(&mut db, &key)?;
        Ok(Ledger {
            db,
            key,
            sealing: sealing_key(opts)?,
            now: opts.now,
        })
    }

    /// The current time in seconds since the Unix epoch (`--now` when given).
    pub fn now(&self) -> i64 {
        self.now
            .unwrap_or_else(|| jiff::Timestamp::now().as_second())
    }

    /// The ledger fingerprint of a secret value.
    pub fn fingerprint(&self, secret: &[u8]) -> String {
        self.key.fingerprint(secret)
    }

    /// Whether plain text is sealed into the ledger.
    pub fn is_sealing(&self) -> bool {
        self.sealing.is_some()
    }

    /// The stored incremental-history state of a repository, if any.
    pub fn history_state(&mut self, repository: &str) -> Result<Option<Vec<u8>>, LedgerError> {
        let row = self.db.query_opt(
            "SELECT state FROM history_state WHERE repository = ?",
            &[repository.into()],
        )?;
        Ok(row.and_then(|r| r.into_iter().next()?.as_blob().map(<[u8]>::to_vec)))
    }

    /// Replaces the stored incremental-history state of a repository.
    pub fn save_history_state(
        &mut self,
        repository: &str,
        state: &[u8],
    ) -> Result<(), LedgerError> {
        let now = self.now();
        let params = [repository.into(), Value::Blob(state.to_vec()), now.into()];
        self.db.transaction(|db| {
            db.execute(
                "INSERT INTO history_state (repository, state, updated_at) VALUES (?, ?, ?)
                 ON CONFLICT (repository) DO UPDATE
                 SET state = excluded.state, updated_at = excluded.updated_at",
                &params,
            )
            .map_err(LedgerError::from)
        })?;
        Ok(())
    }

    /// Appends an event to a secret's log (in its own transaction) and refreshes its state.
    pub fn append_event(
        &mut self,
        fingerprint: &str,
        kind: EventKind,
        actor: &str,
        detail: serde_json::Value,
    ) -> Result<SecretState, LedgerError> {
        let now = self.now();
        self.db.transaction(|db| {
            let (id, state) = lock_secret(db, fingerprint)?
                .ok_or_else(|| LedgerError::Lookup(format!("no secret {fingerprint}")))?;
            append(db, id, &state, kind, now, actor, None, &detail)
        })
    }

    /// The events of a secret, oldest first.
    pub fn events(&mut self, fingerprint: &str) -> Result<Vec<Event>, LedgerError> {
        let id = self
            .secret_id(fingerprint)?
            .ok_or_else(|| LedgerError::Lookup(format!("no secret {fingerprint}")))?;
        Ok(events_of(&mut self.db, id)?)
    }

    fn secret_id(&mut self, fingerprint: &str) -> Result<Option<i64>, DbError> {
        let row = self.db.query_opt(
            "SELECT id FROM secrets WHERE fingerprint = ?",
            &[fingerprint.into()],
        )?;
        Ok(row.and_then(|r| r.first().and_then(Value::as_i64)))
    }

    /// The plain text of the secret found by `rule` nearest to one of this secret's places (the
    /// same repository and path), when the ledger holds it sealed.
    pub fn paired_plaintext(
        &mut self,
        fingerprint: &str,
        rule: &str,
    ) -> Result<Option<Vec<u8>>, LedgerError> {
        let row = self.db.query_opt(
            "SELECT s2.fingerprint FROM secrets s1
             JOIN findings f1 ON f1.secret_id = s1.id
             JOIN findings f2 ON f2.repository = f1.repository AND f2.path = f1.path
             JOIN secrets s2 ON s2.id = f2.secret_id
             WHERE s1.fingerprint = ? AND s2.rule_id = ? AND s2.sealed IS NOT NULL
             ORDER BY abs(f2.line - f1.line) LIMIT 1",
            &[fingerprint.into(), rule.into()],
        )?;
        match row.and_then(|r| r.first().and_then(|v| v.as_str().map(str::to_string))) {
            Some(partner) => self.unseal(&partner),
            None => Ok(None),
        }
    }

    /// The related values (a validator's non-secret inputs, such as a service account's email)
    /// recorded with the secret's findings, nearest place first.
    pub fn related(
        &mut self,
        fingerprint: &str,
    ) -> Result<std::collections::BTreeMap<String, String>, LedgerError> {
        let rows = self.db.query(
            "SELECT f.related FROM findings f JOIN secrets s ON s.id = f.secret_id
             WHERE s.fingerprint = ? AND f.related IS NOT NULL ORDER BY f.id",
            &[fingerprint.into()],
        )?;
        let mut out = std::collections::BTreeMap::new();
        for text in rows
            .iter()
            .filter_map(|r| r.first().and_then(Value::as_str))
        {
            let Ok(serde_json::Value::Object(map)) = serde_json::from_str(text) else {
                continue;
            };
            for (k, v) in map {
                if let serde_json::Value::String(v) = v {
                    out.entry(k).or_insert(v);
                }
            }
        }
        Ok(out)
    }

    /// The plain text of a secret, when the ledger seals plain text and holds this one.
    pub fn unseal(&mut self, fingerprint: &str) -> Result<Option<Vec<u8>>, LedgerError> {
        let Some(key) = &self.sealing else {
            return Ok(None);
        };
        let row = self.db.query_opt(
            "SELECT sealed FROM secrets WHERE fingerprint = ?",
            &[fingerprint.into()],
        )?;
        match row.and_then(|r| r.into_iter().next()) {
            Some(Value::Blob(b)) => Ok(Some(key.open(fingerprint, &b)?)),
            _ => Ok(None),
        }
    }
}

/// `<ledger>.key` beside a SQLite ledger file.
fn key_path_beside(db: &Path) -> PathBuf {
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push(".key");
    db.with_file_name(name)
}

fn fingerprint_key(
    opts: &LedgerOptions,
    beside: Option<&Path>,
) -> Result<FingerprintKey, LedgerError> {
    if let Some(path) = &opts.key_file {
        return Ok(FingerprintKey::read(path)?);
    }
    if let Ok(text) = std::env::var(keys::FINGERPRINT_KEY_ENV) {
        return Ok(FingerprintKey::from_text(&text)?);
    }
    match beside {
        Some(path) => Ok(FingerprintKey::read_or_create(path)?),
        None => Err(LedgerError::Config(format!(
            "a shared ledger needs a fingerprint key that every scanner uses: \
             give --ledger-key-file FILE or set {}",
            keys::FINGERPRINT_KEY_ENV
        ))),
    }
}

fn sealing_key(opts: &LedgerOptions) -> Result<Option<SealingKey>, LedgerError> {
    if let Some(path) = &opts.sealing_key_file {
        return Ok(Some(SealingKey::read(path)?));
    }
    match std::env::var(keys::SEALING_KEY_ENV) {
        Ok(text) => Ok(Some(SealingKey::from_text(&text)?)),
        Err(_) => Ok(None),
    }
}

/// Refuses a fingerprint key other than the one the ledger was started with.
fn check_key(db: &mut Db, key: &FingerprintKey) -> Result<(), LedgerError> {
    let expected = key.check_value();
    db.transaction(|db| match schema::meta(db, "fingerprint_key_check")? {
        Some(found) if found != expected => Err(LedgerError::Config(
            "this ledger was written with a different fingerprint key; \
             use the key it was created with"
                .into(),
        )),
        Some(_) => Ok(()),
        None => Ok(schema::set_meta(db, "fingerprint_key_check", &expected)?),
    })
}

/// The id and cached state of a secret, locking its row until the transaction ends.
fn lock_secret(db: &mut Db, fingerprint: &str) -> Result<Option<(i64, SecretState)>, DbError> {
    let sql = format!(
        "SELECT id, status, in_code FROM secrets WHERE fingerprint = ?{}",
        db.dialect().for_update()
    );
    let row = db.query_opt(&sql, &[fingerprint.into()])?;
    Ok(row.and_then(|r| Some((r.first()?.as_i64()?, cached(&r[1..])))))
}

/// The cached state of a secret by id, locking its row until the transaction ends.
fn lock_secret_by_id(db: &mut Db, id: i64) -> Result<SecretState, LedgerError> {
    let sql = format!(
        "SELECT status, in_code FROM secrets WHERE id = ?{}",
        db.dialect().for_update()
    );
    let row = db
        .query_opt(&sql, &[id.into()])?
        .ok_or_else(|| LedgerError::Lookup(format!("no secret with id {id}")))?;
    Ok(cached(&row))
}

/// A state from the cached `status, in_code` columns.
fn cached(cols: &[Value]) -> SecretState {
    let mut state = SecretState::derive([]);
    if let Some(status) = cols
        .first()
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
    {
        state.status = status;
    }
    state.in_code = cols.get(1).and_then(Value::as_i64) != Some(0);
    state
}

/// Appends an event inside the caller's transaction; rewrites the secret's cached state when
/// the event changes it. `state` is the cached state before the event.
#[allow(clippy::too_many_arguments)]
fn append(
    db: &mut Db,
    secret_id: i64,
    state: &SecretState,
    kind: EventKind,
    at: i64,
    actor: &str,
    scan_id: Option<i64>,
    detail: &serde_json::Value,
) -> Result<SecretState, LedgerError> {
    db.execute(
        "INSERT INTO events (secret_id, kind, at, actor, scan_id, detail) VALUES (?, ?, ?, ?, ?, ?)",
        &[
            secret_id.into(),
            kind.as_str().into(),
            at.into(),
            actor.into(),
            scan_id.into(),
            detail.to_string().into(),
        ],
    )?;
    let mut next = state.clone();
    next.apply(&Event {
        kind,
        at,
        actor: actor.to_string(),
        detail: detail.clone(),
    });
    if (next.status, next.in_code) != (state.status, state.in_code) {
        db.execute(
            "UPDATE secrets SET status = ?, in_code = ?, updated_at = ? WHERE id = ?",
            &[
                next.status.as_str().into(),
                next.in_code.into(),
                at.into(),
                secret_id.into(),
            ],
        )?;
    }
    Ok(next)
}

/// A secret's events, oldest first.
fn events_of(db: &mut Db, secret_id: i64) -> Result<Vec<Event>, DbError> {
    let rows = db.query(
        "SELECT kind, at, actor, detail FROM events WHERE secret_id = ? ORDER BY id",
        &[secret_id.into()],
    )?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(Event {
                kind: r.first()?.as_str()?.parse().ok()?,
                at: r.get(1)?.as_i64()?,
                actor: r.get(2)?.text(),
                detail: serde_json::from_str(r.get(3)?.as_str()?).unwrap_or_default(),
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_parse() {
        assert_eq!(
            Location::parse("postgres://u@h/db").unwrap(),
            Location::Postgres("postgres://u@h/db".into())
        );
        assert_eq!(
            Location::parse("x/ledger.db").unwrap(),
            Location::Sqlite("x/ledger.db".into())
        );
        assert_eq!(
            Location::Postgres("postgres://u:pw@h/db".into()).display(),
            "postgres://u:***@h/db"
        );
        assert_eq!(
            key_path_beside(Path::new("/a/l.db")),
            Path::new("/a/l.db.key")
        );
    }

    #[test]
    fn a_different_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let opts = |key: &str| {
            let file = dir.path().join(format!("{key}.key"));
            std::fs::write(&file, key.repeat(20)).unwrap();
            LedgerOptions {
                location: Location::Sqlite(dir.path().join("l.db")),
                key_file: Some(file),
                sealing_key_file: None,
                now: None,
            }
        };
        Ledger::open(&opts("a")).unwrap();
        Ledger::open(&opts("a")).unwrap();
        let err = Ledger::open(&opts("b")).err().unwrap();
        assert!(
            err.to_string().contains("different fingerprint key"),
            "{err}"
        );
    }
}
