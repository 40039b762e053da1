//! The ledger's tables and their versioned migrations.
//!
//! Each migration is a list of statements applied in one transaction, and the schema version is
//! stored in `keytrail_meta`. Opening a ledger applies the migrations it lacks; a ledger whose
//! version is newer than this binary knows is refused, because an older binary could not keep
//! its invariants. The same statements serve SQLite and PostgreSQL: only the key and blob column
//! types differ (see [`Dialect`]).

use super::db::{Db, DbError, Dialect, Value};

/// The schema version this binary writes.
pub const SCHEMA_VERSION: i64 = 2;

/// Why a ledger could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// The ledger was created by a newer keytrail.
    #[error(
        "the ledger has schema version {found}, newer than this keytrail understands \
         ({known}); upgrade keytrail to use it"
    )]
    TooNew {
        /// Version found in the ledger.
        found: i64,
        /// Newest version this binary knows.
        known: i64,
    },
    /// The storage engine failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl super::db::AsTransient for SchemaError {
    fn is_transient(&self) -> bool {
        matches!(self, SchemaError::Db(e) if e.is_transient())
    }
}

/// Statements of migration `n` (1-based) for a dialect.
fn migration(n: i64, d: Dialect) -> Vec<String> {
    let id = d.id_column();
    let blob = d.blob();
    match n {
        1 => vec![
            format!(
                "CREATE TABLE secrets (
                    id {id},
                    fingerprint TEXT NOT NULL UNIQUE,
                    rule_id TEXT NOT NULL,
                    rule_name TEXT NOT NULL,
                    redacted TEXT NOT NULL,
                    first_seen BIGINT NOT NULL,
                    status TEXT NOT NULL,
                    in_code BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL,
                    sealed {blob})"
            ),
            format!(
                "CREATE TABLE findings (
                    id {id},
                    secret_id BIGINT NOT NULL REFERENCES secrets(id),
                    repository TEXT NOT NULL,
                    path TEXT NOT NULL,
                    line BIGINT NOT NULL,
                    col BIGINT NOT NULL,
                    rule_id TEXT NOT NULL,
                    commit_id TEXT,
                    commit_time BIGINT,
                    author_name TEXT,
                    author_email TEXT,
                    blob_id TEXT,
                    service TEXT,
                    owner_source TEXT,
                    first_seen BIGINT NOT NULL,
                    last_seen BIGINT NOT NULL,
                    first_scan BIGINT NOT NULL,
                    last_scan BIGINT NOT NULL,
                    present BIGINT NOT NULL,
                    owners TEXT NOT NULL,
                    contacts TEXT,
                    UNIQUE (secret_id, repository, path))"
            ),
            format!(
                "CREATE TABLE events (
                    id {id},
                    secret_id BIGINT NOT NULL REFERENCES secrets(id),
                    kind TEXT NOT NULL,
                    at BIGINT NOT NULL,
                    actor TEXT NOT NULL,
                    scan_id BIGINT,
                    detail TEXT NOT NULL)"
            ),
            format!(
                "CREATE TABLE scans (
                    id {id},
                    repository TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    started_at BIGINT NOT NULL,
                    finished_at BIGINT,
                    complete BIGINT NOT NULL)"
            ),
            format!(
                "CREATE TABLE history_state (
                    repository TEXT PRIMARY KEY,
                    state {blob} NOT NULL,
                    updated_at BIGINT NOT NULL)"
            ),
            "CREATE INDEX events_by_secret ON events (secret_id, id)".into(),
            "CREATE INDEX findings_by_repository ON findings (repository, present)".into(),
        ],
        // Related values a validator needs from the secret's file (JSON object).
        2 => vec!["ALTER TABLE findings ADD COLUMN related TEXT".into()],
        _ => Vec::new(),
    }
}

/// Brings the schema up to [`SCHEMA_VERSION`], or refuses a newer one.
pub fn migrate(db: &mut Db) -> Result<(), SchemaError> {
    db.transaction(|db| {
        if db.dialect() == Dialect::Postgres {
            // One migrator at a time when many scanners open a fresh shared ledger together
            // (even `CREATE TABLE IF NOT EXISTS` races on PostgreSQL). SQLite's write
            // transaction already excludes other writers.
            db.batch("SELECT pg_advisory_xact_lock(7243911000)")?;
        }
        db.batch(
            "CREATE TABLE IF NOT EXISTS keytrail_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        )?;
        let found = version(db)?;
        if found > SCHEMA_VERSION {
            return Err(SchemaError::TooNew {
                found,
                known: SCHEMA_VERSION,
            });
        }
        for n in found + 1..=SCHEMA_VERSION {
            for stmt in migration(n, db.dialect()) {
                db.batch(&stmt)?;
            }
            set_meta(db, "schema_version", &n.to_string())?;
        }
        Ok(())
    })
}

/// The schema version recorded in the ledger (0 for a new one).
pub fn version(db: &mut Db) -> Result<i64, DbError> {
    Ok(meta(db, "schema_version")?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0))
}

/// A value from `keytrail_meta`.
pub fn meta(db: &mut Db, key: &str) -> Result<Option<String>, DbError> {
    Ok(db
        .query_opt(
            "SELECT value FROM keytrail_meta WHERE key = ?",
            &[key.into()],
        )?
        .and_then(|r| r.into_iter().next())
        .and_then(|v| v.as_str().map(str::to_string)))
}

/// Sets a value in `keytrail_meta`.
pub fn set_meta(db: &mut Db, key: &str, value: &str) -> Result<(), DbError> {
    db.execute(
        "INSERT INTO keytrail_meta (key, value) VALUES (?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        &[key.into(), Value::from(value)],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrating_twice_is_harmless_and_a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut db = Db::open_sqlite(&dir.path().join("l.db")).unwrap();
        migrate(&mut db).unwrap();
        migrate(&mut db).unwrap();
        assert_eq!(version(&mut db).unwrap(), SCHEMA_VERSION);
        set_meta(&mut db, "schema_version", "99").unwrap();
        let err = migrate(&mut db).unwrap_err();
        assert!(
            matches!(err, SchemaError::TooNew { found: 99, .. }),
            "{err}"
        );
    }
}
