//! Turning rule syntax into a [`RuleSet`]: validated rules plus the keyword prefilter.
//!
//! A `RuleSet` owns one keyword [`Prefilter`] (an Aho-Corasick DFA, see `prefilter.rs`) over the
//! keywords of every rule. Keywords are shared: one automaton pattern maps to all rules that name
//! it, so the prefilter cost does not grow with the number of rules that use a common keyword. Regexes are compiled lazily, on the
//! first keyword hit of their rule, so a scan of a repository that mentions three providers does
//! not pay for compiling two hundred patterns. User-supplied rules are compiled eagerly at load
//! time instead, so that a broken pattern is reported before the scan starts.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use regex_automata::dfa::dense;
use regex_automata::hybrid;
use regex_automata::meta::Regex;
use regex_syntax::hir::{Hir, HirKind};
use serde::Serialize;

use super::RuleError;
use super::builtin::builtin_screen;
use super::prefilter::Prefilter;
use super::screen::{self, ByteSet, lazy_screen};
use super::syntax::{RuleFile, RuleSyntax, SecretGroup};
use crate::scan::checks::Check;

use super::window::parse_bytes;
pub use super::window::{DEFAULT_WINDOW_AFTER, DEFAULT_WINDOW_BEFORE};

/// A rule's stable identifier, e.g. `github.pat.classic`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct RuleId(String);

impl RuleId {
    /// Wraps an identifier; validity is checked when rules are loaded.
    pub fn new(id: impl Into<String>) -> RuleId {
        RuleId(id.into())
    }

    /// The identifier as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How sure a rule is that its match is a real secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// Often a secret, often not; hidden by default.
    Low,
    /// Usually a secret.
    Medium,
    /// A secret by construction (a prefix, a checksum).
    High,
}

impl Confidence {
    /// Parses `low`, `medium` or `high`.
    pub fn parse(text: &str) -> Option<Confidence> {
        match text {
            "low" => Some(Confidence::Low),
            "medium" => Some(Confidence::Medium),
            "high" => Some(Confidence::High),
            _ => None,
        }
    }

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

/// A validated rule. The regex is compiled on first use.
#[derive(Debug)]
pub struct Rule {
    /// Stable identifier.
    pub id: RuleId,
    /// Human-readable name.
    pub name: String,
    /// Provider slug.
    pub provider: String,
    /// Literal keywords (as written).
    pub keywords: Vec<String>,
    /// The regex source.
    pub pattern: String,
    /// Minimum Shannon entropy of the secret, bits per byte.
    pub entropy: Option<f64>,
    /// Structural check on the secret.
    pub check: Option<Check>,
    /// Confidence of a match that passes every filter.
    pub confidence: Confidence,
    /// Bytes before a keyword hit where a match may start.
    pub window_before: usize,
    /// Bytes after a keyword hit where a match may end.
    pub window_after: usize,
    /// When set, the window is cut to the keyword hit's line and this many lines after it.
    pub lines_after: Option<usize>,
    /// Every match starts at a keyword hit; the regex runs anchored there.
    pub starts_at_keyword: bool,
    /// Lowercased words that disqualify a secret containing them.
    pub stopwords: Vec<String>,
    /// Regexes that disqualify a whole match.
    pub allow_matches: Vec<String>,
    /// Regexes that disqualify a secret.
    pub allow_secrets: Vec<String>,
    /// Related values to read from the same file: (name, regex whose first group is the value).
    pub related: Vec<(String, String)>,
    /// Which files the rule runs on, when not all.
    pub paths: Option<PathFilter>,
    /// Which capture group holds the secret.
    pub secret_group: SecretGroup,
    /// The secret is base64 and is decoded and scanned again.
    pub decode_base64: bool,
    /// Texts the rule must match.
    pub examples: Vec<String>,
    /// Texts the rule must not match.
    pub negative_examples: Vec<String>,
    /// Where the rule was defined (`builtin:github.toml` or a path).
    pub origin: String,
    compiled: OnceLock<Result<CompiledPattern, String>>,
    filters: OnceLock<Result<CompiledFilters, String>>,
}

/// Which paths a rule runs on: its `paths` globs and `path_regex` (all that are given must
/// match), and none of its `skip_path_regexes`.
#[derive(Debug, Clone)]
pub struct PathFilter {
    /// The `paths` globs; a [`RuleSet`] matches those of all its rules in one set.
    globs: Vec<globset::Glob>,
    regex: Option<regex::Regex>,
    skip: Option<regex::RegexSet>,
}

impl PathFilter {
    /// The filter a rule's `paths`, `path_regex` and `skip_path_regexes` describe; `None` when
    /// they are all empty (the rule runs everywhere).
    fn new(
        globs: &[String],
        regex: Option<&str>,
        skip: &[String],
    ) -> Result<Option<PathFilter>, String> {
        let globs = globs
            .iter()
            .map(|p| globset::Glob::new(p).map_err(|e| format!("bad path glob {p:?}: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        let regex = regex
            .map(|p| regex::Regex::new(p).map_err(|e| format!("bad path_regex {p:?}: {e}")))
            .transpose()?;
        let skip = match skip.is_empty() {
            true => None,
            false => Some(
                regex::RegexSet::new(skip).map_err(|e| format!("bad skip_path_regexes: {e}"))?,
            ),
        };
        Ok(
            (!globs.is_empty() || regex.is_some() || skip.is_some()).then_some(PathFilter {
                globs,
                regex,
                skip,
            }),
        )
    }

    /// Whether `path` passes the rule's `path_regex` and `skip_path_regexes` (its globs are
    /// matched by the rule set).
    fn regexes_allow(&self, path: &str) -> bool {
        self.regex.as_ref().is_none_or(|r| r.is_match(path))
            && self.skip.as_ref().is_none_or(|s| !s.is_match(path))
    }
}

/// The `paths` globs of every rule of a set, matched in one pass per file.
#[derive(Debug)]
struct PathGlobs {
    set: globset::GlobSet,
    /// The rule of each glob of `set`.
    rule_of: Vec<usize>,
}

impl PathGlobs {
    fn new(rules: &[Rule]) -> Result<PathGlobs, RuleError> {
        let mut set = globset::GlobSetBuilder::new();
        let mut rule_of = Vec::new();
        for (r, rule) in rules.iter().enumerate() {
            for glob in rule.paths.iter().flat_map(|p| &p.globs) {
                set.add(glob.clone());
                rule_of.push(r);
            }
        }
        let set = set
            .build()
            .map_err(|e| RuleError::PathGlobs(e.to_string()))?;
        Ok(PathGlobs { set, rule_of })
    }
}

/// A rule's compiled pattern, in two tiers. Most windows a keyword hit opens hold no match, and
/// most rules a scan triggers never match at all, so a window is first screened by a forward DFA
/// without capture groups (see `screen.rs`): embedded at build time for most built-in patterns,
/// else lazy, which compiles in a fraction of the full regex's time. The full regex (match start,
/// capture groups) is built from the same parse on the first window the screen passes, and then
/// searches that window as it would have without the screen.
///
/// Byte windows merge into long runs where a rule's keyword is dense, and there the full regex's
/// literal prefilter (with its reverse-suffix and inner-literal strategies, which a screen lacks)
/// searches much faster. So a byte-window rule is screened only until a thread has searched
/// [`SCREEN_BYTES`] of its windows ([`DENSE_SCREEN_BYTES`] with an embedded screen); past that,
/// the thread searches with the full regex directly.
/// Line windows and searches anchored at a keyword hit are short and always screened; their full
/// regex gets no literal prefilter.
#[derive(Debug)]
pub struct CompiledPattern {
    /// Whether a search range holds a match; `None` for gitleaks rules without keywords, which
    /// search whole files with the full regex.
    pub screen: Option<Screen>,
    /// Bytes of windows a thread screens before it searches with the full regex directly.
    pub screen_bytes: usize,
    /// The full regex gets a literal prefilter.
    literal_prefilter: bool,
    /// The parsed pattern, kept to build the full regex from.
    hir: Hir,
    /// The full regex, built on first use.
    regex: OnceLock<Result<Regex, String>>,
    /// Capture group index of `secret`.
    pub secret_group: usize,
    /// Every match starts at the start of a line (the pattern begins with `(?m)^`), so a search
    /// may try line starts only, each anchored.
    pub at_line_start: bool,
    /// A literal every match holds (see `window::required_literal`): a window of a search that is
    /// not anchored at its hit is searched only if it holds the literal.
    pub required: Option<memchr::memmem::Finder<'static>>,
}

/// A rule's screen (see `screen.rs`): embedded dense for built-in patterns where it is small,
/// else lazy.
#[derive(Debug)]
pub enum Screen {
    /// Determinized by `build.rs`.
    Dense(dense::DFA<&'static [u32]>),
    /// States built by each thread as its searches reach them.
    Lazy(hybrid::dfa::DFA),
}

/// Bytes of byte windows a thread screens per rule before it turns to the full regex: about 50
/// windows of the default size. On moby, 82 of the 148 rules a scan triggers open 20 windows or
/// fewer, and never need the full regex unless one holds a match.
pub const SCREEN_BYTES: usize = 16 * 1024;

/// [`SCREEN_BYTES`] for a rule with an embedded dense screen, which costs nothing to build. On
/// aws-sdk-go, 48 byte-window rules search 16 KB of windows, most of them in windows of a few
/// hundred bytes, where the literal prefilter gains nothing over the screen; with this budget, the
/// rules with embedded screens keep them to the end of the scan.
pub const DENSE_SCREEN_BYTES: usize = 1024 * 1024;

impl CompiledPattern {
    /// The full regex, building it on first use. Only an error that the rule's load-time check
    /// (which builds it) reports can make this `None`.
    pub fn regex(&self) -> Option<&Regex> {
        self.full().ok()
    }

    fn full(&self) -> Result<&Regex, &String> {
        self.regex
            .get_or_init(|| {
                Regex::builder()
                    .configure(regex_config().auto_prefilter(self.literal_prefilter))
                    .build_from_hir(&self.hir)
                    .map_err(|e| e.to_string())
            })
            .as_ref()
    }
}

/// A rule's regexes that only run on a candidate match: its allow lists and related values.
/// Most rules never match in a given scan, so these are compiled apart from the pattern, on the
/// first candidate.
#[derive(Debug, Default)]
pub struct CompiledFilters {
    /// Matches that any of these find are dropped.
    pub allow: Vec<Regex>,
    /// Secrets that any of these find are dropped.
    pub allow_secret: Vec<Regex>,
    /// Related values: (name, regex whose first group is the value).
    pub related: Vec<(String, Regex)>,
}

impl Rule {
    /// The compiled pattern, compiling it on first use. `None` if the pattern is invalid, which
    /// load-time validation rules out for every rule that reaches a scan.
    pub fn compiled(&self) -> Option<&CompiledPattern> {
        self.compile().ok()
    }

    /// The compiled pattern, or why it does not compile.
    fn compile(&self) -> Result<&CompiledPattern, &String> {
        self.compiled
            .get_or_init(|| compile_rule_pattern(self))
            .as_ref()
    }

    /// The compiled allow lists and related-value regexes, compiling them on first use. `None`
    /// if one is invalid, which load-time validation rules out.
    pub fn filters(&self) -> Option<&CompiledFilters> {
        self.compile_filters().ok()
    }

    /// The compiled allow lists and related-value regexes, or why one does not compile.
    fn compile_filters(&self) -> Result<&CompiledFilters, &String> {
        self.filters
            .get_or_init(|| compile_rule_filters(self))
            .as_ref()
    }
}

/// Compiles a rule's pattern and finds its secret group.
pub fn compile_rule_pattern(rule: &Rule) -> Result<CompiledPattern, String> {
    // Gitleaks rules without keywords search whole files: no screen. Line windows and anchored
    // searches: always screened, no literal prefilter. Byte windows: screened up to a budget.
    let lines = rule.lines_after.is_some() || rule.starts_at_keyword;
    let screening = match (rule.keywords.is_empty(), lines) {
        (true, _) => Screening::None,
        (false, true) => Screening::Always,
        (false, false) => Screening::Budgeted,
    };
    let mut compiled = compile_pattern(&rule.pattern, screening, rule.starts_at_keyword)?;
    // A search anchored at its hit stops within a few bytes; a gate would read the whole window.
    if screening != Screening::None && !rule.starts_at_keyword {
        compiled.required = super::window::required_literal(&compiled.hir, &rule.keywords)
            .map(|literal| memchr::memmem::Finder::new(&literal).into_owned());
    }
    let groups = compiled.hir.properties().explicit_captures_len() + 1;
    compiled.secret_group = match rule.secret_group {
        SecretGroup::Named => compiled.secret_group,
        SecretGroup::Index(i) if i < groups => i,
        SecretGroup::Index(i) => return Err(format!("secret group {i} does not exist")),
        SecretGroup::FirstOrWhole => usize::from(groups > 1),
    };
    Ok(compiled)
}

/// Compiles a rule's allow lists and related-value regexes.
pub fn compile_rule_filters(rule: &Rule) -> Result<CompiledFilters, String> {
    let mut filters = CompiledFilters {
        allow: compile_all(&rule.allow_matches, "allow_matches")?,
        allow_secret: compile_all(&rule.allow_secrets, "allow_secrets")?,
        related: Vec::new(),
    };
    for (name, pattern) in &rule.related {
        // Related values are searched for in the whole file, where a literal prefilter pays.
        let re = byte_regex(pattern, regex_config())
            .map_err(|e| format!("bad related pattern {name:?}: {e}"))?;
        if re.group_info().group_len(regex_automata::PatternID::ZERO) < 2 {
            return Err(format!("related pattern {name:?} has no capture group"));
        }
        filters.related.push((name.clone(), re));
    }
    Ok(filters)
}

/// Compiles allow-list regexes. They run on one match or secret, too short for a literal
/// prefilter or a fully built DFA to pay for its construction.
fn compile_all(patterns: &[String], what: &str) -> Result<Vec<Regex>, String> {
    let config = regex_config().auto_prefilter(false);
    patterns
        .iter()
        .map(|a| {
            byte_regex(a, config.clone()).map_err(|e| format!("bad {what} pattern {a:?}: {e}"))
        })
        .collect()
}

/// Which windows of a rule are screened before its full regex runs (see [`CompiledPattern`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screening {
    /// None: the full regex searches whole files.
    None,
    /// Every window: lines and searches anchored at a keyword hit.
    Always,
    /// Byte windows, until a thread has screened [`SCREEN_BYTES`] of them
    /// ([`DENSE_SCREEN_BYTES`] with an embedded screen).
    Budgeted,
}

/// Compiles a rule pattern in byte mode with ASCII classes: secrets are ASCII, and byte mode lets
/// the regex run over files that are not valid UTF-8. When windows are screened, only the screen
/// is built now (see [`CompiledPattern`]); otherwise the full regex is. The full regex gets a
/// literal prefilter unless every window is screened: it pays off on long windows only. A rule
/// searched `at_keyword` hits, like a pattern that starts at a line start, is searched anchored
/// only, and its screen has no unanchored start.
pub fn compile_pattern(
    pattern: &str,
    screening: Screening,
    at_keyword: bool,
) -> Result<CompiledPattern, String> {
    let hir = parse_bytes(pattern)?;
    let at_line_start = screen::at_line_start(&hir);
    let anchored_only = screen::anchored_only(&hir, at_keyword);
    let screen = match screening {
        Screening::None => None,
        Screening::Always | Screening::Budgeted => {
            Some(match builtin_screen(pattern, anchored_only) {
                Some(dfa) => Screen::Dense(dfa),
                None => Screen::Lazy(lazy_screen(&hir)?),
            })
        }
    };
    // A dense screen costs nothing to build and searches about as fast as the full regex's lazy
    // DFA, so only long runs of merged windows, where the literal prefilter skips ahead, pay for
    // turning to the full regex.
    let screen_bytes = match (screening, &screen) {
        (Screening::None, _) => 0,
        (Screening::Always, _) => usize::MAX,
        (Screening::Budgeted, Some(Screen::Dense(_))) => DENSE_SCREEN_BYTES,
        (Screening::Budgeted, _) => SCREEN_BYTES,
    };
    let secret_group = capture_index(&hir, "secret").unwrap_or(usize::MAX);
    let compiled = CompiledPattern {
        screen,
        screen_bytes,
        literal_prefilter: screening != Screening::Always,
        hir,
        regex: OnceLock::new(),
        secret_group,
        at_line_start,
        required: None,
    };
    if compiled.screen.is_none() {
        compiled.full().map_err(String::clone)?;
    }
    Ok(compiled)
}

/// The index of the capture group called `name`.
fn capture_index(hir: &Hir, name: &str) -> Option<usize> {
    match hir.kind() {
        HirKind::Capture(capture) if capture.name.as_deref() == Some(name) => {
            usize::try_from(capture.index).ok()
        }
        HirKind::Capture(capture) => capture_index(&capture.sub, name),
        HirKind::Repetition(rep) => capture_index(&rep.sub, name),
        HirKind::Concat(items) | HirKind::Alternation(items) => {
            items.iter().find_map(|item| capture_index(item, name))
        }
        _ => None,
    }
}

/// The regex engine configuration of every rule regex. No one-pass DFA: it serves anchored
/// searches of one-pass patterns only, which few rule patterns are, and costs compile time. No
/// fully built DFA either: the lazy DFA searches windows as fast, and building a full one costs
/// compile time in every process.
fn regex_config() -> regex_automata::meta::Config {
    Regex::config().onepass(false).dfa(false)
}

fn byte_regex(pattern: &str, config: regex_automata::meta::Config) -> Result<Regex, String> {
    Regex::builder()
        .configure(config)
        .build_from_hir(&parse_bytes(pattern)?)
        .map_err(|e| e.to_string())
}

/// All rules plus the keyword prefilter.
#[derive(Debug)]
pub struct RuleSet {
    rules: Vec<Rule>,
    keywords: Prefilter,
    /// For each automaton pattern, the indexes of the rules that use that keyword.
    keyword_rules: Vec<Vec<usize>>,
    /// For each automaton pattern, the rules it triggers with their windows, laid out flat so a
    /// keyword hit reads one short run of memory instead of every rule's record.
    triggers: Vec<Vec<Trigger>>,
    /// The automaton patterns (lower-case keywords).
    patterns: Vec<String>,
    /// Per trigger: the bytes that may follow its keyword, for a rule that starts at it (see
    /// [`RuleSet::may_follow`]); worked out on the first hit.
    follows: Vec<Vec<OnceLock<Option<ByteSet>>>>,
    /// Rules with no keywords (imported gitleaks rules): tried on every blob.
    always: Vec<usize>,
    /// Rules that run only on some paths.
    path_rules: Vec<usize>,
    /// The globs of those rules.
    path_globs: PathGlobs,
    /// What loading the rules could not carry over (unsupported gitleaks fields).
    warnings: Vec<String>,
    /// Rule index by id, for look-ups from findings.
    by_id: HashMap<String, usize>,
}

impl RuleSet {
    /// The rules, in load order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The keyword automaton (ASCII case-insensitive); its keyword indexes are those of
    /// [`RuleSet::rules_for_keyword`].
    pub fn prefilter(&self) -> &Prefilter {
        &self.keywords
    }

    /// The rules that use keyword pattern `pattern`.
    pub fn rules_for_keyword(&self, pattern: usize) -> &[usize] {
        &self.keyword_rules[pattern]
    }

    /// The rules that keyword pattern `pattern` triggers, with their windows.
    pub fn triggers(&self, pattern: usize) -> &[Trigger] {
        &self.triggers[pattern]
    }

    /// Whether `next`, the byte after a hit of keyword pattern `pattern`, may follow the keyword
    /// in a match of the rule of trigger number `trigger`. Always true for a rule that does not
    /// start at its keyword or has no embedded screen; for one that does, a hit followed by
    /// another byte is one whose anchored try would die on that byte.
    pub fn may_follow(&self, pattern: usize, trigger: usize, next: u8) -> bool {
        let follow = self.follows[pattern][trigger].get_or_init(|| {
            let rule = &self.rules[self.triggers[pattern][trigger].rule];
            match rule.compiled()?.screen.as_ref()? {
                Screen::Dense(dfa) if rule.starts_at_keyword => {
                    screen::follow_set(dfa, self.patterns[pattern].as_bytes())
                }
                _ => None,
            }
        });
        follow.is_none_or(|set| set.contains(next))
    }

    /// Warnings from loading (fields of imported configurations that were not carried over).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Marks in `off` (one flag per rule) the rules that do not run on `path`.
    pub fn mark_rules_off(&self, path: &str, off: &mut [bool]) {
        if self.path_rules.is_empty() {
            return;
        }
        for &r in &self.path_rules {
            off[r] = self.rules[r]
                .paths
                .as_ref()
                .is_some_and(|p| !p.globs.is_empty());
        }
        if !self.path_globs.rule_of.is_empty() {
            let candidate = globset::Candidate::new(path);
            for glob in self.path_globs.set.matches_candidate(&candidate) {
                off[self.path_globs.rule_of[glob]] = false;
            }
        }
        for &r in &self.path_rules {
            if let Some(filter) = &self.rules[r].paths {
                off[r] = off[r] || !filter.regexes_allow(path);
            }
        }
    }

    /// Rules with no keywords, tried on every blob.
    pub fn always(&self) -> &[usize] {
        &self.always
    }

    /// Looks a rule up by id.
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.by_id.get(id).map(|&i| &self.rules[i])
    }
}

/// A rule that a keyword triggers, and the window around a hit where its regex runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trigger {
    /// Index of the rule.
    pub rule: usize,
    /// Bytes before the hit where a match may start.
    pub before: usize,
    /// Bytes after the hit where a match may end.
    pub after: usize,
    /// When set, the window is cut to the hit's line and this many lines after it.
    pub lines_after: Option<usize>,
    /// The window starts at the hit, and the regex runs anchored there.
    pub at_keyword: bool,
}

impl Trigger {
    /// The trigger of rule number `index`, with the rule's windows.
    pub fn for_rule(index: usize, rule: &Rule) -> Trigger {
        Trigger {
            rule: index,
            before: rule.window_before,
            after: rule.window_after,
            lines_after: rule.lines_after,
            at_keyword: rule.starts_at_keyword,
        }
    }

    /// The window of `hay` where the rule's regex runs for a keyword hit at `start..end`.
    pub fn window(&self, hay: &[u8], start: usize, end: usize) -> (usize, usize) {
        let from = match self.at_keyword {
            true => start,
            false => start.saturating_sub(self.before),
        };
        let to = hay.len().min(end.saturating_add(self.after));
        let Some(lines) = self.lines_after else {
            return (from, to);
        };
        let from = memchr::memrchr(b'\n', &hay[from..start]).map_or(from, |i| from + i + 1);
        // The newline stays in the window: a pattern may end on it (`[^A-Za-z0-9]` after a
        // token), and `$` without `(?m)` only matches where the window's search can end.
        let to = memchr::memchr_iter(b'\n', &hay[end..to])
            .nth(lines)
            .map_or(to, |i| end + i + 1);
        (from, to)
    }
}

/// Collects rule files and builds a [`RuleSet`].
#[derive(Debug, Default)]
pub struct RuleSetBuilder {
    rules: Vec<Rule>,
    warnings: Vec<String>,
}

impl RuleSetBuilder {
    /// An empty builder.
    pub fn new() -> RuleSetBuilder {
        RuleSetBuilder::default()
    }

    /// Adds the rules of one file's text. `origin` names the file in errors. When `eager` is
    /// set, patterns are compiled now and examples asserted, so errors surface at load time.
    /// A gitleaks v8 configuration (`[[rules]]`) is imported; what it cannot carry over becomes a
    /// warning on the built set.
    pub fn add_text(&mut self, origin: &str, text: &str, eager: bool) -> Result<(), RuleError> {
        let (rules, warnings) = parse_rules(origin, text)?;
        self.warnings.extend(warnings);
        for syntax in rules {
            let mut rule = validate(origin, syntax)?;
            if eager {
                narrow_windows(&mut rule);
                check_rule(&rule)?;
            }
            self.push(rule)?;
        }
        Ok(())
    }

    /// Adds the rules of a file, or of every `*.toml` file below a directory.
    pub fn add_path(&mut self, path: &Path) -> Result<(), RuleError> {
        for file in rule_files(path)? {
            let text = std::fs::read_to_string(&file).map_err(|e| RuleError::Io {
                file: file.display().to_string(),
                message: e.to_string(),
            })?;
            self.add_text(&file.display().to_string(), &text, true)?;
        }
        Ok(())
    }

    /// Checks every rule of a file or directory and returns every problem found, rather than
    /// stopping at the first (for `keytrail rules check`). Returns the number of rules checked.
    pub fn check_path_all(path: &Path) -> (usize, Vec<RuleError>) {
        let files = match rule_files(path) {
            Ok(f) => f,
            Err(e) => return (0, vec![e]),
        };
        let (mut checked, mut problems) = (0, Vec::new());
        let mut ids: HashMap<String, String> = HashMap::new();
        for file in files {
            let origin = file.display().to_string();
            let parsed = std::fs::read_to_string(&file)
                .map_err(|e| RuleError::Io {
                    file: origin.clone(),
                    message: e.to_string(),
                })
                .and_then(|text| parse_rules(&origin, &text));
            let rules = match parsed {
                Ok((rules, _)) => rules,
                Err(e) => {
                    problems.push(e);
                    continue;
                }
            };
            for s in rules {
                checked += 1;
                if let Some(first) = ids.insert(s.id.clone(), origin.clone()) {
                    problems.push(RuleError::Invalid {
                        file: origin.clone(),
                        rule: s.id.clone(),
                        problem: format!("duplicate rule id (first defined in {first})"),
                    });
                }
                let checked = validate(&origin, s).and_then(|mut rule| {
                    narrow_windows(&mut rule);
                    check_rule(&rule)
                });
                if let Err(e) = checked {
                    problems.push(e);
                }
            }
        }
        (checked, problems)
    }

    fn push(&mut self, rule: Rule) -> Result<(), RuleError> {
        if let Some(prev) = self.rules.iter().find(|r| r.id == rule.id) {
            return Err(RuleError::Invalid {
                file: rule.origin.clone(),
                rule: rule.id.to_string(),
                problem: format!("duplicate rule id (first defined in {})", prev.origin),
            });
        }
        self.rules.push(rule);
        Ok(())
    }

    /// Builds the keyword automaton and the rule set.
    pub fn build(self) -> Result<RuleSet, RuleError> {
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut patterns: Vec<String> = Vec::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        for (i, rule) in self.rules.iter().enumerate() {
            for kw in &rule.keywords {
                let key = kw.to_ascii_lowercase();
                let slot = *index.entry(key.clone()).or_insert_with(|| {
                    patterns.push(key);
                    keyword_rules.push(Vec::new());
                    patterns.len() - 1
                });
                if !keyword_rules[slot].contains(&i) {
                    keyword_rules[slot].push(i);
                }
            }
        }
        let keywords = Prefilter::new(&patterns).ok_or_else(|| {
            RuleError::Prefilter(format!(
                "{} keywords make too large a table",
                patterns.len()
            ))
        })?;
        let triggers = keyword_rules
            .iter()
            .map(|rules| {
                rules
                    .iter()
                    .map(|&rule| Trigger::for_rule(rule, &self.rules[rule]))
                    .collect()
            })
            .collect();
        let follows = keyword_rules
            .iter()
            .map(|rules| rules.iter().map(|_| OnceLock::new()).collect())
            .collect();
        let always = (0..self.rules.len())
            .filter(|&i| self.rules[i].keywords.is_empty())
            .collect();
        let path_rules = (0..self.rules.len())
            .filter(|&i| self.rules[i].paths.is_some())
            .collect();
        let path_globs = PathGlobs::new(&self.rules)?;
        let by_id = (0..self.rules.len())
            .map(|i| (self.rules[i].id.as_str().to_string(), i))
            .collect();
        Ok(RuleSet {
            path_globs,
            by_id,
            rules: self.rules,
            keywords,
            keyword_rules,
            triggers,
            patterns,
            follows,
            always,
            path_rules,
            warnings: self.warnings,
        })
    }
}

/// Parses one rule file: keytrail's `[[rule]]` syntax, or a gitleaks configuration (`[[rules]]`)
/// imported with warnings for what it cannot carry over.
fn parse_rules(origin: &str, text: &str) -> Result<(Vec<RuleSyntax>, Vec<String>), RuleError> {
    let syntax_err = |e: toml::de::Error| RuleError::Syntax {
        file: origin.to_string(),
        message: e.to_string(),
    };
    // A keytrail rule file reads straight into its syntax; only when it does not is the text
    // parsed again as a plain table, to tell a gitleaks configuration from a broken file.
    let typed = match toml::from_str::<RuleFile>(text) {
        Ok(file) => return Ok((file.rules, Vec::new())),
        Err(e) => e,
    };
    match toml::from_str::<toml::Table>(text) {
        Ok(doc) if super::gitleaks::is_gitleaks(&doc) => super::gitleaks::import(origin, &doc),
        Ok(_) => Err(syntax_err(typed)),
        Err(e) => Err(syntax_err(e)),
    }
}

fn rule_files(path: &Path) -> Result<Vec<PathBuf>, RuleError> {
    let io_err = |e: std::io::Error| RuleError::Io {
        file: path.display().to_string(),
        message: e.to_string(),
    };
    if !path.is_dir() {
        std::fs::metadata(path).map_err(io_err)?;
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path).map_err(io_err)? {
        let p = entry.map_err(io_err)?.path();
        if p.extension().is_some_and(|e| e == "toml") {
            files.push(p);
        }
    }
    files.sort();
    Ok(files)
}

/// Narrows a rule's windows to what its pattern needs, and anchors its searches at keyword hits
/// when every match starts with a keyword (see `window.rs`). `build.rs` has done this for the
/// built-in rules; rule files read at run time are narrowed as they load.
fn narrow_windows(rule: &mut Rule) {
    if let Some((before, after)) = super::window::narrowed(
        &rule.pattern,
        &rule.keywords,
        rule.window_before,
        rule.window_after,
    ) {
        rule.window_before = before;
        rule.window_after = after;
    }
    rule.starts_at_keyword |= super::window::starts_with_keyword(&rule.pattern, &rule.keywords);
}

fn validate(origin: &str, s: RuleSyntax) -> Result<Rule, RuleError> {
    let invalid = |problem: String| RuleError::Invalid {
        file: origin.to_string(),
        rule: s.id.clone(),
        problem,
    };
    if !is_valid_id(&s.id) {
        return Err(invalid(
            "id must be non-empty lowercase letters, digits, '.', '-' or '_'".into(),
        ));
    }
    if s.keywords.is_empty()
        && s.secret_group == SecretGroup::Named
        && s.paths.is_empty()
        && s.path_regex.is_none()
    {
        return Err(invalid(
            "no keywords: every rule needs at least one, or `paths` for a whole-file rule".into(),
        ));
    }
    if let Some(kw) = s.keywords.iter().find(|k| k.is_empty() || !k.is_ascii()) {
        return Err(invalid(format!("keyword {kw:?} must be non-empty ASCII")));
    }
    let confidence = Confidence::parse(&s.confidence).ok_or_else(|| {
        invalid(format!(
            "confidence {:?} is not one of low, medium, high",
            s.confidence
        ))
    })?;
    let check = match &s.check {
        None => None,
        Some(name) => Some(Check::parse(name).ok_or_else(|| {
            invalid(format!(
                "unknown check {name:?} (known: {})",
                Check::NAMES.join(", ")
            ))
        })?),
    };
    let paths = PathFilter::new(&s.paths, s.path_regex.as_deref(), &s.skip_path_regexes)
        .map_err(invalid)?;
    let decode_base64 = match s.decode.as_deref() {
        None => false,
        Some("base64") => true,
        Some(other) => return Err(invalid(format!("unknown decode {other:?} (known: base64)"))),
    };
    if let Some(e) = s.entropy
        && !(0.0..=8.0).contains(&e)
    {
        return Err(invalid(format!(
            "entropy {e} is outside 0..=8 bits per byte"
        )));
    }
    Ok(Rule {
        provider: s.provider.unwrap_or_else(|| provider_of(&s.id)),
        id: RuleId(s.id),
        name: s.name,
        keywords: s.keywords,
        pattern: s.pattern,
        entropy: s.entropy,
        check,
        confidence,
        window_before: s.window_before.unwrap_or(DEFAULT_WINDOW_BEFORE),
        window_after: s.window_after.unwrap_or(DEFAULT_WINDOW_AFTER),
        lines_after: s.lines_after,
        starts_at_keyword: s.starts_at_keyword,
        stopwords: s.stopwords.iter().map(|w| w.to_ascii_lowercase()).collect(),
        allow_matches: s.allow_matches,
        allow_secrets: s.allow_secrets,
        related: s.related.into_iter().collect(),
        paths,
        secret_group: s.secret_group,
        decode_base64,
        examples: s.examples,
        negative_examples: s.negative_examples,
        origin: origin.to_string(),
        compiled: OnceLock::new(),
        filters: OnceLock::new(),
    })
}

fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
}

fn provider_of(id: &str) -> String {
    id.split('.').next().unwrap_or(id).to_string()
}

/// Compiles a rule's pattern and asserts its examples: every example must produce a match of the
/// rule (after entropy and checks), no negative example may.
pub fn check_rule(rule: &Rule) -> Result<(), RuleError> {
    let invalid = |problem: String| RuleError::Invalid {
        file: rule.origin.clone(),
        rule: rule.id.to_string(),
        problem,
    };
    // Compiled into the rule itself, so that the example checks and a later scan reuse it.
    let bad = |e: &String| invalid(format!("bad pattern: {e}"));
    let compiled = rule.compile().map_err(bad)?;
    compiled.full().map_err(bad)?;
    rule.compile_filters().map_err(bad)?;
    if compiled.secret_group == usize::MAX {
        return Err(invalid("pattern has no named group `secret`".into()));
    }
    for (i, ex) in rule.examples.iter().enumerate() {
        if crate::scan::matcher::match_rule_in(rule, ex.as_bytes()).is_empty() {
            return Err(invalid(format!("example {} does not match: {ex:?}", i + 1)));
        }
        // As a line of a file, with the newline after it.
        let line = format!("{ex}\n");
        if crate::scan::matcher::match_rule_in(rule, line.as_bytes()).is_empty() {
            return Err(invalid(format!(
                "example {} does not match as a line of a file (followed by a newline): {ex:?}",
                i + 1
            )));
        }
    }
    for (i, ex) in rule.negative_examples.iter().enumerate() {
        if !crate::scan::matcher::match_rule_in(rule, ex.as_bytes()).is_empty() {
            return Err(invalid(format!(
                "negative example {} matches: {ex:?}",
                i + 1
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Result<RuleSet, RuleError> {
        let mut b = RuleSetBuilder::new();
        b.add_text("test.toml", text, true)?;
        b.build()
    }

    const GOOD: &str = r#"
[[rule]]
id = "demo.token"
name = "Demo token"
keywords = ["demo_"]
pattern = '''\b(?P<secret>demo_[a-z0-9]{8})\b'''
confidence = "high"
examples = ["x = demo_a1b2c3d4"]
negative_examples = ["x = demo_short"]
"#;

    /// A rule whose pattern is a built-in one gets the embedded dense screen and its larger
    /// budget, wherever the rule comes from; any other pattern gets a lazy screen.
    #[test]
    fn built_in_patterns_get_embedded_screens() {
        let builtin = crate::rules::load_ruleset(true, &[]).expect("built-in rules load");
        let dense = builtin
            .rules()
            .iter()
            .filter(|r| !r.keywords.is_empty())
            .find_map(|r| {
                let compiled = r.compiled()?;
                matches!(compiled.screen, Some(Screen::Dense(_))).then_some((r, compiled))
            })
            .expect("a built-in rule with an embedded screen");
        let (rule, compiled) = dense;
        let expected_budget = match rule.lines_after.is_some() || rule.starts_at_keyword {
            true => usize::MAX,
            false => DENSE_SCREEN_BYTES,
        };
        assert_eq!(compiled.screen_bytes, expected_budget, "{}", rule.id);
        let copy = compile_pattern(&rule.pattern, Screening::Budgeted, false).expect("compiles");
        assert!(matches!(copy.screen, Some(Screen::Dense(_))));
        assert_eq!(copy.screen_bytes, DENSE_SCREEN_BYTES);
        let own =
            compile_pattern(r"\bdemo_[a-z0-9]{8}\b", Screening::Budgeted, false).expect("compiles");
        assert!(matches!(own.screen, Some(Screen::Lazy(_))));
        assert_eq!(own.screen_bytes, SCREEN_BYTES);
    }

    #[test]
    fn good_rule_loads_and_maps_keyword() {
        let set = one(GOOD).unwrap();
        assert_eq!(set.rules().len(), 1);
        assert_eq!(set.rules()[0].provider, "demo");
        assert_eq!(set.rules_for_keyword(0), &[0]);
    }

    #[test]
    fn rule_files_read_at_run_time_get_narrowed_windows_and_anchored_searches() {
        // `\b demo_ [a-z0-9]{8} \b` is 13 bytes at most and starts with its 5-byte keyword.
        let set = one(GOOD).unwrap();
        let rule = &set.rules()[0];
        assert_eq!((rule.window_before, rule.window_after), (0, 8));
        assert!(rule.starts_at_keyword);
        let bounded = GOOD.replace(r"\b(?P<secret>", r"(?:^|[^a-z])(?P<secret>");
        let set = one(&bounded).unwrap();
        assert!(!set.rules()[0].starts_at_keyword);
        let wide = GOOD.replace("demo_[a-z0-9]{8}", "demo_[a-z0-9]{8,}");
        let set = one(&wide).unwrap();
        let rule = &set.rules()[0];
        assert_eq!(
            (rule.window_before, rule.window_after),
            (DEFAULT_WINDOW_BEFORE, DEFAULT_WINDOW_AFTER)
        );
    }

    #[test]
    fn each_rule_keeps_its_own_path_filter() {
        let rule = |id: &str, filter: &str| {
            GOOD.replace("demo.token", id).replace(
                "confidence = \"high\"",
                &format!("confidence = \"high\"\n{filter}"),
            )
        };
        let text = [
            rule("demo.tf", "paths = ['*.tf']"),
            rule(
                "demo.nb",
                "paths = ['*.ipynb', 'nb/**']\nskip_path_regexes = ['/old/']",
            ),
            rule("demo.deploy", "path_regex = '^deploy/'"),
            rule("demo.any", ""),
        ]
        .concat();
        let set = one(&text).unwrap();
        let mut off = vec![false; 4];
        let mut runs = |path: &str| {
            set.mark_rules_off(path, &mut off);
            off.iter().map(|&o| !o).collect::<Vec<_>>()
        };
        assert_eq!(runs("main.tf"), [true, false, false, true]);
        assert_eq!(runs("nb/a.ipynb"), [false, true, false, true]);
        assert_eq!(runs("nb/old/a.ipynb"), [false, false, false, true]);
        assert_eq!(runs("deploy/main.tf"), [true, false, true, true]);
        assert_eq!(runs("src/x.go"), [false, false, false, true]);
    }

    #[test]
    fn missing_secret_group_names_file_and_rule() {
        let text = GOOD.replace("?P<secret>", "");
        let err = one(&text).unwrap_err().to_string();
        assert!(err.contains("test.toml"), "{err}");
        assert!(err.contains("demo.token"), "{err}");
        assert!(err.contains("secret"), "{err}");
    }

    #[test]
    fn failing_example_is_reported() {
        let text = GOOD.replace("x = demo_a1b2c3d4", "nothing here");
        let err = one(&text).unwrap_err().to_string();
        assert!(err.contains("example 1 does not match"), "{err}");
    }

    #[test]
    fn matching_negative_example_is_reported() {
        let text = GOOD.replace("x = demo_short", "demo_a9b8c7d6");
        let err = one(&text).unwrap_err().to_string();
        assert!(err.contains("negative example 1 matches"), "{err}");
    }

    #[test]
    fn unknown_field_and_bad_confidence_are_errors() {
        let err = one(&GOOD.replace("confidence = \"high\"", "confidence = \"sure\""))
            .unwrap_err()
            .to_string();
        assert!(err.contains("confidence"), "{err}");
        let err = one(&format!("{GOOD}\nsevere = true\n"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("test.toml"), "{err}");
    }

    #[test]
    fn duplicate_ids_are_rejected() {
        let err = one(&format!("{GOOD}{GOOD}")).unwrap_err().to_string();
        assert!(err.contains("duplicate rule id"), "{err}");
    }

    #[test]
    fn bad_regex_is_reported() {
        let err = one(&GOOD.replace("[a-z0-9]{8}", "[a-z0-9"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("bad pattern"), "{err}");
    }
}
