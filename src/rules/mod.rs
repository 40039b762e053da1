//! Rules: their file syntax, validation, compilation into a [`RuleSet`], and the built-in
//! catalogue embedded at build time.
//!
//! This module decides *what* to look for. How bytes are searched is `scan`'s job.

mod builtin;
mod compile;
mod gitleaks;
mod prefilter;
mod screen;
mod syntax;
mod window;

pub use builtin::{builtin_files, load_ruleset};
pub use compile::{
    CompiledFilters, CompiledPattern, Confidence, DEFAULT_WINDOW_AFTER, DEFAULT_WINDOW_BEFORE,
    Rule, RuleId, RuleSet, RuleSetBuilder, SCREEN_BYTES, Screen, Screening, Trigger, check_rule,
    compile_pattern,
};
pub use prefilter::{KeywordHit, Prefilter, PrefilterScratch};
pub use syntax::{RuleFile, RuleSyntax, SecretGroup};

/// A problem with a rule file. Every variant names the file; rule-level problems name the rule.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    /// The file could not be read.
    #[error("{file}: cannot read rule file: {message}")]
    Io {
        /// The file.
        file: String,
        /// The I/O error.
        message: String,
    },
    /// The file is not valid TOML or does not have the rule file shape.
    #[error("{file}: invalid rule file: {message}")]
    Syntax {
        /// The file.
        file: String,
        /// The parser's message (with line and column).
        message: String,
    },
    /// One rule is invalid.
    #[error("{file}: rule `{rule}`: {problem}")]
    Invalid {
        /// The file.
        file: String,
        /// The rule id.
        rule: String,
        /// What is wrong.
        problem: String,
    },
    /// The keyword automaton could not be built.
    #[error("cannot build the keyword prefilter: {0}")]
    Prefilter(String),
    /// The rules' path globs could not be matched as one set.
    #[error("cannot build the rules' path globs: {0}")]
    PathGlobs(String),
}
