//! The on-disk form of rule files (`rules/*.toml`), as serde reads it.
//!
//! This module owns the file syntax and nothing else: it does not compile patterns or check
//! examples (that is `compile.rs`). Unknown fields are errors, so a typo in a rule file is
//! reported instead of silently ignored.

use serde::Deserialize;

/// One rule file: a list of `[[rule]]` tables.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    /// The rules, in file order.
    #[serde(default, rename = "rule")]
    pub rules: Vec<RuleSyntax>,
}

/// Which capture group of a pattern holds the secret.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SecretGroup {
    /// The group named `secret` (keytrail rule files).
    #[default]
    Named,
    /// A numbered group (gitleaks `secretGroup`); 0 is the whole match.
    Index(usize),
    /// Group 1 if the pattern has groups, else the whole match (gitleaks' default).
    FirstOrWhole,
}

/// One `[[rule]]` table as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSyntax {
    /// Stable identifier, lowercase and dotted (`github.pat.classic`).
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// Provider slug (`github`), used to group rules.
    #[serde(default)]
    pub provider: Option<String>,
    /// Literal strings of which one must occur for the rule to be tried.
    pub keywords: Vec<String>,
    /// Rust `regex` pattern with a named group `secret`.
    pub pattern: String,
    /// Minimum Shannon entropy (bits per byte) of the secret.
    #[serde(default)]
    pub entropy: Option<f64>,
    /// Name of a structural check the secret must pass (`github-crc32`).
    #[serde(default)]
    pub check: Option<String>,
    /// `high`, `medium` or `low`.
    pub confidence: String,
    /// Bytes before a keyword hit where a match may start (default 64).
    #[serde(default)]
    pub window_before: Option<usize>,
    /// Bytes after a keyword hit where a match may end (default 256).
    #[serde(default)]
    pub window_after: Option<usize>,
    /// Every match lies on the line of the keyword hit that triggers it or on the next
    /// `lines_after` lines, so the regex runs over those lines only (within the window). For
    /// line-shaped rules (assignments, command lines), whose keywords are common words, this is
    /// most of their cost saved.
    #[serde(default)]
    pub lines_after: Option<usize>,
    /// Every match starts where one of the rule's keywords occurs (the pattern begins with the
    /// keyword), so the regex is tried anchored at each keyword hit, up to the window's end,
    /// instead of over the whole window.
    #[serde(default)]
    pub starts_at_keyword: bool,
    /// Case-insensitive words; a secret containing one is dropped.
    #[serde(default)]
    pub stopwords: Vec<String>,
    /// Regexes tried on the whole match; a match that any of them finds is dropped.
    #[serde(default)]
    pub allow_matches: Vec<String>,
    /// `base64`: the secret is an encoded value; it is decoded and scanned again, and a secret
    /// found inside is reported (at the encoded location) in place of the encoded value.
    #[serde(default)]
    pub decode: Option<String>,
    /// Regexes tried on the secret; a secret that any of them finds is dropped.
    #[serde(default)]
    pub allow_secrets: Vec<String>,
    /// Globs over the file's path (`*.ipynb`): when given, the rule runs only on such files.
    /// For rules whose syntax exists only in one kind of file and whose keywords are common
    /// elsewhere.
    #[serde(default)]
    pub paths: Vec<String>,
    /// A regex over the file's path: when given, the rule runs only where it finds a match
    /// (with `paths`, both must hold). Imported gitleaks rules carry their `path` here.
    #[serde(default)]
    pub path_regex: Option<String>,
    /// Regexes over the file's path: the rule does not run where any of them finds a match
    /// (imported gitleaks path allowlists).
    #[serde(default)]
    pub skip_path_regexes: Vec<String>,
    /// Non-secret values a validator needs from the same file (a service account's
    /// `client_email`, a Shopify shop name), by name: a regex whose first capture group is the
    /// value. The match nearest the secret is kept.
    #[serde(default)]
    pub related: std::collections::BTreeMap<String, String>,
    /// Which capture group is the secret. Rule files always use the named group `secret`;
    /// imported gitleaks rules name a group by number.
    #[serde(skip)]
    pub secret_group: SecretGroup,
    /// Texts the rule must match.
    #[serde(default)]
    pub examples: Vec<String>,
    /// Texts the rule must not match.
    #[serde(default)]
    pub negative_examples: Vec<String>,
}
