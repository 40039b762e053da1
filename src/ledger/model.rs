//! What the ledger knows about a secret: its events, and the state derived from them.
//!
//! The event log is the record; the `status` and `in_code` columns of a secret are a cache of
//! [`SecretState::derive`] over its events, rewritten in the same transaction as every event, so
//! filters can use them without replaying logs. Nothing here touches storage.

use std::fmt;
use std::str::FromStr;

/// What happened to a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// First seen by a scan.
    Detected,
    /// Its owner was told (the channel is in the detail).
    Notified,
    /// A validity check ran (the result is in the detail).
    Checked,
    /// Closed by triage or revocation (the resolution is in the detail).
    Resolved,
    /// A closed secret was seen again in a new place.
    Reopened,
    /// No longer present in any scanned code (it may still be valid: this is not revocation).
    Removed,
    /// Present in code again after it had been removed.
    Reappeared,
    /// The provider's revocation API was called (the answer is in the detail).
    RevokeRequested,
}

impl EventKind {
    /// Every kind, in declaration order.
    pub const ALL: [EventKind; 8] = [
        EventKind::Detected,
        EventKind::Notified,
        EventKind::Checked,
        EventKind::Resolved,
        EventKind::Reopened,
        EventKind::Removed,
        EventKind::Reappeared,
        EventKind::RevokeRequested,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Detected => "detected",
            EventKind::Notified => "notified",
            EventKind::Checked => "checked",
            EventKind::Resolved => "resolved",
            EventKind::Reopened => "reopened",
            EventKind::Removed => "removed",
            EventKind::Reappeared => "reappeared",
            EventKind::RevokeRequested => "revoke_requested",
        }
    }
}

impl FromStr for EventKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        EventKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown event kind {s:?}"))
    }
}

/// How a secret was closed (GitHub's secret-scanning alert resolutions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum Resolution {
    /// The credential was revoked (or validated inactive).
    Revoked,
    /// Not a secret.
    FalsePositive,
    /// A credential used only in tests.
    UsedInTests,
    /// Accepted risk.
    WontFix,
}

impl Resolution {
    /// Every resolution.
    pub const ALL: [Resolution; 4] = [
        Resolution::Revoked,
        Resolution::FalsePositive,
        Resolution::UsedInTests,
        Resolution::WontFix,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Resolution::Revoked => "revoked",
            Resolution::FalsePositive => "false_positive",
            Resolution::UsedInTests => "used_in_tests",
            Resolution::WontFix => "wont_fix",
        }
    }
}

impl FromStr for Resolution {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Resolution::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown resolution {s:?}"))
    }
}

/// Where a secret stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Detected, owner not yet told.
    Open,
    /// Owner told, not yet closed.
    Notified,
    /// Closed, with how.
    Closed(Resolution),
    /// Closed once, then seen in a new place.
    Reopened,
}

impl Status {
    /// The stored name (`open`, `notified`, `reopened`, or the resolution).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Notified => "notified",
            Status::Reopened => "reopened",
            Status::Closed(r) => r.as_str(),
        }
    }

    /// Whether the secret is closed.
    pub fn is_closed(self) -> bool {
        matches!(self, Status::Closed(_))
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Status {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "open" => Ok(Status::Open),
            "notified" => Ok(Status::Notified),
            "reopened" => Ok(Status::Reopened),
            other => other
                .parse()
                .map(Status::Closed)
                .map_err(|_| format!("unknown status {s:?}")),
        }
    }
}

/// One entry of a secret's event log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// What happened.
    pub kind: EventKind,
    /// When, in seconds since the Unix epoch.
    pub at: i64,
    /// Who or what recorded it (`scan`, a user name).
    pub actor: String,
    /// Kind-specific facts, as a JSON object (resolution, comment, channel, check result, place).
    pub detail: serde_json::Value,
}

impl Event {
    /// An event by actor `t`, for tests.
    #[cfg(test)]
    pub(crate) fn test(kind: EventKind, at: i64, detail: serde_json::Value) -> Event {
        Event {
            kind,
            at,
            actor: "t".into(),
            detail,
        }
    }

    /// The detail field `key` as text, if present.
    pub fn detail_str(&self, key: &str) -> Option<&str> {
        self.detail.get(key).and_then(|v| v.as_str())
    }
}

/// The state of a secret, derived from its events in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretState {
    /// Current status.
    pub status: Status,
    /// Whether some scanned code still holds it.
    pub in_code: bool,
    /// When it was first detected.
    pub detected_at: Option<i64>,
    /// When its owner was first told.
    pub notified_at: Option<i64>,
    /// When it was last closed.
    pub closed_at: Option<i64>,
}

impl SecretState {
    /// Folds a secret's events (oldest first) into its current state.
    pub fn derive<'a>(events: impl IntoIterator<Item = &'a Event>) -> SecretState {
        let mut s = SecretState {
            status: Status::Open,
            in_code: true,
            detected_at: None,
            notified_at: None,
            closed_at: None,
        };
        for e in events {
            s.apply(e);
        }
        s
    }

    /// Applies one more event.
    pub fn apply(&mut self, e: &Event) {
        match e.kind {
            EventKind::Detected => {
                self.detected_at.get_or_insert(e.at);
            }
            EventKind::Notified => {
                self.notified_at.get_or_insert(e.at);
                if matches!(self.status, Status::Open | Status::Reopened) {
                    self.status = Status::Notified;
                }
            }
            EventKind::Checked | EventKind::RevokeRequested => {}
            EventKind::Resolved => {
                if let Some(r) = e.detail_str("resolution").and_then(|r| r.parse().ok()) {
                    self.status = Status::Closed(r);
                    self.closed_at = Some(e.at);
                }
            }
            EventKind::Reopened => self.status = Status::Reopened,
            EventKind::Removed => self.in_code = false,
            EventKind::Reappeared => self.in_code = true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(kind: EventKind, at: i64, detail: serde_json::Value) -> Event {
        Event::test(kind, at, detail)
    }

    #[test]
    fn state_follows_the_lifecycle() {
        let none = serde_json::json!({});
        let mut log = vec![ev(EventKind::Detected, 10, none.clone())];
        assert_eq!(SecretState::derive(&log).status, Status::Open);
        log.push(ev(EventKind::Notified, 20, none.clone()));
        assert_eq!(SecretState::derive(&log).status, Status::Notified);
        log.push(ev(
            EventKind::Resolved,
            30,
            serde_json::json!({"resolution": "false_positive"}),
        ));
        let s = SecretState::derive(&log);
        assert_eq!(s.status, Status::Closed(Resolution::FalsePositive));
        assert_eq!(
            (s.detected_at, s.notified_at, s.closed_at),
            (Some(10), Some(20), Some(30))
        );
        log.push(ev(EventKind::Removed, 35, none.clone()));
        assert!(!SecretState::derive(&log).in_code);
        log.push(ev(EventKind::Reopened, 40, none.clone()));
        log.push(ev(EventKind::Reappeared, 40, none));
        let s = SecretState::derive(&log);
        assert_eq!(s.status, Status::Reopened);
        assert!(s.in_code);
    }

    #[test]
    fn names_round_trip() {
        for k in EventKind::ALL {
            assert_eq!(k.as_str().parse::<EventKind>(), Ok(k));
        }
        for s in [
            Status::Open,
            Status::Notified,
            Status::Reopened,
            Status::Closed(Resolution::WontFix),
        ] {
            assert_eq!(s.as_str().parse::<Status>(), Ok(s));
        }
        assert!("bogus".parse::<Status>().is_err());
    }
}
