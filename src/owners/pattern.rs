//! CODEOWNERS and owners-map patterns, translated into `globset` globs.
//!
//! Each platform reads patterns its own way, and this module is where the differences live:
//!
//! - **GitHub** (gitignore rules with exceptions): a pattern with no slash, or only a trailing
//!   one, matches at any depth; a leading or middle slash anchors it to the root; a trailing
//!   slash matches everything beneath a directory; a pattern without one matches the path
//!   itself and everything beneath it, except that a last segment of a lone `*` (`docs/*`)
//!   matches only direct children. `*` and `?` never cross `/`, `**` does. GitHub documents
//!   `!` negation and `[ ]` character ranges as not working: such lines are reported and
//!   skipped, as GitHub skips them, so a finding goes where GitHub would send the review.
//! - **GitLab** (`File.fnmatch` with `FNM_PATHNAME | FNM_DOTMATCH`): a pattern without a
//!   leading slash matches at any depth even when it holds a middle slash; a trailing slash
//!   matches everything beneath; otherwise the pattern must match the whole path. `**` is
//!   recursive only as `**/`. Character classes work. (`!` exclusions are read by
//!   `codeowners`, not here.)
//! - **Owners map** paths use the GitHub rules with character classes allowed.
//!
//! Backslash escapes (`\ `, `\#`, `\*`) make the next character literal in every flavour.
//! Braces are always literal. This module only translates; matching is `resolve`'s job.

use globset::{Glob, GlobBuilder};

/// How to read a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// GitHub CODEOWNERS.
    GitHub,
    /// GitLab CODEOWNERS.
    GitLab,
    /// Owners map `paths` (GitHub rules plus character classes).
    Map,
}

/// Why a pattern cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    /// An empty pattern.
    #[error("empty pattern")]
    Empty,
    /// `!` negation, which GitHub CODEOWNERS does not support.
    #[error("`!` negation is not supported by GitHub CODEOWNERS")]
    Negation,
    /// `[ ]` character ranges, which GitHub CODEOWNERS does not support.
    #[error("`[ ]` character ranges are not supported by GitHub CODEOWNERS (escape them as `\\[`)")]
    CharacterRange,
    /// `/` alone, which matches nothing.
    #[error("the pattern `/` matches nothing (did you mean `*`?)")]
    RootOnly,
    /// Three or more asterisks in a row.
    #[error("three or more consecutive `*` are not a valid pattern")]
    TripleStar,
    /// An empty path segment (`a//b`).
    #[error("empty path segment (`//`)")]
    EmptySegment,
    /// `globset` rejected the translated glob (an unclosed class, say).
    #[error("invalid pattern: {0}")]
    Glob(String),
}

/// One character of a pattern: escaped (always literal) or plain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Plain(char),
    Escaped(char),
}

/// A pattern ready for matching.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Compiled {
    /// An anchored pattern without wildcards (`/services/payments/`, `/Makefile`): looked up by
    /// path and path prefix in a hash map instead of matched as a glob. Large CODEOWNERS files
    /// are mostly such lines, so this keeps compiling them cheap.
    Literal {
        /// The path, unescaped, without leading or trailing slash.
        path: String,
        /// What it matches.
        reach: Reach,
    },
    /// Globs that together match what the pattern matches.
    Globs(Vec<Glob>),
}

/// What a literal pattern matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// The path itself (GitLab without a trailing slash).
    Exact,
    /// Everything beneath the path (a trailing slash).
    Beneath,
    /// The path itself and everything beneath it (GitHub without a trailing slash).
    ExactOrBeneath,
}

/// A pattern taken apart: its segments and where it is anchored.
struct Shape {
    segments: Vec<Vec<Tok>>,
    anchored: bool,
    dir_only: bool,
}

/// Translates `raw` into the globs that together match what it matches (one or two). Every
/// glob is checked to compile.
pub fn translate(raw: &str, syntax: Syntax) -> Result<Vec<String>, PatternError> {
    let shape = analyze(raw, syntax)?;
    let globs = shape_globs(&shape.segments, shape.anchored, shape.dir_only, syntax);
    for g in &globs {
        build(g).map_err(|e| PatternError::Glob(e.kind().to_string()))?;
    }
    Ok(globs)
}

/// Compiles `raw`: a hash-map literal when it is anchored and has no wildcard, else globs.
pub fn compile(raw: &str, syntax: Syntax) -> Result<Compiled, PatternError> {
    let shape = analyze(raw, syntax)?;
    if shape.anchored && shape.segments.iter().flatten().all(|t| !is_wild(*t)) {
        let path = unescape(&shape.segments);
        let reach = match (shape.dir_only, syntax) {
            (true, _) => Reach::Beneath,
            (false, Syntax::GitLab) => Reach::Exact,
            (false, _) => Reach::ExactOrBeneath,
        };
        return Ok(Compiled::Literal { path, reach });
    }
    let strings = shape_globs(&shape.segments, shape.anchored, shape.dir_only, syntax);
    let globs = strings
        .iter()
        .map(|g| build(g).map_err(|e| PatternError::Glob(e.kind().to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Compiled::Globs(globs))
}

fn is_wild(t: Tok) -> bool {
    matches!(t, Tok::Plain('*' | '?' | '[' | ']'))
}

fn unescape(segments: &[Vec<Tok>]) -> String {
    let parts: Vec<String> = segments
        .iter()
        .map(|seg| {
            seg.iter()
                .map(|t| match *t {
                    Tok::Plain(c) | Tok::Escaped(c) => c,
                })
                .collect()
        })
        .collect();
    parts.join("/")
}

fn analyze(raw: &str, syntax: Syntax) -> Result<Shape, PatternError> {
    let mut toks = tokenize(raw);
    check_supported(&toks, syntax)?;
    let explicit_anchor = toks.first() == Some(&Tok::Plain('/'));
    if explicit_anchor {
        toks.remove(0);
    }
    let dir_only = toks.last() == Some(&Tok::Plain('/'));
    if dir_only {
        toks.pop();
    }
    if toks.is_empty() {
        return Err(if explicit_anchor || dir_only {
            PatternError::RootOnly
        } else {
            PatternError::Empty
        });
    }
    let mut segments: Vec<Vec<Tok>> = toks
        .split(|t| *t == Tok::Plain('/'))
        .map(<[Tok]>::to_vec)
        .collect();
    if segments.iter().any(Vec::is_empty) {
        return Err(PatternError::EmptySegment);
    }
    normalize_stars(&mut segments, syntax)?;
    let anchored = match syntax {
        Syntax::GitLab => explicit_anchor,
        Syntax::GitHub | Syntax::Map => explicit_anchor || segments.len() > 1,
    };
    Ok(Shape {
        segments,
        anchored,
        dir_only,
    })
}

/// Builds one glob with the options every owners glob uses: `*` and `?` do not cross `/`,
/// backslash escapes.
pub fn build(glob: &str) -> Result<Glob, globset::Error> {
    GlobBuilder::new(glob)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
}

fn tokenize(raw: &str) -> Vec<Tok> {
    let mut out = Vec::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match (c, chars.clone().next()) {
            ('\\', Some(next)) => {
                chars.next();
                out.push(Tok::Escaped(next));
            }
            _ => out.push(Tok::Plain(c)),
        }
    }
    out
}

fn check_supported(toks: &[Tok], syntax: Syntax) -> Result<(), PatternError> {
    if toks.is_empty() {
        return Err(PatternError::Empty);
    }
    if toks[0] == Tok::Plain('!') && syntax != Syntax::GitLab {
        return Err(PatternError::Negation);
    }
    let has_class = toks
        .iter()
        .any(|t| matches!(t, Tok::Plain('[') | Tok::Plain(']')));
    if has_class && syntax == Syntax::GitHub {
        return Err(PatternError::CharacterRange);
    }
    Ok(())
}

/// `**` is recursive only as a whole segment; elsewhere it is `*`. In GitLab it is recursive
/// only when a `/` follows, so a last `**` segment is `*` too.
fn normalize_stars(segments: &mut [Vec<Tok>], syntax: Syntax) -> Result<(), PatternError> {
    let last = segments.len() - 1;
    for (i, seg) in segments.iter_mut().enumerate() {
        let stars = seg
            .windows(3)
            .any(|w| w.iter().all(|t| *t == Tok::Plain('*')));
        if stars {
            return Err(PatternError::TripleStar);
        }
        if is_double_star(seg) {
            if syntax == Syntax::GitLab && i == last {
                seg.truncate(1);
            }
            continue;
        }
        let mut out = Vec::with_capacity(seg.len());
        for t in seg.iter() {
            if *t == Tok::Plain('*') && out.last() == Some(&Tok::Plain('*')) {
                continue;
            }
            out.push(*t);
        }
        *seg = out;
    }
    Ok(())
}

fn is_double_star(seg: &[Tok]) -> bool {
    seg == [Tok::Plain('*'), Tok::Plain('*')]
}

fn is_lone_star(seg: &[Tok]) -> bool {
    seg == [Tok::Plain('*')]
}

/// The globs for normalised segments.
fn shape_globs(
    segments: &[Vec<Tok>],
    anchored: bool,
    dir_only: bool,
    syntax: Syntax,
) -> Vec<String> {
    let body = render(segments);
    let prefix = if anchored || is_double_star(&segments[0]) {
        ""
    } else {
        "**/"
    };
    let base = format!("{prefix}{body}");
    let last = &segments[segments.len() - 1];
    if is_double_star(last) {
        return vec![base];
    }
    if dir_only {
        return vec![format!("{base}/**")];
    }
    if syntax == Syntax::GitLab || is_lone_star(last) {
        return vec![base];
    }
    vec![base.clone(), format!("{base}/**")]
}

fn render(segments: &[Vec<Tok>]) -> String {
    let mut out = String::new();
    for (i, seg) in segments.iter().enumerate() {
        if i > 0 {
            out.push('/');
        }
        for t in seg {
            match *t {
                Tok::Escaped(c) if is_meta(c) => {
                    out.push('\\');
                    out.push(c);
                }
                Tok::Escaped(c) => out.push(c),
                Tok::Plain(c) if matches!(c, '{' | '}' | ',') => {
                    out.push('\\');
                    out.push(c);
                }
                Tok::Plain(c) => out.push(c),
            }
        }
    }
    out
}

fn is_meta(c: char) -> bool {
    matches!(
        c,
        '*' | '?' | '[' | ']' | '{' | '}' | '\\' | '!' | ',' | '-' | '^'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gh(p: &str) -> Vec<String> {
        translate(p, Syntax::GitHub).unwrap()
    }

    #[test]
    fn github_shapes() {
        assert_eq!(gh("*"), vec!["**/*"]);
        assert_eq!(gh("*.js"), vec!["**/*.js", "**/*.js/**"]);
        assert_eq!(gh("/build/logs/"), vec!["build/logs/**"]);
        assert_eq!(gh("docs/*"), vec!["docs/*"]);
        assert_eq!(gh("apps/"), vec!["**/apps/**"]);
        assert_eq!(gh("**/logs"), vec!["**/logs", "**/logs/**"]);
        assert_eq!(gh("foo/bar"), vec!["foo/bar", "foo/bar/**"]);
        assert_eq!(gh("foo/**"), vec!["foo/**"]);
        assert_eq!(gh("foo/**/"), vec!["foo/**"]);
        assert_eq!(gh(r"path\ with\ spaces/"), vec!["**/path with spaces/**"]);
        assert_eq!(gh(r"\#hash"), vec!["**/#hash", "**/#hash/**"]);
        assert_eq!(gh(r"f\*o"), vec![r"**/f\*o", r"**/f\*o/**"]);
        assert_eq!(gh("a{b}"), vec![r"**/a\{b\}", r"**/a\{b\}/**"]);
    }

    #[test]
    fn gitlab_shapes() {
        let gl = |p: &str| translate(p, Syntax::GitLab).unwrap();
        assert_eq!(gl("*"), vec!["**/*"]);
        assert_eq!(gl("internal/README.md"), vec!["**/internal/README.md"]);
        assert_eq!(gl("/docs/"), vec!["docs/**"]);
        assert_eq!(gl("/docs/**"), vec!["docs/*"]);
        assert_eq!(gl("*.[ch]"), vec!["**/*.[ch]"]);
    }

    #[test]
    fn anchored_patterns_without_wildcards_are_literals() {
        let lit = |p: &str, s| match compile(p, s).unwrap() {
            Compiled::Literal { path, reach } => Some((path, reach)),
            Compiled::Globs(_) => None,
        };
        let l = |p: &str, r| Some((p.to_string(), r));
        assert_eq!(lit("/docs/", Syntax::GitHub), l("docs", Reach::Beneath));
        assert_eq!(
            lit(r"a/b\ c", Syntax::GitHub),
            l("a/b c", Reach::ExactOrBeneath)
        );
        assert_eq!(
            lit("/README.md", Syntax::GitLab),
            l("README.md", Reach::Exact)
        );
        assert_eq!(lit("README.md", Syntax::GitLab), None);
        assert_eq!(lit("docs/*.md", Syntax::GitHub), None);
        assert_eq!(
            lit(r"/f\*o", Syntax::GitHub),
            l("f*o", Reach::ExactOrBeneath)
        );
    }

    #[test]
    fn unsupported_and_broken_patterns_are_errors() {
        let e = |p: &str, s| translate(p, s).unwrap_err();
        assert_eq!(e("!*.rb", Syntax::GitHub), PatternError::Negation);
        assert_eq!(e("*.[ch]", Syntax::GitHub), PatternError::CharacterRange);
        assert_eq!(e("/", Syntax::GitHub), PatternError::RootOnly);
        assert_eq!(e("a/***", Syntax::GitHub), PatternError::TripleStar);
        assert_eq!(e("a//b", Syntax::GitHub), PatternError::EmptySegment);
        assert!(matches!(e("[abc", Syntax::GitLab), PatternError::Glob(_)));
        assert!(translate(r"\[x\]", Syntax::GitHub).is_ok());
    }
}
