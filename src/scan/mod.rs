//! Scanning bytes for secrets: the per-thread [`BlobScanner`], the findings it produces, and the
//! [`Summary`] of a whole scan.
//!
//! This module does not know where bytes come from (that is `source`) nor how findings are shown
//! (that is `report`).

pub mod checks;
pub mod finding;
pub mod ignore;
pub mod matcher;

use std::time::Duration;

use serde::Serialize;

use crate::rules::RuleSet;
pub use finding::{CommitInfo, Finding, Fingerprint, Secret, Span};
pub use matcher::{Matcher, RawMatch};

/// Scans blobs one at a time with reused buffers. One per worker thread.
pub struct BlobScanner<'r> {
    rules: &'r RuleSet,
    matcher: Matcher<'r>,
    raw: Vec<RawMatch>,
}

impl<'r> BlobScanner<'r> {
    /// A scanner over `rules`.
    pub fn new(rules: &'r RuleSet) -> BlobScanner<'r> {
        BlobScanner {
            rules,
            matcher: Matcher::new(rules),
            raw: Vec::new(),
        }
    }

    /// Scans one blob and returns its findings (empty for most blobs, without allocating).
    pub fn scan(&mut self, path: &str, blob: &[u8]) -> Vec<Finding> {
        self.raw.clear();
        self.matcher.set_path(path);
        self.matcher.find(blob, &mut self.raw);
        if self.raw.is_empty() {
            return Vec::new();
        }
        let mut findings = finding::build_findings(self.rules, path, blob, &self.raw);
        let rules = self.rules.rules();
        if self.raw.iter().any(|m| rules[m.rule].decode_base64) {
            findings = findings.into_iter().flat_map(|f| self.decode(f)).collect();
        }
        findings
    }

    fn is_encoded(&self, f: &Finding) -> bool {
        self.rules
            .get(f.rule_id.as_str())
            .is_some_and(|r| r.decode_base64)
    }

    /// Replaces a finding of an encoded value by the findings inside the decoded value, reported
    /// at the encoded location; keeps it as it is when nothing is found inside. Decoding is one
    /// level deep.
    fn decode(&mut self, f: Finding) -> Vec<Finding> {
        if !self.is_encoded(&f) {
            return vec![f];
        }
        let Some(decoded) = decode_base64(f.secret.plain()) else {
            return vec![f];
        };
        let mut inner = Vec::new();
        self.matcher.find(&decoded, &mut inner);
        if inner.is_empty() {
            // A certificate, a public key or a plain URL (no credentials were found inside) is
            // encoded public data, not a secret.
            let public = [
                &b"-----BEGIN CERTIFICATE"[..],
                b"-----BEGIN PUBLIC KEY",
                b"ssh-",
            ];
            let text = decoded.trim_ascii();
            if is_plain_url(text) || public.iter().any(|p| text.starts_with(p)) {
                return Vec::new();
            }
            return vec![f];
        }
        inner
            .iter()
            .map(|m| f.decoded_as(&self.rules.rules()[m.rule], &decoded[m.start..m.end]))
            .collect()
    }
}

/// `scheme://rest` with no white space: a URL.
fn is_plain_url(text: &[u8]) -> bool {
    let scheme_end = memchr::memmem::find(text, b"://");
    scheme_end.is_some_and(|i| {
        i > 0
            && text[..i]
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || b"+.-".contains(b))
    }) && !text.iter().any(u8::is_ascii_whitespace)
}

/// Decodes standard base64 (padded or not, URL-safe or not) into text; `None` if it is not
/// base64 or decodes to binary.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let t = text.trim();
    let bytes = [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|e| e.decode(t).ok())?;
    (!crate::source::blob::is_binary(&bytes)).then_some(bytes)
}

/// Why a file or blob was not scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// It looks binary (a NUL byte near the start).
    Binary,
    /// It is larger than the size limit.
    TooLarge,
    /// It is not a regular file (a FIFO, a socket, a device).
    NotAFile,
}

/// Counts of what a scan read, skipped and failed on.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Git repositories scanned.
    pub repositories: u64,
    /// Commits walked (history and range scans).
    pub commits_scanned: u64,
    /// Files (or blobs) scanned.
    pub files_scanned: u64,
    /// Bytes scanned.
    pub bytes_scanned: u64,
    /// Skipped because they look binary.
    pub skipped_binary: u64,
    /// Skipped because they exceed the size limit.
    pub skipped_too_large: u64,
    /// Skipped because they are not regular files.
    pub skipped_special: u64,
    /// Files or directories that could not be read.
    pub errors: u64,
    /// Non-fatal warnings (e.g. symlink loops).
    pub warnings: u64,
    /// Findings reported (after confidence filtering).
    pub findings: u64,
    /// Findings hidden by the confidence threshold.
    pub findings_below_confidence: u64,
    /// Findings left out because `.keytrailignore` names their value.
    pub findings_ignored: u64,
    /// Wall time of the scan.
    #[serde(serialize_with = "as_seconds")]
    pub elapsed: Duration,
}

impl Summary {
    /// Records one skipped file.
    pub fn skip(&mut self, reason: SkipReason) {
        match reason {
            SkipReason::Binary => self.skipped_binary += 1,
            SkipReason::TooLarge => self.skipped_too_large += 1,
            SkipReason::NotAFile => self.skipped_special += 1,
        }
    }

    /// Adds another summary's counts (not its elapsed time).
    pub fn merge(&mut self, other: &Summary) {
        self.repositories += other.repositories;
        self.commits_scanned += other.commits_scanned;
        self.files_scanned += other.files_scanned;
        self.bytes_scanned += other.bytes_scanned;
        self.skipped_binary += other.skipped_binary;
        self.skipped_too_large += other.skipped_too_large;
        self.skipped_special += other.skipped_special;
        self.errors += other.errors;
        self.warnings += other.warnings;
    }
}

fn as_seconds<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1000.0).round() / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_urls_and_base64_decoding() {
        assert!(is_plain_url(b"https://api.example.net/v1"));
        assert!(is_plain_url(b"postgres://db.internal:5432/app"));
        assert!(!is_plain_url(b"not a url"));
        assert!(!is_plain_url(b"://missing-scheme"));
        assert_eq!(
            decode_base64("aHVudGVyMg==").as_deref(),
            Some(&b"hunter2"[..])
        );
        assert_eq!(
            decode_base64("aHVudGVyMg").as_deref(),
            Some(&b"hunter2"[..])
        );
        assert!(
            decode_base64("AAEC").is_none(),
            "binary output is not decoded text"
        );
        assert!(decode_base64("not base64!").is_none());
    }
}
