//! The metrics, and the open secrets by owner, as one self-contained HTML page: inline CSS and
//! SVG, no scripts, no network requests. Every text from the ledger is HTML-escaped.

use std::fmt::Write as _;

use super::table::human_duration;
use super::{DAY, Report, Timeline};
use crate::ledger::SecretRow;

const STYLE: &str = "
body{font:15px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
header{background:#1d2330;color:#fff;padding:20px 32px}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;color:#b8c0cf}main{padding:24px 32px;max-width:1180px}
.cards{display:flex;gap:14px;flex-wrap:wrap;margin-bottom:22px}
.card{background:#fff;border-radius:10px;padding:14px 18px;min-width:150px;box-shadow:0 1px 3px #0001}
.card b{display:block;font-size:26px}.card span{color:#5b6475;font-size:13px}
section{background:#fff;border-radius:10px;padding:16px 20px;margin-bottom:20px;box-shadow:0 1px 3px #0001}
h2{font-size:17px;margin:0 0 10px}p.note{color:#5b6475;font-size:13px;margin:6px 0 0}
table{border-collapse:collapse;width:100%;font-size:14px}th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #e6e8ec}
th{color:#5b6475;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}
code{font-size:13px;background:#f0f2f5;padding:1px 4px;border-radius:4px}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:20px}
";

/// Colours of the charts (also what the rendering test looks for).
pub const CURVE_COLOUR: &str = "#d6336c";
/// Colour of the histogram bars.
pub const BAR_COLOUR: &str = "#2f6fdf";

/// The metrics page.
pub fn metrics_page(r: &Report, timelines: &[Timeline]) -> String {
    let t = &r.total;
    let mut body = String::new();
    let cards = [
        (t.secrets.to_string(), "secrets tracked"),
        (t.open.to_string(), "unresolved"),
        (t.active.to_string(), "still valid at last check"),
        (
            human_duration(t.ttr_upper_median),
            "median time to revoke (upper bound)",
        ),
        (human_duration(t.ttr_upper_p90), "p90 time to revoke"),
        (t.unowned.to_string(), "without an owner"),
    ];
    body.push_str("<div class=cards>");
    for (v, label) in cards {
        let _ = write!(
            body,
            "<div class=card><b>{}</b><span>{label}</span></div>",
            esc(&v)
        );
    }
    body.push_str("</div><div class=grid>");
    let _ = write!(
        body,
        "<section><h2>Still valid after notification</h2>{}<p class=note>Share of notified \
         secrets not known to be dead N days after their owner was told. Secrets told fewer than N \
         days ago are left out (censored), never counted as revoked.</p></section>",
        survival_svg(timelines, r.now)
    );
    let _ = write!(
        body,
        "<section><h2>Time to revoke</h2>{}<p class=note>Upper bounds: time from notification to \
         the first check that found the secret dead. The true moment lies after the last check \
         that found it alive.</p></section></div>",
        ttr_svg(&t.ttr_upper)
    );
    body.push_str(&slices_table(r));
    page(
        "keytrail: time to revoke",
        &format!("{} secrets, as of {}", t.secrets, date(r.now)),
        &body,
    )
}

/// The open-secrets page, grouped by owner.
pub fn open_secrets_page(rows: &[SecretRow], now: i64) -> String {
    let mut groups: std::collections::BTreeMap<String, Vec<&SecretRow>> = Default::default();
    for r in rows {
        let owners = if r.owners.is_empty() {
            vec!["(unowned)".to_string()]
        } else {
            r.owners.clone()
        };
        for o in owners {
            groups.entry(o).or_default().push(r);
        }
    }
    let mut body = format!(
        "<div class=cards><div class=card><b>{}</b><span>unresolved secrets</span></div><div class=card><b>{}</b><span>owners</span></div></div>",
        rows.len(),
        groups.len()
    );
    for (owner, list) in &groups {
        let _ = write!(
            body,
            "<section><h2>{} <span style=\"color:#5b6475;font-weight:400\">({})</span></h2><table><tr><th>rule</th><th>secret</th><th>status</th><th class=n>age</th><th>repositories</th></tr>",
            esc(owner),
            list.len()
        );
        for r in list {
            let _ = write!(
                body,
                "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}{}</td><td class=n>{}</td><td>{}</td></tr>",
                esc(&r.rule_id),
                esc(&r.redacted),
                esc(&r.status),
                if r.in_code { "" } else { " (gone from code)" },
                human_duration(Some(now - r.first_seen)),
                esc(&r.repositories.join(", "))
            );
        }
        body.push_str("</table></section>");
    }
    page(
        "keytrail: open secrets by owner",
        &format!("as of {}", date(now)),
        &body,
    )
}

fn page(title: &str, subtitle: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>{}</title><style>{STYLE}</style></head>\
         <body><header><h1>{}</h1><p>{}</p></header><main>{body}</main></body></html>\n",
        esc(title),
        esc(title),
        esc(subtitle)
    )
}

/// Survival curve, days 0..=30: share not known dead among secrets notified long enough ago.
fn survival_svg(timelines: &[Timeline], now: i64) -> String {
    let (w, h, pad) = (520.0, 240.0, 36.0);
    let mut points = Vec::new();
    for d in 0..=30 {
        let counts = super::figures(timelines, now, &[d]).survival[0];
        if let Some(share) = counts.still_valid_share() {
            points.push((d as f64, share));
        }
    }
    let x = |d: f64| pad + d / 30.0 * (w - 2.0 * pad);
    let y = |s: f64| h - pad - s * (h - 2.0 * pad);
    let mut path = String::new();
    for (i, (d, s)) in points.iter().enumerate() {
        if i == 0 {
            let _ = write!(path, "M{:.1},{:.1}", x(*d), y(*s));
        } else {
            let _ = write!(path, " H{:.1} V{:.1}", x(*d), y(*s));
        }
    }
    let mut svg = axes(w, h, pad, &["0d", "10d", "20d", "30d"], "100%");
    if points.is_empty() {
        svg.push_str(&no_data(w, h));
    } else {
        let _ = write!(
            svg,
            "<path d=\"{path}\" fill=\"none\" stroke=\"{CURVE_COLOUR}\" stroke-width=\"4\"/>"
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Histogram of time-to-revoke upper bounds.
fn ttr_svg(upper: &[i64]) -> String {
    let (w, h, pad) = (520.0, 240.0, 36.0);
    let edges = [3600, DAY, 5 * DAY, 7 * DAY, 30 * DAY, i64::MAX];
    let labels = ["≤1h", "≤1d", "≤5d", "≤7d", "≤30d", ">30d"];
    let mut counts = [0usize; 6];
    for v in upper {
        let i = edges.iter().position(|&e| *v <= e).unwrap_or(5);
        counts[i] += 1;
    }
    let max = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    let mut svg = axes(w, h, pad, &[], &format!("{}", max as usize));
    let slot = (w - 2.0 * pad) / 6.0;
    for (i, c) in counts.iter().enumerate() {
        let bh = *c as f64 / max * (h - 2.0 * pad);
        let bx = pad + i as f64 * slot + 6.0;
        let _ = write!(
            svg,
            "<rect x=\"{bx:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" fill=\"{BAR_COLOUR}\" rx=\"3\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"middle\" fill=\"#5b6475\">{}</text>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"middle\">{c}</text>",
            h - pad - bh,
            slot - 12.0,
            bx + (slot - 12.0) / 2.0,
            h - pad + 16.0,
            labels[i],
            bx + (slot - 12.0) / 2.0,
            h - pad - bh - 4.0
        );
    }
    if upper.is_empty() {
        svg.push_str(&no_data(w, h));
    }
    svg.push_str("</svg>");
    svg
}

fn axes(w: f64, h: f64, pad: f64, xlabels: &[&str], ytop: &str) -> String {
    let mut s = format!(
        "<svg viewBox=\"0 0 {w} {h}\" width=\"100%\" role=\"img\">\
         <line x1=\"{pad}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#c9ced6\"/>\
         <line x1=\"{pad}\" y1=\"{pad}\" x2=\"{pad}\" y2=\"{}\" stroke=\"#c9ced6\"/>\
         <text x=\"4\" y=\"{}\" font-size=\"12\" fill=\"#5b6475\">{}</text>\
         <text x=\"4\" y=\"{}\" font-size=\"12\" fill=\"#5b6475\">0</text>",
        h - pad,
        w - pad,
        h - pad,
        h - pad,
        pad + 4.0,
        esc(ytop),
        h - pad
    );
    for (i, l) in xlabels.iter().enumerate() {
        let x = pad + i as f64 / (xlabels.len().max(2) - 1) as f64 * (w - 2.0 * pad);
        let _ = write!(
            s,
            "<text x=\"{x:.1}\" y=\"{}\" font-size=\"12\" text-anchor=\"middle\" fill=\"#5b6475\">{l}</text>",
            h - pad + 16.0
        );
    }
    s
}

fn no_data(w: f64, h: f64) -> String {
    format!(
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#8a93a3\">no data yet</text>",
        w / 2.0,
        h / 2.0
    )
}

/// Per-slice table, slowest (largest median upper bound) first.
fn slices_table(r: &Report) -> String {
    let mut rows: Vec<(&String, &super::Figures)> = r.slices.iter().collect();
    rows.sort_by_key(|(_, f)| std::cmp::Reverse(f.ttr_upper_median.unwrap_or(-1)));
    let by = format!("{:?}", r.by).to_lowercase();
    let mut s = format!(
        "<section><h2>By {}, slowest first</h2><table><tr><th>{}</th><th class=n>secrets</th>\
         <th class=n>open</th><th class=n>&lt;1d</th><th class=n>1–7d</th><th class=n>7–30d</th>\
         <th class=n>30–90d</th><th class=n>≥90d</th><th class=n>median time to revoke</th><th class=n>p90</th></tr>",
        by, by
    );
    for (k, f) in rows {
        let _ = write!(
            s,
            "<tr><td>{}</td><td class=n>{}</td><td class=n>{}</td>",
            esc(k),
            f.secrets,
            f.open
        );
        for n in f.open_by_age {
            let _ = write!(s, "<td class=n>{n}</td>");
        }
        let _ = write!(
            s,
            "<td class=n>{}</td><td class=n>{}</td></tr>",
            human_duration(f.ttr_upper_median),
            human_duration(f.ttr_upper_p90)
        );
    }
    s.push_str("</table></section>");
    s
}

fn date(secs: i64) -> String {
    jiff::Timestamp::from_second(secs).map_or_else(
        |_| secs.to_string(),
        |t| t.strftime("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

/// Escapes text for HTML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_from_the_ledger_is_escaped() {
        assert_eq!(
            esc("<script>a&'\"</script>"),
            "&lt;script&gt;a&amp;&#39;&quot;&lt;/script&gt;"
        );
        let r = super::super::report(&[], 0, &[5], super::super::Slice::Owner);
        let html = metrics_page(&r, &[]);
        assert!(
            html.contains("no data yet") && !html.contains("http"),
            "self-contained"
        );
    }
}
