//! `keytrail ledger`: list, show, resolve and verify the secrets a ledger tracks; and the ledger
//! options shared with `keytrail scan`.

use std::io::{self, Write};
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};

use super::{EXIT_CLEAN, EXIT_ERROR, GlobalArgs};
use crate::ledger::model::Resolution;
use crate::ledger::{
    Filter, Ledger, LedgerOptions, Location, SecretDetail, SecretRow, StatusFilter,
};
use crate::report::sanitize::sanitize;

/// Where the ledger is and which keys open it.
#[derive(Debug, Clone, Args)]
pub struct LedgerArgs {
    /// The ledger: a SQLite file or a postgres:// URL (default: ledger.db in the user data
    /// directory). With `scan`, giving it records the findings.
    #[arg(
        long,
        env = "KEYTRAIL_LEDGER",
        hide_env_values = true,
        value_name = "PATH|URL",
        num_args = 0..=1,
        default_missing_value = ""
    )]
    pub ledger: Option<String>,
    /// File holding the fingerprint key (else KEYTRAIL_LEDGER_KEY, else `<ledger>.key` for a
    /// SQLite ledger).
    #[arg(long, env = "KEYTRAIL_LEDGER_KEY_FILE", value_name = "FILE")]
    pub ledger_key_file: Option<PathBuf>,
    /// File holding the key (64 hex digits) that seals secrets' plain text into the ledger
    /// (else KEYTRAIL_SEALING_KEY; without one, plain text is never stored).
    #[arg(long, env = "KEYTRAIL_SEALING_KEY_FILE", value_name = "FILE")]
    pub sealing_key_file: Option<PathBuf>,
}

impl LedgerArgs {
    /// Opens the ledger (the default one when `--ledger` was not given).
    pub fn open(&self, global: &GlobalArgs) -> Result<Ledger> {
        let location = Location::parse(self.ledger.as_deref().unwrap_or_default())?;
        let opts = LedgerOptions {
            location: location.clone(),
            key_file: self.ledger_key_file.clone(),
            sealing_key_file: self.sealing_key_file.clone(),
            now: global.now,
        };
        Ledger::open(&opts).with_context(|| format!("ledger {}", location.display()))
    }
}

/// `keytrail ledger` subcommands.
#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// List tracked secrets (unresolved ones unless --status says otherwise).
    List(ListArgs),
    /// Show one secret: its places and its event log.
    Show(ShowArgs),
    /// Close a secret as revoked, a false positive, used in tests, or won't fix.
    Resolve(ResolveArgs),
    /// Check that every secret's state agrees with its event log.
    Verify(VerifyArgs),
}

/// Output format of `ledger list` and `ledger show`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ListFormat {
    /// An aligned table.
    Table,
    /// JSON.
    Json,
}

/// Arguments of `keytrail ledger list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    ledger: LedgerArgs,
    /// Which statuses to list.
    #[arg(long, value_enum, default_value_t = StatusFilter::Unresolved)]
    status: StatusFilter,
    /// Only secrets with a finding owned by OWNER (`@org/team`, `@user`, an email).
    #[arg(long)]
    owner: Option<String>,
    /// Only secrets found by RULE (an id, or a prefix ending in `.` such as `github.`).
    #[arg(long)]
    rule: Option<String>,
    /// Only secrets seen in REPOSITORY (as the ledger names it).
    #[arg(long)]
    repository: Option<String>,
    /// Only secrets first seen at least this long ago (`7d`, `12h`, `2w`).
    #[arg(long, value_name = "AGE", value_parser = parse_age)]
    older_than: Option<i64>,
    /// Only secrets first seen at most this long ago.
    #[arg(long, value_name = "AGE", value_parser = parse_age)]
    newer_than: Option<i64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    format: ListFormat,
}

/// Arguments of `keytrail ledger show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    #[command(flatten)]
    ledger: LedgerArgs,
    /// Fingerprint, or a unique prefix of at least 8 hex digits.
    fingerprint: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    format: ListFormat,
}

/// Arguments of `keytrail ledger resolve`.
#[derive(Debug, Args)]
pub struct ResolveArgs {
    #[command(flatten)]
    ledger: LedgerArgs,
    /// Fingerprint, or a unique prefix of at least 8 hex digits.
    fingerprint: String,
    /// How it was resolved.
    #[arg(long = "as", value_enum)]
    resolution: Resolution,
    /// Why.
    #[arg(long)]
    comment: Option<String>,
    /// Who resolved it (default: $USER).
    #[arg(long)]
    actor: Option<String>,
}

/// Arguments of `keytrail ledger verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    ledger: LedgerArgs,
}

/// Runs a `keytrail ledger` subcommand.
pub fn run(cmd: LedgerCommand, global: &GlobalArgs) -> Result<u8> {
    let mut out = io::stdout().lock();
    match cmd {
        LedgerCommand::List(a) => {
            let mut ledger = a.ledger.open(global)?;
            let filter = Filter {
                status: a.status,
                owner: a.owner,
                rule: a.rule,
                repository: a.repository,
                min_age: a.older_than,
                max_age: a.newer_than,
            };
            let rows = ledger.list(&filter)?;
            match a.format {
                ListFormat::Json => {
                    writeln!(out, "{}", serde_json::to_string_pretty(&json_rows(&rows))?)?
                }
                ListFormat::Table => write_table(&mut out, &rows)?,
            }
        }
        LedgerCommand::Show(a) => {
            let mut ledger = a.ledger.open(global)?;
            let fp = ledger.resolve_fingerprint(&a.fingerprint)?;
            let detail = ledger.show(&fp)?;
            match a.format {
                ListFormat::Json => writeln!(
                    out,
                    "{}",
                    serde_json::to_string_pretty(&json_detail(&detail))?
                )?,
                ListFormat::Table => write_detail(&mut out, &detail)?,
            }
        }
        LedgerCommand::Resolve(a) => {
            let mut ledger = a.ledger.open(global)?;
            let fp = ledger.resolve_fingerprint(&a.fingerprint)?;
            let actor = a.actor.unwrap_or_else(default_actor);
            let state = ledger.resolve(&fp, a.resolution, a.comment.as_deref(), &actor)?;
            writeln!(out, "{} {}", &fp[..16], state.status)?;
        }
        LedgerCommand::Verify(a) => {
            let problems = a.ledger.open(global)?.verify()?;
            for p in &problems {
                writeln!(out, "{p}")?;
            }
            if !problems.is_empty() {
                return Ok(EXIT_ERROR);
            }
            writeln!(out, "ledger is consistent")?;
        }
    }
    out.flush()?;
    Ok(EXIT_CLEAN)
}

/// The user name recorded on events a person appends.
pub fn default_actor() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".into())
}

/// Reads `30m`, `12h`, `7d`, `2w` (or plain seconds) into seconds.
pub(super) fn parse_age(text: &str) -> Result<i64, String> {
    let t = text.trim();
    let (digits, unit) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&t[..i], c),
        _ => (t, 's'),
    };
    let mult = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 7 * 86_400,
        _ => return Err(format!("{text:?}: use s, m, h, d or w")),
    };
    digits
        .parse::<i64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| format!("{text:?} is not an age (e.g. 7d, 12h)"))
}

/// A timestamp as RFC 3339 in UTC.
pub fn time_text(secs: i64) -> String {
    jiff::Timestamp::from_second(secs).map_or_else(|_| secs.to_string(), |t| t.to_string())
}

fn write_table(out: &mut impl Write, rows: &[SecretRow]) -> Result<()> {
    if rows.is_empty() {
        writeln!(out, "no secrets match")?;
        return Ok(());
    }
    writeln!(
        out,
        "{:<16}  {:<14}  {:<20}  {:<32}  {:<26}  OWNERS",
        "FINGERPRINT", "STATUS", "FIRST SEEN", "RULE", "SECRET"
    )?;
    for r in rows {
        let status = if r.in_code {
            r.status.clone()
        } else {
            format!("{} (gone)", r.status)
        };
        let owners = if r.owners.is_empty() {
            "(unowned)".to_string()
        } else {
            r.owners.join(" ")
        };
        writeln!(
            out,
            "{:<16}  {:<14}  {:<20}  {:<32}  {:<26}  {}",
            &r.fingerprint[..16.min(r.fingerprint.len())],
            status,
            time_text(r.first_seen),
            r.rule_id,
            sanitize(&r.redacted),
            sanitize(&owners)
        )?;
    }
    writeln!(
        out,
        "{} secret{}",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" }
    )?;
    Ok(())
}

fn write_detail(out: &mut impl Write, d: &SecretDetail) -> Result<()> {
    let s = &d.secret;
    writeln!(out, "secret      {}", s.fingerprint)?;
    writeln!(out, "rule        {}", s.rule_id)?;
    writeln!(out, "value       {}", sanitize(&s.redacted))?;
    writeln!(
        out,
        "status      {}{}",
        s.status,
        if s.in_code { "" } else { ", no longer in code" }
    )?;
    writeln!(out, "first seen  {}", time_text(s.first_seen))?;
    writeln!(out, "\nfindings ({})", d.findings.len())?;
    for f in &d.findings {
        let owners = if f.owners.is_empty() {
            "(unowned)".into()
        } else {
            f.owners.join(" ")
        };
        let gone = if f.present {
            ""
        } else {
            "  [not in current code]"
        };
        writeln!(
            out,
            "  {} {}:{}  {}{}",
            sanitize(&f.repository),
            sanitize(&f.path),
            f.line,
            sanitize(&owners),
            gone
        )?;
        if let (Some(c), Some(a)) = (&f.commit, &f.author) {
            writeln!(
                out,
                "      introduced in {} by {}",
                &c[..c.len().min(12)],
                sanitize(a)
            )?;
        }
    }
    writeln!(out, "\nevents ({})", d.events.len())?;
    for e in &d.events {
        let detail = if e.detail.as_object().is_some_and(|o| !o.is_empty()) {
            e.detail.to_string()
        } else {
            String::new()
        };
        writeln!(
            out,
            "  {}  {:<10}  {:<12}  {}",
            time_text(e.at),
            e.kind.as_str(),
            sanitize(&e.actor),
            sanitize(&detail)
        )?;
    }
    Ok(())
}

fn json_rows(rows: &[SecretRow]) -> serde_json::Value {
    serde_json::json!({
        "version": 1,
        "type": "secrets",
        "secrets": rows.iter().map(json_row).collect::<Vec<_>>(),
    })
}

fn json_row(r: &SecretRow) -> serde_json::Value {
    let mut v = serde_json::to_value(r).unwrap_or_default();
    v["first_seen"] = time_text(r.first_seen).into();
    v
}

fn json_detail(d: &SecretDetail) -> serde_json::Value {
    let findings: Vec<_> = d
        .findings
        .iter()
        .map(|f| {
            let mut v = serde_json::to_value(f).unwrap_or_default();
            v["first_seen"] = time_text(f.first_seen).into();
            v["last_seen"] = time_text(f.last_seen).into();
            v
        })
        .collect();
    let events: Vec<_> = d
        .events
        .iter()
        .map(|e| serde_json::json!({"kind": e.kind.as_str(), "at": time_text(e.at), "actor": e.actor, "detail": e.detail}))
        .collect();
    serde_json::json!({
        "version": 1,
        "type": "secret",
        "secret": json_row(&d.secret),
        "findings": findings,
        "events": events,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_parse() {
        assert_eq!(parse_age("90"), Ok(90));
        assert_eq!(parse_age("30m"), Ok(1800));
        assert_eq!(parse_age("7d"), Ok(7 * 86_400));
        assert_eq!(parse_age("2w"), Ok(14 * 86_400));
        assert!(parse_age("7y").is_err());
        assert!(parse_age("d").is_err());
    }
}
