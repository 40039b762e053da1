//! A real PostgreSQL server for one test, in a temporary directory on a free loopback port.
//!
//! The cluster is made once per test binary with `initdb` and copied for each server, so a test
//! pays only for starting the server. When running as root the server runs as the `postgres`
//! user (PostgreSQL refuses root). The server is stopped when the value is dropped, also when
//! the test fails.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// A running server.
pub struct PgServer {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
}

impl PgServer {
    /// Starts a fresh server.
    pub fn start() -> PgServer {
        PgServer::start_with(None)
    }

    /// Starts a fresh server with TLS (this certificate chain and key, PEM). Connections over
    /// TCP must use TLS, except to the `postgres` database (where tests create databases).
    pub fn start_with_tls(cert: &str, key: &str) -> PgServer {
        PgServer::start_with(Some((cert, key)))
    }

    fn start_with(tls: Option<(&str, &str)>) -> PgServer {
        let bin = bin_dir();
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("data");
        let copied = Command::new("cp")
            .arg("-a")
            .arg(template())
            .arg(&data)
            .status()
            .expect("cp");
        assert!(copied.success(), "cannot copy the template cluster");
        let mut ssl = String::new();
        if let Some((cert, key)) = tls {
            use std::os::unix::fs::PermissionsExt;
            let (cert_file, key_file) = (data.join("server.crt"), data.join("server.key"));
            std::fs::write(&cert_file, cert).expect("server.crt");
            std::fs::write(&key_file, key).expect("server.key");
            std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600))
                .expect("chmod server.key");
            std::fs::write(
                data.join("pg_hba.conf"),
                "local all all trust\n\
                 hostnossl postgres all 127.0.0.1/32 trust\n\
                 hostssl all all 127.0.0.1/32 trust\n",
            )
            .expect("pg_hba.conf");
            ssl = format!(
                " -c ssl=on -c ssl_cert_file={} -c ssl_key_file={}",
                cert_file.display(),
                key_file.display()
            );
        }
        hand_to_postgres(dir.path());
        for _ in 0..5 {
            let port = free_port();
            let opts = format!(
                "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=40{ssl}",
                dir.path().display()
            );
            let started = as_postgres(&bin.join("pg_ctl"))
                .arg("-D")
                .arg(&data)
                .args(["-o", &opts, "-l"])
                .arg(dir.path().join("log"))
                .args(["-w", "start"])
                .output()
                .expect("pg_ctl");
            if started.status.success() {
                return PgServer { dir, bin, port };
            }
        }
        let log = std::fs::read_to_string(dir.path().join("log")).unwrap_or_default();
        panic!("PostgreSQL did not start:\n{log}");
    }

    /// A connection URL for a new, empty database on this server.
    pub fn new_database(&self, name: &str) -> String {
        let mut client = postgres::Client::connect(&self.url("postgres"), postgres::NoTls)
            .expect("connect to PostgreSQL");
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create database");
        self.url(name)
    }

    /// The URL of a database on this server.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://keytrail@127.0.0.1:{}/{db}", self.port)
    }

    /// The server's data directory.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let _ = as_postgres(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(self.data_dir())
            .args(["-m", "immediate", "stop"])
            .output();
    }
}

/// The PostgreSQL server binaries: `KEYTRAIL_TEST_PG_BIN`, `pg_config --bindir`, or Debian's
/// `/usr/lib/postgresql/<version>/bin`.
fn bin_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("KEYTRAIL_TEST_PG_BIN") {
        return PathBuf::from(dir);
    }
    let has_server = |d: &Path| d.join("pg_ctl").is_file() && d.join("postgres").is_file();
    let from_config = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
        .filter(|d| has_server(d));
    let debian = std::fs::read_dir("/usr/lib/postgresql")
        .ok()
        .and_then(|entries| {
            let mut dirs: Vec<PathBuf> = entries
                .filter_map(|e| Some(e.ok()?.path().join("bin")))
                .filter(|d| has_server(d))
                .collect();
            dirs.sort();
            dirs.pop()
        });
    from_config.or(debian).expect(
        "PostgreSQL server binaries not found: install Debian's `postgresql` package \
         or set KEYTRAIL_TEST_PG_BIN",
    )
}

/// An initialised cluster to copy: made once, kept in the temporary directory and reused by
/// later runs (it is built under a private name and renamed, so a half-made one is never used).
fn template() -> &'static Path {
    static TEMPLATE: OnceLock<PathBuf> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let bin = bin_dir();
        let done = std::env::temp_dir().join(format!(
            "keytrail-pg-template-{}",
            bin.display().to_string().replace('/', "_")
        ));
        let data = done.join("data");
        if data.join("PG_VERSION").is_file() {
            return data;
        }
        let building = done.with_extension(format!("building-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&building);
        std::fs::create_dir_all(&building).expect("template dir");
        hand_to_postgres(&building);
        let out = as_postgres(&bin.join("initdb"))
            .arg("-D")
            .arg(building.join("data"))
            .args(["-A", "trust", "-U", "keytrail", "--no-sync", "-E", "UTF8"])
            .output()
            .expect("initdb");
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        if std::fs::rename(&building, &done).is_err() {
            // Another run finished first; use its template.
            let _ = std::fs::remove_dir_all(&building);
        }
        data
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A command that runs as the `postgres` user when we are root.
fn as_postgres(program: &Path) -> Command {
    if is_root() {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "postgres", "--"]).arg(program);
        cmd
    } else {
        Command::new(program)
    }
}

fn hand_to_postgres(dir: &Path) {
    if is_root() {
        let ok = Command::new("chown")
            .args(["-R", "postgres"])
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "cannot chown {} to postgres", dir.display());
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}
