//! OpenMetrics / Prometheus text for the node_exporter textfile collector.
//!
//! Gauges and one histogram, prefixed `keytrail_`, with units in the names. The only labels are
//! the provider and the survival horizon, both of bounded cardinality: never a secret, a
//! fingerprint, a path or an owner.

use std::fmt::Write as _;

use super::{DAY, Report, Slice};

/// Histogram bucket bounds for time-to-revoke, in seconds (1 h, 1 d, 5 d, 7 d, 30 d).
pub const TTR_BUCKETS: [i64; 5] = [3600, DAY, 5 * DAY, 7 * DAY, 30 * DAY];

/// Renders the report (its slices must be by provider for the per-provider gauges).
pub fn write_openmetrics(r: &Report) -> String {
    let mut o = String::new();
    let t = &r.total;
    gauge(
        &mut o,
        "keytrail_secrets",
        "Secrets the ledger tracks.",
        &[("", t.secrets as f64)],
    );
    let per_provider = |pick: fn(&super::Figures) -> u64| -> Vec<(String, f64)> {
        if r.by != Slice::Provider {
            return Vec::new();
        }
        r.slices
            .iter()
            .map(|(k, f)| (format!("provider=\"{}\"", escape(k)), pick(f) as f64))
            .collect()
    };
    let with_total = |total: u64, per: Vec<(String, f64)>| -> Vec<(String, f64)> {
        if per.is_empty() {
            vec![(String::new(), total as f64)]
        } else {
            per
        }
    };
    let open = with_total(t.open, per_provider(|f| f.open));
    gauge_owned(
        &mut o,
        "keytrail_secrets_open",
        "Unresolved secrets.",
        &open,
    );
    let active = with_total(t.active, per_provider(|f| f.active));
    gauge_owned(
        &mut o,
        "keytrail_secrets_active",
        "Secrets whose last conclusive check found them valid.",
        &active,
    );
    gauge(
        &mut o,
        "keytrail_secrets_unowned",
        "Secrets with no owner.",
        &[("", t.unowned as f64)],
    );
    gauge(
        &mut o,
        "keytrail_secrets_removed_not_revoked",
        "Secrets gone from code but never revoked.",
        &[("", t.removed_not_revoked as f64)],
    );
    let survival: Vec<(String, f64)> = t
        .survival
        .iter()
        .filter_map(|s| Some((format!("days=\"{}\"", s.days), s.still_valid_share()?)))
        .collect();
    gauge_owned(
        &mut o,
        "keytrail_notified_still_valid_ratio",
        "Share of notified secrets not known dead N days after notification (censored excluded).",
        &survival,
    );
    let censored: Vec<(String, f64)> = t
        .survival
        .iter()
        .map(|s| (format!("days=\"{}\"", s.days), s.censored as f64))
        .collect();
    gauge_owned(
        &mut o,
        "keytrail_notified_censored",
        "Notified secrets too recent for the horizon.",
        &censored,
    );
    histogram(&mut o, &t.ttr_upper);
    o.push_str("# EOF\n");
    o
}

fn gauge(o: &mut String, name: &str, help: &str, samples: &[(&str, f64)]) {
    let owned: Vec<(String, f64)> = samples.iter().map(|(l, v)| (l.to_string(), *v)).collect();
    gauge_owned(o, name, help, &owned);
}

fn gauge_owned(o: &mut String, name: &str, help: &str, samples: &[(String, f64)]) {
    let _ = writeln!(o, "# TYPE {name} gauge\n# HELP {name} {help}");
    for (labels, v) in samples {
        let labels = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(o, "{name}{labels} {v}");
    }
}

fn histogram(o: &mut String, upper_bounds: &[i64]) {
    let name = "keytrail_time_to_revoke_seconds";
    let _ = writeln!(
        o,
        "# TYPE {name} histogram\n# HELP {name} Time from notification to the first check that found the secret dead (upper bound)."
    );
    for b in TTR_BUCKETS {
        let n = upper_bounds.iter().filter(|&&v| v <= b).count();
        let _ = writeln!(o, "{name}_bucket{{le=\"{b}\"}} {n}");
    }
    let _ = writeln!(o, "{name}_bucket{{le=\"+Inf\"}} {}", upper_bounds.len());
    let _ = writeln!(o, "{name}_sum {}", upper_bounds.iter().sum::<i64>());
    let _ = writeln!(o, "{name}_count {}", upper_bounds.len());
}

/// Escapes a label value.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
