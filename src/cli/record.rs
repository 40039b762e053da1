//! The scan's persist phase: `.keytrailignore`, sharding the repository list, and recording
//! findings in the ledger (which also keeps incremental history state when one is in use).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

use crate::ledger::{CommitRef, Ledger, Recorded, ScanKind, ScanRecord, Sighting};
use crate::scan::Finding;
use crate::scan::ignore::{IGNORE_FILE, IgnoreList};
use crate::source::git::GitMode;
use crate::source::git::state::{self, HistoryState, StateStore};
use crate::source::identity::repository_identity;

/// A ledger shared by the scan's state store and its persist phase.
pub type SharedLedger = Arc<Mutex<Ledger>>;

fn lock(ledger: &SharedLedger) -> MutexGuard<'_, Ledger> {
    ledger
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Incremental history state kept in the ledger, keyed by repository identity.
#[derive(Clone)]
pub struct LedgerState(pub SharedLedger);

impl std::fmt::Debug for LedgerState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LedgerState")
    }
}

impl StateStore for LedgerState {
    fn load(&self, repo: &git2::Repository) -> Result<HistoryState, String> {
        let id = repository_identity(repo.workdir().unwrap_or(repo.path()));
        match lock(&self.0)
            .history_state(&id)
            .map_err(|e| e.to_string())?
        {
            None => Ok(HistoryState::default()),
            Some(bytes) => state::from_bytes(&bytes)
                .ok_or_else(|| format!("the ledger's history state for {id} is damaged")),
        }
    }

    fn save(&self, repo: &git2::Repository, s: &HistoryState) -> Result<(), String> {
        let id = repository_identity(repo.workdir().unwrap_or(repo.path()));
        lock(&self.0)
            .save_history_state(&id, &state::to_bytes(s))
            .map_err(|e| e.to_string())
    }
}

/// One scanned path and the name the ledger files it under.
#[derive(Debug, Clone)]
pub struct Root {
    /// The path as given.
    pub path: PathBuf,
    /// Its repository identity.
    pub identity: String,
}

/// The roots of a scan, with `--repo-name` applied to a single path.
pub fn roots(paths: &[PathBuf], repo_name: Option<&str>) -> Result<Vec<Root>> {
    if repo_name.is_some() && paths.len() != 1 {
        anyhow::bail!(
            "--repo-name names one repository; {} paths were given",
            paths.len()
        );
    }
    Ok(paths
        .iter()
        .map(|p| Root {
            path: p.clone(),
            identity: repo_name.map_or_else(|| repository_identity(p), str::to_string),
        })
        .collect())
}

/// Reads `--repos-from FILE` (one path per line, `#` comments) and keeps this worker's share.
///
/// A repository goes to shard `1 + (SHA-256 of its line) mod N`, so the split is the same on
/// every machine and adding a repository never moves the others.
pub fn repos_from(file: &Path, shard: Option<(u64, u64)>) -> Result<Vec<PathBuf>> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    Ok(text
        .lines()
        .map(|l| l.split('#').next().unwrap_or_default().trim())
        .filter(|l| !l.is_empty())
        .filter(|l| shard.is_none_or(|(i, n)| shard_of(l, n) == i))
        .map(PathBuf::from)
        .collect())
}

fn shard_of(line: &str, n: u64) -> u64 {
    let digest = Sha256::digest(line.as_bytes());
    let mut head = [0u8; 8];
    head.copy_from_slice(&digest[..8]);
    1 + u64::from_be_bytes(head) % n
}

/// Reads `--shard I/N` (1 ≤ I ≤ N).
pub fn parse_shard(text: &str) -> Result<(u64, u64), String> {
    let bad = || format!("{text:?}: --shard takes I/N with 1 <= I <= N, e.g. 2/4");
    let (i, n) = text.split_once('/').ok_or_else(bad)?;
    let (i, n) = (
        i.trim().parse::<u64>().map_err(|_| bad())?,
        n.trim().parse::<u64>().map_err(|_| bad())?,
    );
    if i == 0 || n == 0 || i > n {
        return Err(bad());
    }
    Ok((i, n))
}

/// The ignore list: `.keytrailignore` at each root (when present) and the given files.
pub fn load_ignores(roots: &[Root], files: &[PathBuf]) -> Result<(IgnoreList, Vec<String>)> {
    let mut list = IgnoreList::default();
    let mut warnings = Vec::new();
    let found = roots
        .iter()
        .map(|r| r.path.join(IGNORE_FILE))
        .filter(|p| p.is_file());
    for path in found.chain(files.iter().cloned()) {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        warnings.extend(list.add_text(&path, &text).iter().map(ToString::to_string));
    }
    Ok((list, warnings))
}

/// What kind of ledger scan a git mode (or a directory walk, `None`) is.
pub fn scan_kind(mode: Option<&GitMode>, incremental: bool) -> ScanKind {
    match mode {
        None => ScanKind::Tree,
        Some(GitMode::History) if incremental => ScanKind::Incremental,
        Some(GitMode::History) => ScanKind::History,
        Some(_) => ScanKind::Diff,
    }
}

/// Records the findings of every root; returns the totals.
pub fn record(
    ledger: &SharedLedger,
    roots: &[Root],
    kind: ScanKind,
    finished: bool,
    findings: &[Finding],
) -> Result<Recorded> {
    let mut total = Recorded::default();
    let mut ledger = lock(ledger);
    for root in roots {
        let sightings: Vec<Sighting> = findings
            .iter()
            .filter_map(|f| sighting(f, root, kind))
            .collect();
        let rec = ScanRecord {
            repository: root.identity.clone(),
            kind,
            finished,
            sightings,
        };
        let r = ledger
            .record(&rec)
            .with_context(|| format!("recording {} in the ledger", root.identity))?;
        total.new_secrets += r.new_secrets;
        total.new_findings += r.new_findings;
        total.reopened += r.reopened;
        total.removed += r.removed;
    }
    Ok(total)
}

/// Appends a `checked` event for each distinct secret a scan-time check answered.
pub fn record_checks(ledger: &SharedLedger, findings: &[Finding]) -> Result<()> {
    let mut ledger = lock(ledger);
    let mut done = std::collections::HashSet::new();
    for f in findings {
        let Some(v) = f.validity else { continue };
        let fp = ledger.fingerprint(f.secret.plain().as_bytes());
        if !done.insert(fp.clone()) {
            continue;
        }
        let detail = serde_json::json!({"result": v.as_str(), "validator": f.rule_id.to_string(), "at_scan": true});
        ledger.append_event(
            &fp,
            crate::ledger::model::EventKind::Checked,
            "scan",
            detail,
        )?;
    }
    Ok(())
}

/// The ledger's view of a finding under `root`, or `None` if it belongs to another root.
fn sighting(f: &Finding, root: &Root, kind: ScanKind) -> Option<Sighting> {
    let path = match kind {
        ScanKind::Tree => relative_path(&f.path, &root.path)?,
        _ => {
            let named = root.path.display().to_string();
            if f.repository.as_deref() != Some(named.as_str()) {
                return None;
            }
            f.path.clone()
        }
    };
    Some(Sighting {
        secret: f.secret.plain().to_string(),
        redacted: f.secret.redacted().to_string(),
        rule_id: f.rule_id.to_string(),
        rule_name: f.rule_name.clone(),
        path,
        line: i64::from(f.span.line),
        col: i64::from(f.span.column),
        commit: f.commit.as_ref().map(|c| CommitRef {
            id: c.id.clone(),
            time: c.commit_time,
            author_name: c.author_name.clone(),
            author_email: c.author_email.clone(),
        }),
        blob: f.blob.clone(),
        present: f.still_at_head.unwrap_or(true),
        owners: owners_of(f),
        service: f.attribution.as_ref().and_then(|a| a.service.clone()),
        owner_source: f.attribution.as_ref().map(|a| a.reason()),
        contacts: contacts_of(f),
        related: (!f.related.is_empty()).then(|| {
            let map: serde_json::Map<String, serde_json::Value> = f
                .related
                .iter()
                .map(|(k, v)| (k.clone(), v.clone().into()))
                .collect();
            serde_json::Value::Object(map).to_string()
        }),
    })
}

/// The owners a finding names: its attribution's owners, then its technical and lifecycle
/// owners; the commit author when it was never attributed.
fn owners_of(f: &Finding) -> Vec<String> {
    let Some(a) = &f.attribution else {
        return f
            .commit
            .as_ref()
            .map(|c| c.author_email.clone())
            .filter(|e| !e.is_empty())
            .into_iter()
            .collect();
    };
    let mut out: Vec<String> = Vec::new();
    let extra = [&a.technical_owner, &a.lifecycle_owner];
    for o in a.owners.iter().chain(extra.into_iter().flatten()) {
        if !out.iter().any(|x| x == o.as_str()) {
            out.push(o.as_str().to_string());
        }
    }
    out
}

/// The owners map's contacts for a finding, as JSON, when it names any.
fn contacts_of(f: &Finding) -> Option<String> {
    let c = &f.attribution.as_ref()?.contacts;
    if c.email.is_none() && c.slack.is_none() && c.webhook.is_none() {
        return None;
    }
    Some(serde_json::json!({"email": c.email, "slack": c.slack, "webhook": c.webhook}).to_string())
}

/// A directory-scan path relative to the scanned root (`root/a/b` → `a/b`; a file root → its
/// file name).
fn relative_path(path: &str, root: &Path) -> Option<String> {
    let p = Path::new(path);
    if p == root {
        return root.file_name().map(|n| n.to_string_lossy().into_owned());
    }
    let rel = p.strip_prefix(root).ok()?;
    Some(rel.to_string_lossy().replace('\\', "/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_split_deterministically_and_completely() {
        let names: Vec<String> = (0..200)
            .map(|i| format!("github.com/org/repo{i}"))
            .collect();
        let mut seen = 0;
        for i in 1..=4 {
            let share = names.iter().filter(|n| shard_of(n, 4) == i).count();
            assert!(share > 20, "shard {i} got {share}");
            seen += share;
        }
        assert_eq!(seen, names.len());
        assert_eq!(parse_shard("2/4"), Ok((2, 4)));
        assert!(parse_shard("0/4").is_err());
        assert!(parse_shard("5/4").is_err());
        assert!(parse_shard("x").is_err());
    }

    #[test]
    fn paths_are_made_relative_to_their_root() {
        let root = Path::new("repo/sub");
        assert_eq!(
            relative_path("repo/sub/a/b.env", root).as_deref(),
            Some("a/b.env")
        );
        assert_eq!(relative_path("other/a", root), None);
        assert_eq!(relative_path("repo/sub", root).as_deref(), Some("sub"));
    }
}
