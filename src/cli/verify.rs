//! `keytrail verify`, `keytrail revoke` and `keytrail notify`: the ledger's contact with the
//! outside world. Checks run on a few threads; their results are written to the ledger by this
//! thread, one event each.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Args;
use serde_json::json;

use super::ledger::{LedgerArgs, default_actor};
use super::{EXIT_CLEAN, EXIT_ERROR, GlobalArgs};
use crate::ledger::model::{EventKind, Resolution, SecretState};
use crate::ledger::{Filter, Ledger, SecretRow, StatusFilter};
use crate::report::sanitize::sanitize;
use crate::scan::Finding;
use crate::verify::net::NetOptions;
use crate::verify::notify::{Channel, Notice, Retry, deliver};
use crate::verify::{Check, CheckRequest, Validity, Verifier};

/// Network options shared by the commands that reach providers.
#[derive(Debug, Clone, Args)]
pub struct NetArgs {
    /// Extra validator file (repeatable).
    #[arg(long, value_name = "FILE")]
    pub validators: Vec<PathBuf>,
    /// Timeout of one request, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    pub timeout: u64,
    /// Checks running at once.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// Overall time for the run's checks, in seconds: no check starts after it (one in flight
    /// still ends within --timeout). Checks not made are counted and left for the next run.
    #[arg(long, value_name = "SECS", default_value_t = 900)]
    pub deadline: u64,
}

impl NetArgs {
    /// The verifier these options describe.
    pub fn verifier(&self) -> Result<Verifier> {
        let mut opts = NetOptions::from_env().map_err(anyhow::Error::msg)?;
        opts.timeout = Duration::from_secs(self.timeout.max(1));
        let extra = self
            .validators
            .iter()
            .map(|p| {
                std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Verifier::new(&extra, opts)?)
    }

    /// When the run's checks must have started by.
    pub fn deadline(&self) -> std::time::Instant {
        std::time::Instant::now() + Duration::from_secs(self.deadline)
    }
}

/// Arguments of `keytrail verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    ledger: LedgerArgs,
    #[command(flatten)]
    net: NetArgs,
    /// Only secrets found by RULE (an id, or a prefix ending in `.`).
    #[arg(long)]
    rule: Option<String>,
    /// Only secrets with a finding owned by OWNER.
    #[arg(long)]
    owner: Option<String>,
    /// Only secrets first seen at least this long ago (`7d`, `12h`).
    #[arg(long, value_name = "AGE", value_parser = super::ledger::parse_age)]
    older_than: Option<i64>,
    /// Skip secrets checked less than this long ago.
    #[arg(long, value_name = "AGE", default_value = "1h", value_parser = super::ledger::parse_age)]
    recheck_after: i64,
}

/// Arguments of `keytrail revoke`.
#[derive(Debug, Args)]
pub struct RevokeArgs {
    #[command(flatten)]
    ledger: LedgerArgs,
    #[command(flatten)]
    net: NetArgs,
    /// Fingerprint, or a unique prefix of at least 8 hex digits.
    fingerprint: String,
    /// Confirm: revocation cannot be undone.
    #[arg(long)]
    yes: bool,
}

/// Arguments of `keytrail notify`.
#[derive(Debug, Args)]
pub struct NotifyArgs {
    #[command(flatten)]
    ledger: LedgerArgs,
    #[command(flatten)]
    net: NetArgs,
    /// Slack-compatible incoming webhook URL (repeatable).
    #[arg(
        long,
        value_name = "URL",
        env = "KEYTRAIL_SLACK_WEBHOOK",
        hide_env_values = true
    )]
    slack_webhook: Vec<String>,
    /// Generic JSON webhook URL (repeatable).
    #[arg(
        long,
        value_name = "URL",
        env = "KEYTRAIL_WEBHOOK",
        hide_env_values = true
    )]
    webhook: Vec<String>,
    /// Directory for one JSON file per notification.
    #[arg(long, value_name = "DIR")]
    outbox: Option<PathBuf>,
    /// Tell an owner again after this long if the secret is still unresolved.
    #[arg(long, value_name = "AGE", default_value = "7d", value_parser = super::ledger::parse_age)]
    renotify_after: i64,
    /// Only secrets with a finding owned by OWNER.
    #[arg(long)]
    owner: Option<String>,
    /// Seconds before the second delivery attempt (doubled for later ones).
    #[arg(long, value_name = "SECS", default_value_t = 1.0)]
    retry_delay: f64,
}

/// Runs `keytrail verify`.
pub fn run_verify(a: VerifyArgs, global: &GlobalArgs) -> Result<u8> {
    let verifier = a.net.verifier()?;
    let mut ledger = a.ledger.open(global)?;
    let filter = Filter {
        status: StatusFilter::Unresolved,
        owner: a.owner.clone(),
        rule: a.rule.clone(),
        min_age: a.older_than,
        ..Filter::default()
    };
    let now = ledger.now();
    let mut tally = Tally::default();
    let mut work = Vec::new();
    for row in ledger.list(&filter)? {
        if !verifier.has_validator(&row.rule_id) {
            tally.no_validator += 1;
            continue;
        }
        let events = ledger.events(&row.fingerprint)?;
        if last_at(&events, EventKind::Checked).is_some_and(|t| now - t < a.recheck_after) {
            tally.recent += 1;
            continue;
        }
        let notified = last_at(&events, EventKind::Notified).is_some();
        let Some(plain) = ledger.unseal(&row.fingerprint)? else {
            tally.no_plaintext += 1;
            continue;
        };
        let partner = match verifier.partner_rule(&row.rule_id) {
            None => None,
            Some(rule) => match ledger.paired_plaintext(&row.fingerprint, rule)? {
                Some(p) => Some(String::from_utf8_lossy(&p).into_owned()),
                None => {
                    tally.no_partner += 1;
                    continue;
                }
            },
        };
        let related = match verifier.related_names(&row.rule_id).is_empty() {
            true => Default::default(),
            false => ledger.related(&row.fingerprint)?,
        };
        if verifier.lacks_related(&row.rule_id, &related) {
            tally.no_related += 1;
            continue;
        }
        let secret = String::from_utf8_lossy(&plain).into_owned();
        let req = CheckRequest {
            rule_id: row.rule_id.clone(),
            secret,
            partner,
            related,
        };
        work.push((row, req, notified));
    }
    let reqs: Vec<CheckRequest> = work.iter().map(|(_, r, _)| r.clone()).collect();
    let results = verifier.check_many(&reqs, a.net.concurrency, a.net.deadline());
    for ((row, _, notified), check) in work.iter().zip(results) {
        match check {
            Some(check) => record_check(&mut ledger, row, &check, *notified, &mut tally)?,
            None => tally.out_of_time += 1,
        }
    }
    tally.print(global.quiet);
    Ok(EXIT_CLEAN)
}

/// `scan --verify`: checks each distinct secret among the findings and sets their validity.
/// An AWS secret key is paired with the nearest access key id found in the same file.
pub fn verify_findings(findings: &mut [Finding], net: &NetArgs) -> Result<()> {
    let verifier = net.verifier()?;
    let mut index: HashMap<(String, String), usize> = HashMap::new();
    let mut reqs = Vec::new();
    for f in findings.iter() {
        let key = (f.rule_id.to_string(), f.secret.plain().to_string());
        if index.contains_key(&key) || !verifier.has_validator(&key.0) {
            continue;
        }
        let partner = match verifier.partner_rule(&key.0) {
            Some(rule) => match nearest_partner(findings, f, rule) {
                Some(p) => Some(p),
                None => continue,
            },
            None => None,
        };
        let related: std::collections::BTreeMap<String, String> =
            f.related.iter().cloned().collect();
        if verifier.lacks_related(&key.0, &related) {
            continue;
        }
        index.insert(key.clone(), reqs.len());
        reqs.push(CheckRequest {
            rule_id: key.0,
            secret: key.1,
            partner,
            related,
        });
    }
    let results = verifier.check_many(&reqs, net.concurrency, net.deadline());
    let late = results.iter().filter(|r| r.is_none()).count();
    if late > 0 {
        eprintln!("keytrail: {late} secret(s) were not checked: the --deadline passed");
    }
    for f in findings.iter_mut() {
        let key = (f.rule_id.to_string(), f.secret.plain().to_string());
        if let Some(Some(check)) = index.get(&key).and_then(|&i| results.get(i)) {
            f.validity = Some(check.validity);
        }
    }
    Ok(())
}

/// The plain text of the `rule` finding nearest to `f` in the same file.
fn nearest_partner(findings: &[Finding], f: &Finding, rule: &str) -> Option<String> {
    findings
        .iter()
        .filter(|o| o.path == f.path && o.rule_id.as_str() == rule && o.repository == f.repository)
        .min_by_key(|o| o.span.line.abs_diff(f.span.line))
        .map(|o| o.secret.plain().to_string())
}

/// Appends the check; closes the secret as revoked when it is inactive after notification.
fn record_check(
    ledger: &mut Ledger,
    row: &SecretRow,
    check: &Check,
    notified: bool,
    tally: &mut Tally,
) -> Result<()> {
    let detail = json!({"result": check.validity.as_str(), "validator": check.validator, "message": check.message});
    ledger.append_event(&row.fingerprint, EventKind::Checked, "verify", detail)?;
    tally.count(check.validity);
    if check.validity == Validity::Inactive && notified {
        close_revoked(ledger, &row.fingerprint, &check.validator)?;
        tally.closed += 1;
    }
    Ok(())
}

fn close_revoked(ledger: &mut Ledger, fp: &str, validator: &str) -> Result<SecretState> {
    let comment = format!("validated inactive by {validator}");
    Ok(ledger.resolve(fp, Resolution::Revoked, Some(&comment), "verify")?)
}

fn last_at(events: &[crate::ledger::model::Event], kind: EventKind) -> Option<i64> {
    events.iter().rev().find(|e| e.kind == kind).map(|e| e.at)
}

/// What a verify run did.
#[derive(Debug, Default)]
struct Tally {
    active: u64,
    inactive: u64,
    unknown: u64,
    error: u64,
    closed: u64,
    recent: u64,
    no_validator: u64,
    no_plaintext: u64,
    no_partner: u64,
    no_related: u64,
    out_of_time: u64,
}

impl Tally {
    fn count(&mut self, v: Validity) {
        match v {
            Validity::Active => self.active += 1,
            Validity::Inactive => self.inactive += 1,
            Validity::Unknown => self.unknown += 1,
            Validity::Error => self.error += 1,
        }
    }

    fn print(&self, quiet: bool) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "checked {}: {} active, {} inactive, {} unknown, {} error; {} closed as revoked",
            self.active + self.inactive + self.unknown + self.error,
            self.active,
            self.inactive,
            self.unknown,
            self.error,
            self.closed
        );
        if quiet {
            return;
        }
        if self.no_plaintext > 0 {
            eprintln!(
                "keytrail: {} secret(s) cannot be re-checked: the ledger holds no sealed plain text \
                 for them (scan with a sealing key to store it)",
                self.no_plaintext
            );
        }
        if self.no_partner > 0 {
            eprintln!(
                "keytrail: {} secret(s) need a partner the ledger does not hold (an AWS secret key \
                 needs its access key id in the same file)",
                self.no_partner
            );
        }
        if self.out_of_time > 0 {
            eprintln!(
                "keytrail: {} secret(s) were not checked: the --deadline passed (the next run \
                 checks them)",
                self.out_of_time
            );
        }
        if self.no_related > 0 {
            eprintln!(
                "keytrail: {} secret(s) need a value the ledger did not find beside them (a \
                 service-account key's client_email, a Shopify token's shop name)",
                self.no_related
            );
        }
        if self.no_validator > 0 {
            eprintln!(
                "keytrail: {} secret(s) have no validator",
                self.no_validator
            );
        }
        if self.recent > 0 {
            eprintln!(
                "keytrail: {} secret(s) were checked recently and skipped",
                self.recent
            );
        }
    }
}

/// Runs `keytrail revoke`.
pub fn run_revoke(a: RevokeArgs, global: &GlobalArgs) -> Result<u8> {
    if !a.yes {
        anyhow::bail!("revoking a credential cannot be undone; add --yes to go ahead");
    }
    let verifier = a.net.verifier()?;
    let mut ledger = a.ledger.open(global)?;
    let fp = ledger.resolve_fingerprint(&a.fingerprint)?;
    let rule = ledger.show(&fp)?.secret.rule_id;
    let plain = ledger
        .unseal(&fp)?
        .map(|p| String::from_utf8_lossy(&p).into_owned())
        .context("the ledger holds no sealed plain text for this secret, so it cannot be revoked from here")?;
    let Some(r) = verifier.revoke(&rule, &plain) else {
        anyhow::bail!("{rule} has no self-service revocation API; revoke it at the provider");
    };
    let detail = json!({"validator": r.validator, "accepted": r.accepted, "message": r.message});
    ledger.append_event(&fp, EventKind::RevokeRequested, &default_actor(), detail)?;
    println!(
        "revocation {}: {}",
        if r.accepted { "accepted" } else { "refused" },
        sanitize(&r.message)
    );
    if let Some(check) = verifier.check(&rule, &plain) {
        let detail = json!({"result": check.validity.as_str(), "validator": check.validator, "message": check.message});
        ledger.append_event(&fp, EventKind::Checked, "revoke", detail)?;
        println!("check after revocation: {}", check.validity.as_str());
        if check.validity == Validity::Inactive {
            close_revoked(&mut ledger, &fp, &check.validator)?;
            return Ok(EXIT_CLEAN);
        }
    }
    Ok(if r.accepted { EXIT_CLEAN } else { EXIT_ERROR })
}

/// Runs `keytrail notify`.
pub fn run_notify(a: NotifyArgs, global: &GlobalArgs) -> Result<u8> {
    let channels = channels(&a);
    if channels.is_empty() {
        eprintln!(
            "keytrail: no --slack-webhook, --webhook or --outbox: only owners whose owners-map \
             entry names a webhook are told"
        );
    }
    let verifier = a.net.verifier()?;
    let retry = Retry {
        base_delay: Duration::from_secs_f64(a.retry_delay.max(0.0)),
        ..Retry::default()
    };
    let mut ledger = a.ledger.open(global)?;
    let now = ledger.now();
    let filter = Filter {
        owner: a.owner.clone(),
        ..Filter::default()
    };
    let (mut told, mut failed) = (0, 0);
    for row in ledger.list(&filter)? {
        let events = ledger.events(&row.fingerprint)?;
        if last_at(&events, EventKind::Notified).is_some_and(|t| now - t < a.renotify_after) {
            continue;
        }
        let (notice, own) = notice_for(&mut ledger, &row)?;
        let mut targets = channels.clone();
        targets.extend(own.into_iter().filter(|c| !channels.contains(c)));
        for ch in &targets {
            match deliver(verifier.client(), ch, &notice, retry) {
                Ok(()) => {
                    let detail = json!({"channel": ch.kind(), "target": ch.target(), "owners": notice.owners});
                    ledger.append_event(&row.fingerprint, EventKind::Notified, "notify", detail)?;
                    told += 1;
                }
                Err(e) => {
                    eprintln!("keytrail: error: notifying {}: {}", ch.kind(), sanitize(&e));
                    failed += 1;
                }
            }
        }
    }
    println!("{told} notification(s) delivered, {failed} failed");
    Ok(if failed > 0 { EXIT_ERROR } else { EXIT_CLEAN })
}

fn channels(a: &NotifyArgs) -> Vec<Channel> {
    let mut out: Vec<Channel> = a
        .slack_webhook
        .iter()
        .cloned()
        .map(Channel::Slack)
        .collect();
    out.extend(a.webhook.iter().cloned().map(Channel::Webhook));
    out.extend(a.outbox.clone().map(Channel::Outbox));
    out
}

/// The notice for a secret, and the webhooks its owners' map entries name.
fn notice_for(ledger: &mut Ledger, row: &SecretRow) -> Result<(Notice, Vec<Channel>)> {
    let detail = ledger.show(&row.fingerprint)?;
    let mut places = Vec::new();
    let (mut to, mut slack_channels, mut own) = (Vec::new(), Vec::new(), Vec::new());
    for f in &detail.findings {
        let mut p = format!("{} {}:{}", f.repository, f.path, f.line);
        if let (Some(c), Some(a)) = (&f.commit, &f.author) {
            p.push_str(&format!(" (commit {} by {a})", &c[..c.len().min(12)]));
        }
        places.push(p);
        let contact = |k: &str| {
            f.contacts
                .as_ref()
                .and_then(|c| c.get(k)?.as_str().map(str::to_string))
        };
        push_new(&mut to, contact("email"));
        push_new(&mut slack_channels, contact("slack"));
        if let Some(url) = contact("webhook") {
            let ch = match crate::verify::spec::host_of(&url).as_deref() {
                Some("hooks.slack.com") => Channel::Slack(url),
                _ => Channel::Webhook(url),
            };
            if !own.contains(&ch) {
                own.push(ch);
            }
        }
    }
    let notice = Notice {
        fingerprint: row.fingerprint.clone(),
        rule_id: row.rule_id.clone(),
        redacted: row.redacted.clone(),
        owners: row.owners.clone(),
        places,
        action: "Revoke or rotate this credential at its provider, then remove it from the code \
                 and its history. keytrail re-checks it and closes it once it no longer works."
            .into(),
        to,
        slack_channels,
    };
    Ok((notice, own))
}

fn push_new(list: &mut Vec<String>, item: Option<String>) {
    if let Some(i) = item.filter(|i| !list.contains(i)) {
        list.push(i);
    }
}
