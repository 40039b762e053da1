//! The two storage engines behind one small SQL interface.
//!
//! The ledger's logic is written once, against [`Db`]: statements use `?` placeholders and a
//! portable subset of SQL (`INSERT ... ON CONFLICT`, `RETURNING`), integers are 64-bit and
//! booleans are 0/1, so the same statements run on SQLite and PostgreSQL. The few places where
//! the engines differ (auto-increment keys, blob type, row locks, how a write transaction starts)
//! are asked of [`Dialect`]. This module does not know the schema.

use std::error::Error as StdError;
use std::path::Path;
use std::time::Duration;

use bytes::BytesMut;
use postgres::types::{IsNull, ToSql, Type, to_sql_checked};

/// A value bound to a statement or read from a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// A 64-bit integer (also booleans and timestamps).
    Int(i64),
    /// Text.
    Text(String),
    /// Bytes.
    Blob(Vec<u8>),
}

impl Value {
    /// The integer, if this is one.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The text, if this is text.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }

    /// The text, or an empty string for anything else.
    pub fn text(&self) -> String {
        self.as_str().unwrap_or_default().to_string()
    }

    /// The bytes, if this is a blob.
    pub fn as_blob(&self) -> Option<&[u8]> {
        match self {
            Value::Blob(b) => Some(b),
            _ => None,
        }
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Int(i64::from(v))
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_string())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// One result row.
pub type Row = Vec<Value>;

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// SQLite reported an error.
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL reported an error.
    #[error("PostgreSQL: {}", describe_pg(.0))]
    Postgres(#[from] postgres::Error),
    /// The connection's TLS settings could not be used.
    #[error("PostgreSQL TLS: {0}")]
    Tls(String),
}

/// Takes `sslmode` and `sslrootcert` out of a URL's query (the driver knows neither
/// `verify-full` nor `sslrootcert`). Returns the rest of the URL and, when TLS is required, the
/// root certificate file, if one is named.
fn split_tls_params(url: &str) -> (String, Option<Option<String>>) {
    let Some((base, query)) = url.split_once('?') else {
        return (url.to_string(), None);
    };
    let (mut mode, mut root_cert, mut rest) = (None, None, Vec::new());
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("sslmode", v)) => mode = Some(v.to_ascii_lowercase()),
            Some(("sslrootcert", v)) => root_cert = Some(v.to_string()),
            _ => rest.push(pair),
        }
    }
    let url = match rest.is_empty() {
        true => base.to_string(),
        false => format!("{base}?{}", rest.join("&")),
    };
    let tls = matches!(
        mode.as_deref(),
        Some("require" | "verify-ca" | "verify-full")
    );
    (url, tls.then_some(root_cert))
}

/// A rustls connector that trusts `root_cert` (a PEM file) or else the public web roots.
fn tls_connector(
    root_cert: Option<&str>,
) -> Result<tokio_postgres_rustls::MakeRustlsConnect, DbError> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    match root_cert {
        Some(path) => {
            let certs = CertificateDer::pem_file_iter(path)
                .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                .map_err(|e| DbError::Tls(format!("cannot read sslrootcert {path}: {e}")))?;
            if certs.is_empty() {
                return Err(DbError::Tls(format!(
                    "sslrootcert {path} holds no certificate"
                )));
            }
            for cert in certs {
                roots
                    .add(cert)
                    .map_err(|e| DbError::Tls(format!("sslrootcert {path}: {e}")))?;
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| DbError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

fn describe_pg(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => e.to_string(),
    }
}

impl DbError {
    /// Whether retrying the transaction may succeed (deadlock, serialization failure, busy).
    pub fn is_transient(&self) -> bool {
        match self {
            DbError::Postgres(e) => e.code().is_some_and(|c| {
                *c == postgres::error::SqlState::T_R_DEADLOCK_DETECTED
                    || *c == postgres::error::SqlState::T_R_SERIALIZATION_FAILURE
            }),
            DbError::Sqlite(e) => sqlite_busy(e),
            DbError::Tls(_) => false,
        }
    }
}

/// Whether SQLite reports another connection holding a lock this one needs.
fn sqlite_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// Which engine a statement runs on, for the few places where SQL differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite 3.35 or newer (bundled).
    Sqlite,
    /// PostgreSQL 12 or newer.
    Postgres,
}

impl Dialect {
    /// Column type of an auto-incrementing 64-bit primary key.
    pub fn id_column(self) -> &'static str {
        match self {
            Dialect::Sqlite => "INTEGER PRIMARY KEY",
            Dialect::Postgres => "BIGSERIAL PRIMARY KEY",
        }
    }

    /// Column type for bytes.
    pub fn blob(self) -> &'static str {
        match self {
            Dialect::Sqlite => "BLOB",
            Dialect::Postgres => "BYTEA",
        }
    }

    /// Suffix that locks the selected rows until the transaction ends (SQLite holds the whole
    /// database for a write transaction already).
    pub fn for_update(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE",
        }
    }
}

/// An open connection to either engine.
pub enum Db {
    /// An embedded SQLite database file.
    Sqlite(Box<rusqlite::Connection>),
    /// A PostgreSQL server.
    Postgres(Box<PgConn>),
}

/// A PostgreSQL connection with its prepared statements, so each statement is parsed once per
/// connection instead of once per call (a round trip saved on every call).
pub struct PgConn {
    client: postgres::Client,
    prepared: std::collections::HashMap<String, postgres::Statement>,
}

impl PgConn {
    fn statement(&mut self, sql: &str) -> Result<postgres::Statement, postgres::Error> {
        if let Some(stmt) = self.prepared.get(sql) {
            return Ok(stmt.clone());
        }
        let stmt = self.client.prepare(&numbered_placeholders(sql))?;
        self.prepared.insert(sql.to_string(), stmt.clone());
        Ok(stmt)
    }
}

/// How long a SQLite writer waits for another process's write transaction.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(60);

impl Db {
    /// Opens (creating if needed) a SQLite database in WAL mode.
    ///
    /// WAL with `synchronous=NORMAL` keeps every committed transaction when the process is killed
    /// (only a power cut may lose the last ones), and lets readers run beside one writer.
    pub fn open_sqlite(path: &Path) -> Result<Db, DbError> {
        let conn = rusqlite::Connection::open(path)?;
        conn.busy_timeout(SQLITE_BUSY_TIMEOUT)?;
        // Switching a new database to WAL can fail with "database is locked" without waiting
        // for the busy handler, when scanners open a new ledger together: retry it for as long
        // as the busy timeout would wait.
        let deadline = std::time::Instant::now() + SQLITE_BUSY_TIMEOUT;
        loop {
            match conn.pragma_update(None, "journal_mode", "WAL") {
                Err(e) if sqlite_busy(&e) && std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                result => break result?,
            }
        }
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        Ok(Db::Sqlite(Box::new(conn)))
    }

    /// Connects to a PostgreSQL server given a `postgres://` URL.
    ///
    /// `sslmode=require`, `verify-ca` or `verify-full` connect over TLS only, and always verify
    /// the server's certificate and host name: against the PEM file `sslrootcert=PATH` names, or
    /// else the public web roots. Without `sslmode`, or with `disable` or `prefer`, the
    /// connection is plain, as on a private network or a local socket.
    pub fn connect_postgres(url: &str) -> Result<Db, DbError> {
        let (url, tls) = split_tls_params(url);
        let config: postgres::Config = url.parse()?;
        let client = match tls {
            None => config.connect(postgres::NoTls)?,
            Some(root_cert) => {
                let mut config = config;
                config.ssl_mode(postgres::config::SslMode::Require);
                config.connect(tls_connector(root_cert.as_deref())?)?
            }
        };
        Ok(Db::Postgres(Box::new(PgConn {
            client,
            prepared: Default::default(),
        })))
    }

    /// The engine's dialect.
    pub fn dialect(&self) -> Dialect {
        match self {
            Db::Sqlite(_) => Dialect::Sqlite,
            Db::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Runs statements without parameters (schema changes, pragmas).
    pub fn batch(&mut self, sql: &str) -> Result<(), DbError> {
        match self {
            Db::Sqlite(c) => c.execute_batch(sql)?,
            Db::Postgres(c) => c.client.batch_execute(sql)?,
        }
        Ok(())
    }

    /// Runs one statement; returns the number of rows it changed.
    pub fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
        match self {
            Db::Sqlite(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                let n = stmt.execute(rusqlite::params_from_iter(params.iter().map(to_sqlite)))?;
                Ok(n as u64)
            }
            Db::Postgres(c) => {
                let stmt = c.statement(sql)?;
                Ok(c.client.execute(&stmt, &pg_params(params))?)
            }
        }
    }

    /// Runs a query and returns every row.
    pub fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
        match self {
            Db::Sqlite(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                let width = stmt.column_count();
                let rows = stmt.query_map(
                    rusqlite::params_from_iter(params.iter().map(to_sqlite)),
                    |r| (0..width).map(|i| r.get_ref(i).map(from_sqlite)).collect(),
                )?;
                Ok(rows.collect::<Result<_, _>>()?)
            }
            Db::Postgres(c) => {
                let stmt = c.statement(sql)?;
                let rows = c.client.query(&stmt, &pg_params(params))?;
                Ok(rows.iter().map(from_pg_row).collect())
            }
        }
    }

    /// The first row of a query, if any.
    pub fn query_opt(&mut self, sql: &str, params: &[Value]) -> Result<Option<Row>, DbError> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    /// Starts a write transaction. On SQLite it takes the write lock at once (`IMMEDIATE`), so
    /// two writers queue instead of failing halfway with a busy error.
    pub fn begin(&mut self) -> Result<(), DbError> {
        match self {
            Db::Sqlite(c) => c.execute_batch("BEGIN IMMEDIATE")?,
            Db::Postgres(c) => c.client.batch_execute("BEGIN")?,
        }
        Ok(())
    }

    /// Commits the open transaction.
    pub fn commit(&mut self) -> Result<(), DbError> {
        self.batch("COMMIT")
    }

    /// Rolls back the open transaction, if any.
    pub fn rollback(&mut self) {
        let _ = self.batch("ROLLBACK");
    }

    /// Runs `work` in a write transaction, retrying it when the engine reports a transient
    /// conflict (a deadlock between two writers, a busy database).
    pub fn transaction<T, E>(
        &mut self,
        mut work: impl FnMut(&mut Db) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<DbError> + AsTransient,
    {
        let mut attempt = 0;
        loop {
            self.begin()?;
            let result = work(self).and_then(|v| self.commit().map(|()| v).map_err(E::from));
            match result {
                Ok(v) => return Ok(v),
                Err(e) => {
                    self.rollback();
                    attempt += 1;
                    if attempt >= MAX_ATTEMPTS || !e.is_transient() {
                        return Err(e);
                    }
                    std::thread::sleep(Duration::from_millis(20 * attempt));
                }
            }
        }
    }
}

/// How many times a transaction is tried before a transient conflict is reported.
const MAX_ATTEMPTS: u64 = 8;

/// Errors that can say whether a retry might succeed.
pub trait AsTransient {
    /// Whether retrying the transaction may succeed.
    fn is_transient(&self) -> bool;
}

impl AsTransient for DbError {
    fn is_transient(&self) -> bool {
        DbError::is_transient(self)
    }
}

/// Rewrites `?` placeholders as PostgreSQL's `$1, $2, ...` (statements here never hold a `?`
/// inside a string literal).
fn numbered_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    out
}

fn to_sqlite(v: &Value) -> rusqlite::types::Value {
    match v {
        Value::Null => rusqlite::types::Value::Null,
        Value::Int(i) => rusqlite::types::Value::Integer(*i),
        Value::Text(s) => rusqlite::types::Value::Text(s.clone()),
        Value::Blob(b) => rusqlite::types::Value::Blob(b.clone()),
    }
}

fn from_sqlite(v: rusqlite::types::ValueRef<'_>) -> Value {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        ValueRef::Real(f) => Value::Int(f as i64),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    }
}

fn pg_params(params: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

fn from_pg_row(row: &postgres::Row) -> Row {
    (0..row.len())
        .map(|i| {
            let ty = row.columns()[i].type_();
            let value = if *ty == Type::INT8 {
                row.try_get::<_, Option<i64>>(i)
                    .ok()
                    .flatten()
                    .map(Value::Int)
            } else if *ty == Type::INT4 {
                row.try_get::<_, Option<i32>>(i)
                    .ok()
                    .flatten()
                    .map(|v| Value::Int(v.into()))
            } else if *ty == Type::BYTEA {
                row.try_get::<_, Option<Vec<u8>>>(i)
                    .ok()
                    .flatten()
                    .map(Value::Blob)
            } else {
                row.try_get::<_, Option<String>>(i)
                    .ok()
                    .flatten()
                    .map(Value::Text)
            };
            value.unwrap_or(Value::Null)
        })
        .collect()
}

impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn StdError + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(i) if *ty == Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
            Value::Int(i) => i.to_sql(ty, out),
            Value::Text(s) => s.as_str().to_sql(ty, out),
            Value::Blob(b) => b.as_slice().to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_order() {
        assert_eq!(
            numbered_placeholders("SELECT a FROM t WHERE b = ? AND c IN (?, ?)"),
            "SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)"
        );
    }

    #[test]
    fn sqlite_round_trips_every_value_kind() {
        let dir = tempfile::tempdir().unwrap();
        let mut db = Db::open_sqlite(&dir.path().join("t.db")).unwrap();
        db.batch("CREATE TABLE t (i INTEGER, s TEXT, b BLOB, n TEXT)")
            .unwrap();
        let row = vec![
            Value::Int(-7),
            Value::from("x"),
            Value::Blob(vec![0, 255]),
            Value::Null,
        ];
        db.execute("INSERT INTO t VALUES (?, ?, ?, ?)", &row)
            .unwrap();
        assert_eq!(
            db.query("SELECT i, s, b, n FROM t", &[]).unwrap(),
            vec![row]
        );
    }

    #[test]
    fn tls_settings_are_taken_out_of_the_url() {
        let plain = "postgres://k@db:5432/ledger";
        assert_eq!(split_tls_params(plain), (plain.to_string(), None));
        assert_eq!(
            split_tls_params(&format!("{plain}?sslmode=prefer&connect_timeout=5")),
            (format!("{plain}?connect_timeout=5"), None)
        );
        assert_eq!(
            split_tls_params(&format!("{plain}?sslmode=require")),
            (plain.to_string(), Some(None))
        );
        assert_eq!(
            split_tls_params(&format!(
                "{plain}?application_name=kt&sslmode=verify-full&sslrootcert=/etc/ca.pem"
            )),
            (
                format!("{plain}?application_name=kt"),
                Some(Some("/etc/ca.pem".to_string()))
            )
        );
    }
}
