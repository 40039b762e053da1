//! Time-to-revoke and the other lifecycle figures, computed from the ledger's event logs.
//!
//! The input is one [`Timeline`] per secret; everything here is a pure function of timelines and
//! "now", so each figure is tested on hand-built logs. Definitions, chosen to be honest about
//! what the checks can know:
//! - **Time-to-revoke** is measured from the first `notified` event of a secret's first episode
//!   (later reopenings are not counted again). The death is bounded: the upper bound is the first
//!   `checked inactive` after notification (or, failing that, a `resolved revoked` by a person);
//!   the lower bound is the last `checked active` before it, or the notification itself. `unknown`
//!   and `error` checks are never evidence of death.
//! - **Survival at N days**: of the secrets notified at least N days ago, how many were known
//!   dead by day N (an upper bound at or before N), known alive at day N (an active check at or
//!   after day N and no death before), or unknown. Secrets notified less than N days ago are
//!   *censored*: counted apart, never as revoked.
//! - **Time-to-detect**: from the introducing commit to the first sighting (history findings).
//!   **Time-to-notify**: from the first sighting to the first notification.

pub mod html;
mod openmetrics;
mod table;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::ledger::model::{Event, EventKind, Resolution, Status};

pub use openmetrics::write_openmetrics;
pub use table::write_table;

/// A day in seconds.
pub const DAY: i64 = 86_400;

/// One secret's facts for metrics.
#[derive(Debug, Clone)]
pub struct Timeline {
    /// Rule id (its first segment is the provider).
    pub rule_id: String,
    /// Current status.
    pub status: Status,
    /// Whether some scanned code still holds it.
    pub in_code: bool,
    /// First sighting.
    pub first_seen: i64,
    /// Earliest introducing commit time over its findings (history scans).
    pub committed_at: Option<i64>,
    /// Owners over its findings.
    pub owners: Vec<String>,
    /// Services over its findings.
    pub services: Vec<String>,
    /// Repositories over its findings.
    pub repositories: Vec<String>,
    /// Its events, oldest first.
    pub events: Vec<Event>,
}

/// Bounds on how long a secret stayed valid after notification, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RevokeBound {
    /// It was still valid at least this long after notification.
    pub lower: i64,
    /// It was dead at most this long after notification.
    pub upper: i64,
}

/// What is known about a secret N days after its notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Survival {
    /// Notified less than N days ago.
    Censored,
    /// Known dead by day N.
    Dead,
    /// Known alive at day N.
    Alive,
    /// No check says.
    Unknown,
}

impl Timeline {
    /// Provider: the rule id's first segment.
    pub fn provider(&self) -> &str {
        self.rule_id.split('.').next().unwrap_or_default()
    }

    /// First notification.
    pub fn notified_at(&self) -> Option<i64> {
        self.first(|e| e.kind == EventKind::Notified)
    }

    fn first(&self, pred: impl Fn(&Event) -> bool) -> Option<i64> {
        self.events.iter().find(|e| pred(e)).map(|e| e.at)
    }

    /// When the first episode's death was established: the first inactive check after
    /// notification, else a `resolved revoked`.
    fn death(&self, notified: i64) -> Option<i64> {
        let inactive = self
            .events
            .iter()
            .find(|e| e.at >= notified && is_check(e, "inactive"))
            .map(|e| e.at);
        inactive.or_else(|| {
            self.first(|e| {
                e.at >= notified
                    && e.kind == EventKind::Resolved
                    && e.detail_str("resolution") == Some(Resolution::Revoked.as_str())
            })
        })
    }

    /// Time-to-revoke bounds, for a notified secret that died.
    pub fn revoke_bound(&self) -> Option<RevokeBound> {
        let notified = self.notified_at()?;
        let dead = self.death(notified)?;
        let last_alive = self
            .events
            .iter()
            .filter(|e| e.at >= notified && e.at <= dead && is_check(e, "active"))
            .map(|e| e.at)
            .max()
            .unwrap_or(notified);
        Some(RevokeBound {
            lower: last_alive - notified,
            upper: dead - notified,
        })
    }

    /// What is known `days` days after notification, as of `now`.
    pub fn survival(&self, days: i64, now: i64) -> Option<Survival> {
        let notified = self.notified_at()?;
        let horizon = notified + days * DAY;
        if horizon > now {
            return Some(Survival::Censored);
        }
        if self.death(notified).is_some_and(|d| d <= horizon) {
            return Some(Survival::Dead);
        }
        let alive_later = self
            .events
            .iter()
            .any(|e| e.at >= horizon && is_check(e, "active"));
        Some(if alive_later {
            Survival::Alive
        } else {
            Survival::Unknown
        })
    }

    /// Seconds from the introducing commit to the first sighting.
    pub fn time_to_detect(&self) -> Option<i64> {
        self.committed_at.map(|c| (self.first_seen - c).max(0))
    }

    /// Seconds from the first sighting to the first notification.
    pub fn time_to_notify(&self) -> Option<i64> {
        self.notified_at().map(|n| (n - self.first_seen).max(0))
    }

    /// Whether a check found it alive and nothing later found it dead.
    pub fn is_active(&self) -> bool {
        let last = self
            .events
            .iter()
            .rev()
            .find(|e| is_check(e, "active") || is_check(e, "inactive"));
        last.is_some_and(|e| is_check(e, "active")) && !self.status.is_closed()
    }
}

fn is_check(e: &Event, result: &str) -> bool {
    e.kind == EventKind::Checked && e.detail_str("result") == Some(result)
}

/// Nearest-rank quantile of sorted values.
pub fn quantile(sorted: &[i64], q: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

/// Survival counts at one horizon.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SurvivalCounts {
    /// Horizon in days.
    pub days: i64,
    /// Known alive at the horizon.
    pub alive: u64,
    /// Known dead by the horizon.
    pub dead: u64,
    /// Not known.
    pub unknown: u64,
    /// Notified less than `days` ago.
    pub censored: u64,
}

impl SurvivalCounts {
    /// Share of the uncensored secrets not known dead at the horizon (alive or unknown), the
    /// figure the "still valid after N days" survey question asks for; `None` when all are
    /// censored.
    pub fn still_valid_share(&self) -> Option<f64> {
        let n = self.alive + self.dead + self.unknown;
        (n > 0).then(|| (self.alive + self.unknown) as f64 / n as f64)
    }
}

/// The figures for one slice of secrets.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Figures {
    /// Secrets in the slice.
    pub secrets: u64,
    /// Unresolved secrets.
    pub open: u64,
    /// Secrets whose last conclusive check found them alive.
    pub active: u64,
    /// Notified secrets.
    pub notified: u64,
    /// Notified secrets whose death was established.
    pub revoked_after_notice: u64,
    /// Median and p90 of the time-to-revoke upper bounds, and of the lower bounds (seconds).
    pub ttr_upper_median: Option<i64>,
    /// p90 of the upper bounds.
    pub ttr_upper_p90: Option<i64>,
    /// Median of the lower bounds.
    pub ttr_lower_median: Option<i64>,
    /// p90 of the lower bounds.
    pub ttr_lower_p90: Option<i64>,
    /// Every upper bound, sorted (for histograms).
    #[serde(skip)]
    pub ttr_upper: Vec<i64>,
    /// Survival at each horizon.
    pub survival: Vec<SurvivalCounts>,
    /// Median time-to-detect (seconds).
    pub detect_median: Option<i64>,
    /// Median time-to-notify (seconds).
    pub notify_median: Option<i64>,
    /// Open secrets by age: <1d, 1-7d, 7-30d, 30-90d, >=90d.
    pub open_by_age: [u64; 5],
    /// Secrets no longer in code but never revoked.
    pub removed_not_revoked: u64,
    /// Secrets without an owner.
    pub unowned: u64,
}

/// Upper edges of the open-by-age buckets, in days.
pub const AGE_BUCKETS: [i64; 4] = [1, 7, 30, 90];

/// Computes the figures over `secrets` at `now` for the survival horizons `days`.
pub fn figures<'a>(
    secrets: impl IntoIterator<Item = &'a Timeline>,
    now: i64,
    days: &[i64],
) -> Figures {
    let mut f = Figures {
        survival: days
            .iter()
            .map(|&d| SurvivalCounts {
                days: d,
                ..Default::default()
            })
            .collect(),
        ..Figures::default()
    };
    let (mut lower, mut detect, mut notify) = (Vec::new(), Vec::new(), Vec::new());
    for t in secrets {
        f.secrets += 1;
        let closed = t.status.is_closed();
        if !closed {
            f.open += 1;
            let age = (now - t.first_seen) / DAY;
            let bucket = AGE_BUCKETS
                .iter()
                .position(|&b| age < b)
                .unwrap_or(AGE_BUCKETS.len());
            f.open_by_age[bucket] += 1;
        }
        f.active += u64::from(t.is_active());
        f.unowned += u64::from(t.owners.is_empty());
        f.removed_not_revoked +=
            u64::from(!t.in_code && t.status != Status::Closed(Resolution::Revoked));
        if t.notified_at().is_some() {
            f.notified += 1;
        }
        if let Some(b) = t.revoke_bound() {
            f.revoked_after_notice += 1;
            f.ttr_upper.push(b.upper);
            lower.push(b.lower);
        }
        for s in f.survival.iter_mut() {
            match t.survival(s.days, now) {
                Some(Survival::Censored) => s.censored += 1,
                Some(Survival::Dead) => s.dead += 1,
                Some(Survival::Alive) => s.alive += 1,
                Some(Survival::Unknown) => s.unknown += 1,
                None => {}
            }
        }
        detect.extend(t.time_to_detect());
        notify.extend(t.time_to_notify());
    }
    for v in [&mut f.ttr_upper, &mut lower, &mut detect, &mut notify] {
        v.sort_unstable();
    }
    f.ttr_upper_median = quantile(&f.ttr_upper, 0.5);
    f.ttr_upper_p90 = quantile(&f.ttr_upper, 0.9);
    f.ttr_lower_median = quantile(&lower, 0.5);
    f.ttr_lower_p90 = quantile(&lower, 0.9);
    f.detect_median = quantile(&detect, 0.5);
    f.notify_median = quantile(&notify, 0.5);
    f
}

/// What to slice by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Slice {
    /// Each owner (a secret with two owners counts for both).
    Owner,
    /// Each service.
    Service,
    /// Each rule.
    Rule,
    /// Each provider (first segment of the rule id).
    Provider,
    /// Each repository.
    Repository,
}

/// The keys a secret falls under for a slice (`(none)` when it has none).
pub fn keys_of(t: &Timeline, by: Slice) -> Vec<String> {
    let keys = match by {
        Slice::Owner => t.owners.clone(),
        Slice::Service => t.services.clone(),
        Slice::Rule => vec![t.rule_id.clone()],
        Slice::Provider => vec![t.provider().to_string()],
        Slice::Repository => t.repositories.clone(),
    };
    if keys.is_empty() {
        vec!["(none)".into()]
    } else {
        keys
    }
}

/// Figures overall and per slice key.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// "Now", seconds since the epoch.
    pub now: i64,
    /// The slicing.
    pub by: Slice,
    /// All secrets.
    pub total: Figures,
    /// Per key, sorted by key.
    pub slices: BTreeMap<String, Figures>,
}

/// Computes the report.
pub fn report(timelines: &[Timeline], now: i64, days: &[i64], by: Slice) -> Report {
    let mut groups: BTreeMap<String, Vec<&Timeline>> = BTreeMap::new();
    for t in timelines {
        for k in keys_of(t, by) {
            groups.entry(k).or_default().push(t);
        }
    }
    Report {
        now,
        by,
        total: figures(timelines, now, days),
        slices: groups
            .into_iter()
            .map(|(k, ts)| (k, figures(ts, now, days)))
            .collect(),
    }
}

#[cfg(test)]
mod tests;
