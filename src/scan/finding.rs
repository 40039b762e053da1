//! Findings: a fingerprinted secret at a location, built from raw matches.
//!
//! This module turns byte offsets into lines and columns (only for matches, never per byte),
//! applies inline allow comments, computes fingerprints and the redacted forms. It knows nothing
//! about where the bytes came from beyond the path it is given.

use std::fmt;
use std::sync::LazyLock;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::rules::{Confidence, Rule, RuleId, RuleSet};
use crate::scan::matcher::RawMatch;

/// Domain tag of the portable fingerprint, so it can never collide with another SHA-256 use.
const FINGERPRINT_DOMAIN: &[u8] = b"keytrail-fingerprint-v1";

/// Inline comments that suppress findings on their line.
static ALLOW_MARKERS: LazyLock<[memchr::memmem::Finder<'static>; 2]> =
    LazyLock::new(|| [b"keytrail:allow", b"gitleaks:allow"].map(memchr::memmem::Finder::new));

/// Longest context line kept, in bytes, before it is cut around the match.
const MAX_CONTEXT: usize = 240;

/// The portable fingerprint of a secret: SHA-256 over a domain tag, the rule id and the secret.
/// Stable across line moves, files and repositories.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Fingerprint(String);

impl Fingerprint {
    /// Computes the fingerprint of `secret` found by rule `rule`.
    pub fn of(rule: &RuleId, secret: &[u8]) -> Fingerprint {
        let mut h = Sha256::new();
        h.update(FINGERPRINT_DOMAIN);
        h.update([0]);
        h.update(rule.as_str().as_bytes());
        h.update([0]);
        h.update(secret);
        Fingerprint(hex(&h.finalize()))
    }

    /// The fingerprint as lowercase hex.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn hex(bytes: &[u8]) -> String {
    use fmt::Write as _;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// A secret's plaintext. `Debug` never shows it; callers choose `plain` or `redacted`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    plain: String,
    redacted: String,
}

impl Secret {
    /// Wraps a plaintext secret; `public_prefix` is how many leading bytes are a known, public
    /// type prefix (e.g. `ghp_`) that the redacted form may show.
    pub fn new(plain: String, public_prefix: usize) -> Secret {
        let shown = plain.get(..public_prefix).unwrap_or("");
        let redacted = format!("{shown}…({})", plain.chars().count());
        Secret { plain, redacted }
    }

    /// The plaintext. Only for `--show-secrets`, validators and the encrypted ledger.
    pub fn plain(&self) -> &str {
        &self.plain
    }

    /// The redacted form, e.g. `ghp_…(40)`.
    pub fn redacted(&self) -> &str {
        &self.redacted
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.redacted)
    }
}

/// Text that holds a secret in plain form. Its `Debug` leaves the text out, so that a finding
/// printed with `{:?}` (a log line, a failing test's message) shows no secret.
#[derive(Clone, PartialEq, Eq)]
pub struct PlainText(pub String);

impl fmt::Debug for PlainText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PlainText(<{} bytes>)", self.0.len())
    }
}

/// A position in a blob: 1-based lines, 1-based columns in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Span {
    /// Line of the secret's first byte.
    pub line: u32,
    /// Column of the secret's first character.
    pub column: u32,
    /// Line of the secret's last byte.
    pub end_line: u32,
    /// Column just after the secret's last character.
    pub end_column: u32,
}

/// The commit that introduced a blob: its first-seen provenance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommitInfo {
    /// Commit id (hex).
    pub id: String,
    /// Author name.
    pub author_name: String,
    /// Author email.
    pub author_email: String,
    /// Author time, seconds since the Unix epoch.
    pub author_time: i64,
    /// Commit time, seconds since the Unix epoch.
    pub commit_time: i64,
}

/// A fingerprinted secret found at one place in one blob.
#[derive(Debug, Clone)]
pub struct Finding {
    /// Repository, for git scans (as named on the command line).
    pub repository: Option<std::sync::Arc<str>>,
    /// The commit that introduced the blob, for history scans.
    pub commit: Option<std::sync::Arc<CommitInfo>>,
    /// Git blob id, for git scans.
    pub blob: Option<String>,
    /// Whether the secret is still in a blob of HEAD, for history and range scans.
    pub still_at_head: Option<bool>,
    /// Path of the file (or, in history scans, the path the blob was first seen at).
    pub path: String,
    /// The rule that found it.
    pub rule_id: RuleId,
    /// The rule's name.
    pub rule_name: String,
    /// The rule's confidence.
    pub confidence: Confidence,
    /// Where the secret is in the blob.
    pub span: Span,
    /// Byte offset of the secret in the blob.
    pub offset: usize,
    /// The secret.
    pub secret: Secret,
    /// Portable fingerprint.
    pub fingerprint: Fingerprint,
    /// The line holding the secret, with the secret in its redacted form.
    pub context: String,
    /// The same line with the secret in plain text (for `--show-secrets`).
    pub context_plain: PlainText,
    /// What a validity check at scan time found (`scan --verify`).
    pub validity: Option<crate::verify::Validity>,
    /// Non-secret values from the same file that a validator needs, by name (the rule's
    /// `related` patterns), sorted by name.
    pub related: Vec<(String, String)>,
    /// Who owns it and why; `None` until the attribute stage runs. Findings at the same path
    /// share one attribution.
    pub attribution: Option<std::sync::Arc<crate::owners::Attribution>>,
}

impl Finding {
    /// This finding's location and context, for a secret that `rule` found inside its decoded
    /// (base64) value.
    pub fn decoded_as(&self, rule: &Rule, inner: &[u8]) -> Finding {
        let plain = String::from_utf8_lossy(inner).into_owned();
        let secret = Secret::new(plain, public_prefix_len(rule, inner));
        let shown = format!("base64({})", secret.redacted());
        Finding {
            rule_id: rule.id.clone(),
            rule_name: format!("{} (base64-encoded)", rule.name),
            confidence: rule.confidence,
            fingerprint: Fingerprint::of(&rule.id, inner),
            context: self.context.replace(self.secret.redacted(), &shown),
            secret,
            ..self.clone()
        }
    }
}

/// Builds findings from the raw matches of one blob. Matches on lines that carry an allow
/// marker are dropped. `matches` must be sorted by position.
pub fn build_findings(
    rules: &RuleSet,
    path: &str,
    blob: &[u8],
    matches: &[RawMatch],
) -> Vec<Finding> {
    let mut lines = LineCounter::new(blob);
    let mut out = Vec::with_capacity(matches.len());
    for m in matches {
        let (line_start, line) = lines.line_at(m.start);
        let line_end = memchr::memchr(b'\n', &blob[m.start..]).map_or(blob.len(), |i| m.start + i);
        let line_bytes = &blob[line_start..line_end];
        if ALLOW_MARKERS.iter().any(|mk| mk.find(line_bytes).is_some()) {
            continue;
        }
        let rule = &rules.rules()[m.rule];
        let mut finding = make_finding(rule, blob, m, (line_start, line), &mut lines);
        finding.path = path.to_string();
        if !rule.related.is_empty() {
            finding.related = related_values(rule, blob, m.start);
        }
        out.push(finding);
    }
    out
}

fn make_finding(
    rule: &Rule,
    blob: &[u8],
    m: &RawMatch,
    (line_start, line): (usize, u32),
    lines: &mut LineCounter<'_>,
) -> Finding {
    let plain = String::from_utf8_lossy(&blob[m.start..m.end]).into_owned();
    let secret = Secret::new(plain, public_prefix_len(rule, &blob[m.start..m.end]));
    let column = char_column(&blob[line_start..m.start]);
    let (end_line_start, end_line) = lines.peek_line_at(m.end.saturating_sub(1).max(m.start));
    let end_column = char_column(&blob[end_line_start..m.end]);
    let (context, context_plain) = context_lines(blob, line_start, m, &secret);
    Finding {
        repository: None,
        commit: None,
        blob: None,
        still_at_head: None,
        path: String::new(),
        rule_id: rule.id.clone(),
        rule_name: rule.name.clone(),
        confidence: rule.confidence,
        span: Span {
            line,
            column,
            end_line,
            end_column,
        },
        offset: m.start,
        fingerprint: Fingerprint::of(&rule.id, &blob[m.start..m.end]),
        secret,
        context,
        context_plain: PlainText(context_plain),
        validity: None,
        related: Vec::new(),
        attribution: None,
    }
}

/// Longest related value kept; longer captures are not the short identifiers they stand for.
const MAX_RELATED: usize = 256;

/// The rule's related values in `blob`: for each name, the capture nearest `at`.
fn related_values(rule: &Rule, blob: &[u8], at: usize) -> Vec<(String, String)> {
    let Some(filters) = rule.filters() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (name, re) in &filters.related {
        let nearest = re
            .captures_iter(blob)
            .filter_map(|caps| caps.get_group(1))
            .filter(|g| g.len() <= MAX_RELATED)
            .min_by_key(|g| g.start.abs_diff(at));
        if let Some(value) = nearest.and_then(|g| std::str::from_utf8(&blob[g.range()]).ok()) {
            out.push((name.clone(), value.to_string()));
        }
    }
    out.sort();
    out
}

/// How many leading bytes of the secret are public structure that the redacted form may show:
/// a type prefix that is one of the rule's keywords (`ghp_`), a URL up to its host keyword
/// (`https://hooks.slack.com`), or a PEM header line. Never more than half the secret.
fn public_prefix_len(rule: &Rule, secret: &[u8]) -> usize {
    let pem = secret
        .starts_with(b"-----BEGIN ")
        .then(|| memchr::memmem::find(&secret[11..], b"-----").map(|i| i + 16))
        .flatten();
    let head = url_head_len(secret);
    // A keyword counts where it first occurs, if that is the start or right after a bare URL
    // scheme: only the positions up to the scheme's end need looking at.
    let keyword = rule.keywords.iter().filter_map(|k| {
        let k = k.as_bytes();
        let at = (0..=head).find(|&i| {
            secret
                .get(i..i + k.len())
                .is_some_and(|w| w.eq_ignore_ascii_case(k))
        })?;
        (at == 0 || at == head).then_some(at + k.len())
    });
    let longest = pem.into_iter().chain(keyword).max().unwrap_or(0);
    if longest * 2 > secret.len() {
        0
    } else {
        longest
    }
}

/// The length of a leading `https://` or `http://` (any case), else 0.
fn url_head_len(secret: &[u8]) -> usize {
    [&b"https://"[..], b"http://"]
        .iter()
        .find(|head| {
            secret
                .get(..head.len())
                .is_some_and(|s| s.eq_ignore_ascii_case(head))
        })
        .map_or(0, |head| head.len())
}

fn char_column(prefix: &[u8]) -> u32 {
    let chars = String::from_utf8_lossy(prefix).chars().count();
    u32::try_from(chars + 1).unwrap_or(u32::MAX)
}

/// The line of the secret's start, redacted and plain, cut to `MAX_CONTEXT` around the secret.
fn context_lines(
    blob: &[u8],
    line_start: usize,
    m: &RawMatch,
    secret: &Secret,
) -> (String, String) {
    let line_end = memchr::memchr(b'\n', &blob[m.start..]).map_or(blob.len(), |i| m.start + i);
    let secret_end = m.end.min(line_end);
    let from = line_start.max(m.start.saturating_sub(MAX_CONTEXT / 2));
    let to = line_end.min(secret_end + MAX_CONTEXT / 2);
    let before = String::from_utf8_lossy(&blob[from..m.start]);
    let after = String::from_utf8_lossy(&blob[secret_end..to]);
    let shown_plain = String::from_utf8_lossy(&blob[m.start..secret_end]);
    let (lead, tail) = (
        if from > line_start { "…" } else { "" },
        if to < line_end { "…" } else { "" },
    );
    let trim = |s: String| s.trim_end_matches('\r').to_string();
    (
        trim(format!("{lead}{before}{}{after}{tail}", secret.redacted())),
        trim(format!("{lead}{before}{shown_plain}{after}{tail}")),
    )
}

/// Counts lines incrementally for increasing offsets.
struct LineCounter<'b> {
    blob: &'b [u8],
    pos: usize,
    line: u32,
    line_start: usize,
}

impl<'b> LineCounter<'b> {
    fn new(blob: &'b [u8]) -> LineCounter<'b> {
        LineCounter {
            blob,
            pos: 0,
            line: 1,
            line_start: 0,
        }
    }

    /// (start of line, 1-based line number) of `offset`; offsets must not decrease.
    fn line_at(&mut self, offset: usize) -> (usize, u32) {
        let (start, line) = self.peek_line_at(offset);
        self.pos = offset.max(self.pos);
        self.line = line;
        self.line_start = start;
        (start, line)
    }

    /// Like `line_at` without advancing.
    fn peek_line_at(&self, offset: usize) -> (usize, u32) {
        if offset < self.pos {
            let line = 1 + memchr::memchr_iter(b'\n', &self.blob[..offset]).count();
            let start = memchr::memrchr(b'\n', &self.blob[..offset]).map_or(0, |i| i + 1);
            return (start, u32::try_from(line).unwrap_or(u32::MAX));
        }
        let region = &self.blob[self.pos..offset];
        let added = memchr::memchr_iter(b'\n', region).count();
        let start = memchr::memrchr(b'\n', region).map_or(self.line_start, |i| self.pos + i + 1);
        let line = self
            .line
            .saturating_add(u32::try_from(added).unwrap_or(u32::MAX));
        (start, line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_public_prefix_is_a_keyword_at_the_start_or_after_a_url_scheme() {
        let mut builder = crate::rules::RuleSetBuilder::new();
        let rules = r#"
[[rule]]
id = "t.token"
name = "T"
keywords = ["ghp_", "hooks.slack.com", "tps"]
pattern = 'x'
confidence = "high"
"#;
        builder
            .add_text("t.toml", rules, false)
            .expect("rule parses");
        let set = builder.build().expect("rule set");
        let rule = &set.rules()[0];
        let cases: [(&[u8], usize); 6] = [
            (b"ghp_abcdefghijklmnopqrstuvwxyz0123456789", 4),
            (b"GHP_abcdefghijklmnopqrstuvwxyz0123456789", 4),
            (
                b"https://hooks.slack.com/services/T0000/B0000/abcdefghijklmnopqrstuvwx",
                23,
            ),
            (
                b"HTTP://Hooks.Slack.com/services/T0000/B0000/abcdefghijklmnopqrstuvwx",
                22,
            ),
            // Elsewhere than the start, or first found inside the scheme: no prefix.
            (b"x_ghp_abcdefghijklmnopqrstuvwxyz0123456789", 0),
            (b"https://example.com/tps/abcdefghijklmnopqrstuvwxyz", 0),
        ];
        for (secret, expected) in cases {
            assert_eq!(public_prefix_len(rule, secret), expected, "{secret:?}");
        }
        // Never more than half the secret.
        assert_eq!(public_prefix_len(rule, b"ghp_abc"), 0);
    }

    #[test]
    fn fingerprint_is_domain_separated_by_rule() {
        let a = Fingerprint::of(&rule_id("a.b"), b"s3cr3t");
        let b = Fingerprint::of(&rule_id("a.c"), b"s3cr3t");
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 64);
        assert_eq!(a, Fingerprint::of(&rule_id("a.b"), b"s3cr3t"));
    }

    fn rule_id(id: &str) -> RuleId {
        RuleId::new(id)
    }

    #[test]
    fn secret_debug_and_redacted_hide_plaintext() {
        let s = Secret::new("ghp_abcdefghij".into(), 4);
        assert_eq!(s.redacted(), "ghp_…(14)");
        assert!(!format!("{s:?}").contains("abcdefghij"));
        assert_eq!(Secret::new("hunter22".into(), 0).redacted(), "…(8)");
    }

    /// A whole finding printed with `{:?}` shows neither the secret nor its plain context line.
    #[test]
    fn finding_debug_hides_plaintext() {
        let rules = crate::rules::load_ruleset(true, &[]).expect("built-in rules");
        let mut scanner = crate::scan::BlobScanner::new(&rules);
        let token = "R7dKq2mX9vLp4sTzW8nB3cYhJ6fA1eU5oQ0i";
        let found = scanner.scan("app.env", format!("DEPLOY_TOKEN={token}\n").as_bytes());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].context_plain.0, format!("DEPLOY_TOKEN={token}"));
        let shown = format!("{:?}", found[0]);
        assert!(
            !shown.contains("R7dKq2mX9vLp4sTzW8nB3cYhJ6fA1eU5oQ0i"),
            "{}",
            shown.len()
        );
    }

    #[test]
    fn line_counter_tracks_lines_and_starts() {
        let blob = b"one\ntwo\nthree\nfour";
        let mut c = LineCounter::new(blob);
        assert_eq!(c.line_at(0), (0, 1));
        assert_eq!(c.line_at(5), (4, 2));
        assert_eq!(c.line_at(9), (8, 3));
        assert_eq!(c.peek_line_at(15), (14, 4));
        assert_eq!(c.peek_line_at(1), (0, 1));
    }
}
