//! Metrics over a large ledger: 100,000 secrets and 1,000,000 events on SQLite, from loading
//! the timelines to the sliced report.

use criterion::{Criterion, criterion_group, criterion_main};

use keytrail::ledger::{Ledger, LedgerOptions, Location};
use keytrail::metrics::{Slice, report};

const SECRETS: i64 = 100_000;
const EVENTS_PER_SECRET: i64 = 10;
const DAY: i64 = 86_400;

/// Writes the ledger straight into SQLite (after the schema is made by opening it once).
fn build(dir: &std::path::Path) -> LedgerOptions {
    let key = dir.join("k");
    std::fs::write(&key, "b".repeat(40)).expect("key");
    let opts = LedgerOptions {
        location: Location::Sqlite(dir.join("big.db")),
        key_file: Some(key),
        sealing_key_file: None,
        now: Some(400 * DAY),
    };
    drop(Ledger::open(&opts).expect("open"));
    let mut c = rusqlite::Connection::open(dir.join("big.db")).expect("sqlite");
    let tx = c.transaction().expect("tx");
    {
        let mut s = tx.prepare("INSERT INTO secrets (id, fingerprint, rule_id, rule_name, redacted, first_seen, status, in_code, updated_at) VALUES (?1, ?2, ?3, 'r', 'x', ?4, ?5, 1, 0)").expect("prep");
        let mut f = tx.prepare("INSERT INTO findings (secret_id, repository, path, line, col, rule_id, first_seen, last_seen, first_scan, last_scan, present, owners) VALUES (?1, ?2, 'p', 1, 1, 'r', 0, 0, 1, 1, 1, ?3)").expect("prep");
        let mut e = tx.prepare("INSERT INTO events (secret_id, kind, at, actor, detail) VALUES (?1, ?2, ?3, 't', ?4)").expect("prep");
        for id in 1..=SECRETS {
            let rule =
                ["github.pat.classic", "aws.access-key-id", "slack.bot-token"][(id % 3) as usize];
            let t0 = (id % 300) * DAY;
            let closed = id % 4 != 0;
            s.execute(rusqlite::params![
                id,
                format!("{id:064x}"),
                rule,
                t0,
                if closed { "revoked" } else { "notified" }
            ])
            .expect("secret");
            f.execute(rusqlite::params![
                id,
                format!("repo{}", id % 500),
                format!("\n@team{}\n", id % 40)
            ])
            .expect("finding");
            e.execute(rusqlite::params![id, "detected", t0, "{}"])
                .expect("event");
            e.execute(rusqlite::params![
                id,
                "notified",
                t0 + 3600,
                "{\"channel\":\"outbox\"}"
            ])
            .expect("event");
            for k in 0..EVENTS_PER_SECRET - 4 {
                e.execute(rusqlite::params![
                    id,
                    "checked",
                    t0 + (k + 1) * DAY / 2,
                    "{\"result\":\"active\"}"
                ])
                .expect("event");
            }
            e.execute(rusqlite::params![
                id,
                "checked",
                t0 + 5 * DAY,
                if closed {
                    "{\"result\":\"inactive\"}"
                } else {
                    "{\"result\":\"unknown\"}"
                }
            ])
            .expect("event");
            e.execute(rusqlite::params![
                id,
                if closed { "resolved" } else { "checked" },
                t0 + 5 * DAY,
                if closed {
                    "{\"resolution\":\"revoked\"}"
                } else {
                    "{\"result\":\"error\"}"
                }
            ])
            .expect("event");
        }
    }
    tx.commit().expect("commit");
    opts
}

fn metrics(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = build(dir.path());
    let mut g = c.benchmark_group("metrics");
    g.sample_size(10);
    g.bench_function("100k secrets, 1M events, by owner", |b| {
        b.iter(|| {
            let mut ledger = Ledger::open(&opts).expect("open");
            let timelines = ledger.timelines().expect("timelines");
            report(&timelines, ledger.now(), &[1, 5, 30], Slice::Owner)
        })
    });
    g.finish();
}

criterion_group!(benches, metrics);
criterion_main!(benches);
