//! `keytrail metrics`: time-to-revoke and lifecycle figures from the ledger.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;

use super::ledger::LedgerArgs;
use super::{EXIT_CLEAN, GlobalArgs};
use crate::metrics::html::{metrics_page, open_secrets_page};
use crate::metrics::{Slice, report, write_openmetrics, write_table};

/// Output formats of `keytrail metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MetricsFormat {
    /// Aligned text.
    Table,
    /// JSON.
    Json,
    /// OpenMetrics / Prometheus text (node_exporter textfile collector).
    Openmetrics,
    /// One self-contained HTML page with charts.
    Html,
}

/// Arguments of `keytrail metrics`.
#[derive(Debug, Args)]
pub struct MetricsArgs {
    #[command(flatten)]
    ledger: LedgerArgs,
    /// Slice the figures by this.
    #[arg(long, value_enum, default_value_t = Slice::Owner)]
    by: Slice,
    /// Survival horizons in days.
    #[arg(long, value_delimiter = ',', default_value = "1,5,30")]
    days: Vec<i64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = MetricsFormat::Table)]
    format: MetricsFormat,
    /// Write to FILE (atomically: a temporary file renamed into place).
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// Runs `keytrail metrics`.
pub fn run(a: MetricsArgs, global: &GlobalArgs) -> Result<u8> {
    let mut ledger = a.ledger.open(global)?;
    let now = ledger.now();
    let timelines = ledger.timelines()?;
    let by = match a.format {
        // Per-provider gauges keep label cardinality bounded.
        MetricsFormat::Openmetrics => Slice::Provider,
        _ => a.by,
    };
    let r = report(&timelines, now, &a.days, by);
    let mut text = Vec::new();
    match a.format {
        MetricsFormat::Table => write_table(&mut text, &r)?,
        MetricsFormat::Json => serde_json::to_writer_pretty(
            &mut text,
            &serde_json::json!({"version": 1, "type": "metrics", "metrics": r}),
        )?,
        MetricsFormat::Openmetrics => text.extend_from_slice(write_openmetrics(&r).as_bytes()),
        MetricsFormat::Html => text.extend_from_slice(metrics_page(&r, &timelines).as_bytes()),
    }
    emit(a.output.as_deref(), &text)
}

/// Arguments of `keytrail report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    ledger: LedgerArgs,
    /// Write the HTML page to FILE (atomically).
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// Runs `keytrail report`: the unresolved secrets grouped by owner, as HTML.
pub fn run_report(a: ReportArgs, global: &GlobalArgs) -> Result<u8> {
    let mut ledger = a.ledger.open(global)?;
    let rows = ledger.list(&crate::ledger::Filter::default())?;
    let html = open_secrets_page(&rows, ledger.now());
    emit(a.output.as_deref(), html.as_bytes())
}

fn emit(output: Option<&Path>, bytes: &[u8]) -> Result<u8> {
    match output {
        Some(path) => write_atomically(path, bytes)?,
        None => std::io::stdout().lock().write_all(bytes)?,
    }
    Ok(EXIT_CLEAN)
}

/// Writes a file so that readers see the old or the new contents, never a part.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp-keytrail");
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot replace {}", path.display()))
}
