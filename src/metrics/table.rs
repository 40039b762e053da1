//! The metrics as an aligned text table.

use std::io::{self, Write};

use super::{Figures, Report};
use crate::report::sanitize::sanitize;

/// A duration in the largest unit that keeps it readable (`3.5d`, `6h`, `40m`).
pub fn human_duration(secs: Option<i64>) -> String {
    match secs {
        None => "—".into(),
        Some(s) if s >= 86_400 => format!("{:.1}d", s as f64 / 86_400.0),
        Some(s) if s >= 3600 => format!("{:.1}h", s as f64 / 3600.0),
        Some(s) => format!("{}m", s / 60),
    }
}

fn share(f: &Figures, i: usize) -> String {
    f.survival
        .get(i)
        .and_then(|s| s.still_valid_share())
        .map_or("—".into(), |v| format!("{:.0}%", v * 100.0))
}

/// Writes the report.
pub fn write_table(out: &mut dyn Write, r: &Report) -> io::Result<()> {
    let t = &r.total;
    writeln!(
        out,
        "secrets {}  open {}  still valid {}  notified {}  revoked after notice {}",
        t.secrets, t.open, t.active, t.notified, t.revoked_after_notice
    )?;
    writeln!(
        out,
        "time to revoke: median {} to {}, p90 {} to {}  (the true time lies between the last live and the first dead check)",
        human_duration(t.ttr_lower_median),
        human_duration(t.ttr_upper_median),
        human_duration(t.ttr_lower_p90),
        human_duration(t.ttr_upper_p90)
    )?;
    for s in &t.survival {
        writeln!(
            out,
            "still valid {} days after notice: {} of {} known ({} alive, {} unknown, {} dead; {} too recent to say)",
            s.days,
            s.alive + s.unknown,
            s.alive + s.unknown + s.dead,
            s.alive,
            s.unknown,
            s.dead,
            s.censored
        )?;
    }
    writeln!(
        out,
        "time to detect (median) {}  time to notify (median) {}",
        human_duration(t.detect_median),
        human_duration(t.notify_median)
    )?;
    writeln!(
        out,
        "open by age: <1d {}  1-7d {}  7-30d {}  30-90d {}  >=90d {}",
        t.open_by_age[0], t.open_by_age[1], t.open_by_age[2], t.open_by_age[3], t.open_by_age[4]
    )?;
    writeln!(
        out,
        "removed from code but never revoked {}  unowned {}\n",
        t.removed_not_revoked, t.unowned
    )?;
    let horizons: Vec<String> = t
        .survival
        .iter()
        .map(|s| format!("VALID@{}D", s.days))
        .collect();
    writeln!(
        out,
        "{:<32} {:>7} {:>6} {:>6} {:>14} {:>14} {}",
        format!("{:?}", r.by).to_uppercase(),
        "SECRETS",
        "OPEN",
        "VALID",
        "TTR MEDIAN",
        "TTR P90",
        horizons.join(" ")
    )?;
    for (k, f) in &r.slices {
        let shares: Vec<String> = (0..f.survival.len())
            .map(|i| format!("{:>9}", share(f, i)))
            .collect();
        writeln!(
            out,
            "{:<32} {:>7} {:>6} {:>6} {:>14} {:>14} {}",
            sanitize(k),
            f.secrets,
            f.open,
            f.active,
            human_duration(f.ttr_upper_median),
            human_duration(f.ttr_upper_p90),
            shares.join(" ")
        )?;
    }
    Ok(())
}
