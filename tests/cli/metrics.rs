//! `keytrail metrics` and `keytrail report` as HTML, rendered in headless Chromium.

use std::path::Path;
use std::process::Command as Process;

use keytrail::ledger::model::{EventKind, Resolution};
use keytrail::ledger::{Ledger, LedgerOptions, Location};
use serde_json::json;

use crate::common::{keytrail, seeded_token};

const DAY: i64 = 86_400;
const T0: i64 = 1_772_323_200; // 2026-03-01T00:00:00Z

fn at(dir: &Path, now: i64) -> Ledger {
    Ledger::open(&LedgerOptions {
        location: Location::Sqlite(dir.join("ledger.db")),
        key_file: Some(dir.join("fp.key")),
        sealing_key_file: None,
        now: Some(now),
    })
    .unwrap()
}

/// A ledger with 12 notified secrets of two teams; 9 die over the following days.
fn lifecycle_ledger(dir: &Path) {
    std::fs::write(dir.join("fp.key"), "m".repeat(40)).unwrap();
    let tree = dir.join("mono");
    std::fs::create_dir_all(tree.join("pay")).unwrap();
    std::fs::create_dir_all(tree.join("web")).unwrap();
    std::fs::write(
        tree.join("CODEOWNERS"),
        "* @acme/web\n/pay/ @acme/payments\n",
    )
    .unwrap();
    let tokens: Vec<String> = (0..12)
        .map(|i| seeded_token(&format!("html-{i}")))
        .collect();
    for (i, t) in tokens.iter().enumerate() {
        let sub = if i % 2 == 0 { "pay" } else { "web" };
        std::fs::write(tree.join(sub).join(format!("s{i}.env")), format!("T={t}\n")).unwrap();
    }
    keytrail()
        .env("KEYTRAIL_LEDGER", dir.join("ledger.db"))
        .env("KEYTRAIL_LEDGER_KEY_FILE", dir.join("fp.key"))
        .args(["--now", "2026-03-01", "scan", "-q"])
        .arg(&tree)
        .assert()
        .code(1);
    for (i, t) in tokens.iter().enumerate() {
        let fp = at(dir, T0).fingerprint(t.as_bytes());
        let i = i as i64;
        at(dir, T0 + 3600)
            .append_event(
                &fp,
                EventKind::Notified,
                "test",
                json!({"channel": "outbox"}),
            )
            .unwrap();
        at(dir, T0 + DAY / 2)
            .append_event(&fp, EventKind::Checked, "test", json!({"result": "active"}))
            .unwrap();
        if i < 9 {
            let dead = T0 + (i + 1) * DAY * (1 + i % 3);
            at(dir, dead)
                .append_event(
                    &fp,
                    EventKind::Checked,
                    "test",
                    json!({"result": "inactive"}),
                )
                .unwrap();
            at(dir, dead)
                .resolve(&fp, Resolution::Revoked, None, "test")
                .unwrap();
        }
    }
}

/// Screenshots `html` in headless Chromium; returns the decoded RGBA pixels.
fn screenshot(html: &Path) -> Vec<u8> {
    let shot = html.with_extension("png");
    let browser = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            Process::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .expect("Chromium not found: install Debian's `chromium` package (.ci/run does)");
    let status = Process::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=1280,1500",
        ])
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", html.display()))
        .output()
        .unwrap();
    assert!(
        shot.is_file(),
        "no screenshot: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&shot).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let step = info.color_type.samples();
    buf.truncate(info.buffer_size());
    buf.chunks(step).flat_map(|p| [p[0], p[1], p[2]]).collect()
}

fn pixels_near(rgb: &[u8], colour: (u8, u8, u8)) -> usize {
    rgb.chunks(3)
        .filter(|p| {
            p[0].abs_diff(colour.0) < 24
                && p[1].abs_diff(colour.1) < 24
                && p[2].abs_diff(colour.2) < 24
        })
        .count()
}

#[test]
fn metrics_html_draws_its_charts_in_headless_chromium() {
    let dir = tempfile::tempdir().unwrap();
    lifecycle_ledger(dir.path());
    let html = dir.path().join("metrics.html");
    keytrail()
        .env("KEYTRAIL_LEDGER", dir.path().join("ledger.db"))
        .env("KEYTRAIL_LEDGER_KEY_FILE", dir.path().join("fp.key"))
        .args([
            "--now",
            "2026-04-15",
            "metrics",
            "--format",
            "html",
            "--by",
            "owner",
            "-o",
        ])
        .arg(&html)
        .assert()
        .success();
    let text = std::fs::read_to_string(&html).unwrap();
    assert!(text.contains("@acme/payments") && text.contains("@acme/web"));
    assert!(
        !text.contains("src=") && !text.contains("href="),
        "no external resources"
    );
    if let Ok(keep) = std::env::var("KEYTRAIL_KEEP_SCREENSHOT") {
        std::fs::copy(&html, Path::new(&keep).with_extension("html")).unwrap();
    }
    let rgb = screenshot(&html);
    if let Ok(keep) = std::env::var("KEYTRAIL_KEEP_SCREENSHOT") {
        std::fs::copy(html.with_extension("png"), &keep).unwrap();
    }
    assert!(
        pixels_near(&rgb, (0xd6, 0x33, 0x6c)) > 300,
        "the survival curve is drawn"
    );
    assert!(
        pixels_near(&rgb, (0x2f, 0x6f, 0xdf)) > 2000,
        "the time-to-revoke bars are drawn"
    );
}

#[test]
fn report_lists_open_secrets_by_owner() {
    let dir = tempfile::tempdir().unwrap();
    lifecycle_ledger(dir.path());
    let out = keytrail()
        .env("KEYTRAIL_LEDGER", dir.path().join("ledger.db"))
        .env("KEYTRAIL_LEDGER_KEY_FILE", dir.path().join("fp.key"))
        .args(["--now", "2026-04-15", "report"])
        .output()
        .unwrap();
    let html = String::from_utf8(out.stdout).unwrap();
    assert!(html.contains("<b>3</b><span>unresolved secrets"), "{html}");
    assert!(html.contains("@acme/payments") || html.contains("@acme/web"));
    assert!(!html.contains(&seeded_token("html-11")[4..]));
}
