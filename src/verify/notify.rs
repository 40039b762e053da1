//! Telling owners about their leaked secrets: the message, and its delivery to a Slack-compatible
//! webhook, a generic JSON webhook, or a file outbox (one JSON file per notification, for an
//! email pipeline to pick up). Messages name the rule, place, commit and owner and say what to
//! do; they carry the secret only in its redacted form. Webhook deliveries are retried with
//! exponential backoff; an outbox file is written under a temporary name and renamed.

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use super::net::{Client, Outgoing};
use super::spec::host_of;

/// What an owner is told about one secret.
#[derive(Debug, Clone, Serialize)]
pub struct Notice {
    /// Ledger fingerprint (keyed: it does not reveal the secret).
    pub fingerprint: String,
    /// Rule id.
    pub rule_id: String,
    /// Redacted form of the secret.
    pub redacted: String,
    /// Owners told.
    pub owners: Vec<String>,
    /// Places: `repository path:line` (and commit, author where known).
    pub places: Vec<String>,
    /// What the owner should do.
    pub action: String,
    /// Email addresses from the owners map (for an outbox's mail pipeline).
    pub to: Vec<String>,
    /// Slack channels from the owners map.
    pub slack_channels: Vec<String>,
}

impl Notice {
    /// The human text of the notice (Slack `text`, email body).
    pub fn text(&self) -> String {
        let owners = if self.owners.is_empty() {
            "(unowned)".to_string()
        } else {
            self.owners.join(", ")
        };
        let mut t = format!(
            "*Leaked credential* ({}) `{}` owned by {owners}\n",
            self.rule_id, self.redacted
        );
        for p in self.places.iter().take(10) {
            t.push_str(&format!("• {p}\n"));
        }
        if self.places.len() > 10 {
            t.push_str(&format!("• … and {} more places\n", self.places.len() - 10));
        }
        t.push_str(&self.action);
        t.push_str(&format!(
            "\nkeytrail secret {}",
            &self.fingerprint[..self.fingerprint.len().min(16)]
        ));
        t
    }
}

/// Where notices go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Channel {
    /// A Slack-compatible incoming webhook (`{"text": ...}`).
    Slack(String),
    /// A generic JSON webhook (the notice as JSON).
    Webhook(String),
    /// A directory of JSON files.
    Outbox(PathBuf),
}

impl Channel {
    /// The channel's kind, as recorded in the ledger.
    pub fn kind(&self) -> &'static str {
        match self {
            Channel::Slack(_) => "slack",
            Channel::Webhook(_) => "webhook",
            Channel::Outbox(_) => "outbox",
        }
    }

    /// A description safe to record and print: the host of a webhook (its path is a secret of
    /// its own), the directory of an outbox.
    pub fn target(&self) -> String {
        match self {
            Channel::Slack(url) | Channel::Webhook(url) => host_of(url).unwrap_or_default(),
            Channel::Outbox(dir) => dir.display().to_string(),
        }
    }
}

/// Retry policy for webhook deliveries.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    /// Attempts in all.
    pub attempts: u32,
    /// Delay before the second attempt; doubled for each later one.
    pub base_delay: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            attempts: 4,
            base_delay: Duration::from_secs(1),
        }
    }
}

/// Delivers one notice; `Err` says why the last attempt failed.
pub fn deliver(
    client: &Client,
    channel: &Channel,
    notice: &Notice,
    retry: Retry,
) -> Result<(), String> {
    match channel {
        Channel::Outbox(dir) => write_outbox(dir, notice),
        Channel::Slack(url) => post(
            client,
            url,
            &serde_json::json!({"text": notice.text()}),
            retry,
        ),
        Channel::Webhook(url) => {
            let body =
                serde_json::json!({"type": "keytrail.notice", "version": 1, "notice": notice});
            post(client, url, &body, retry)
        }
    }
}

fn post(client: &Client, url: &str, body: &serde_json::Value, retry: Retry) -> Result<(), String> {
    let host = host_of(url).ok_or("the webhook URL has no host")?;
    let req = Outgoing {
        method: "POST".into(),
        url: url.to_string(),
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: Some(body.to_string()),
    };
    let mut delay = retry.base_delay;
    let mut last = String::new();
    for attempt in 1..=retry.attempts.max(1) {
        match client.send(&req, std::slice::from_ref(&host)) {
            Ok(a) if (200..300).contains(&a.status) => return Ok(()),
            Ok(a) if a.status == 429 || a.status >= 500 => last = format!("HTTP {}", a.status),
            Ok(a) => return Err(format!("{host} refused the notice (HTTP {})", a.status)),
            Err(e) => last = e,
        }
        if attempt < retry.attempts {
            std::thread::sleep(delay);
            delay *= 2;
        }
    }
    Err(format!(
        "{host}: {last} after {} attempts",
        retry.attempts.max(1)
    ))
}

fn write_outbox(dir: &std::path::Path, notice: &Notice) -> Result<(), String> {
    let fail = |e: std::io::Error| format!("outbox {}: {e}", dir.display());
    std::fs::create_dir_all(dir).map_err(fail)?;
    let stamp = jiff::Timestamp::now().as_millisecond();
    let name = format!(
        "{stamp}-{}.json",
        &notice.fingerprint[..notice.fingerprint.len().min(16)]
    );
    let tmp = dir.join(format!(".{name}.tmp"));
    let body = serde_json::json!({"type": "keytrail.notice", "version": 1, "subject": format!("Leaked credential: {}", notice.rule_id), "text": notice.text(), "notice": notice});
    std::fs::write(&tmp, body.to_string()).map_err(fail)?;
    std::fs::rename(&tmp, dir.join(name)).map_err(fail)
}
