//! Reading a CODEOWNERS file: comments, escapes, patterns, owners and GitLab sections.
//!
//! Parsing never fails as a whole: a bad line is recorded as a [`LineError`] with its line
//! number and the rest of the file is read. GitHub lines may end in a `#` comment; GitLab has
//! no inline comments (its parser keeps whatever owners a comment names, and so does this one).
//! GitLab files may hold sections: `[Name]`, `^[Optional]`, `[Name][2]`, each with optional
//! default owners after the header. Lines before the first header form an unnamed section.
//! Sections with the same name (in any case) are one section. Matching is `resolve`'s job.

use super::pattern::{self, Syntax};
use super::{LineError, Owner, Problem};

/// Which platform's CODEOWNERS rules a file follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Flavor {
    /// GitHub (and gitignore-style patterns).
    GitHub,
    /// GitLab (sections, exclusions, `fnmatch` patterns).
    GitLab,
}

impl Flavor {
    /// `GitHub` or `GitLab`.
    pub fn name(self) -> &'static str {
        match self {
            Flavor::GitHub => "GitHub",
            Flavor::GitLab => "GitLab",
        }
    }
}

/// A GitLab section; index 0 of [`Codeowners::sections`] is the unnamed section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The name as first written; empty for the unnamed section.
    pub name: String,
    /// `^[Name]`: approval is optional (only if every header of the name says so).
    pub optional: bool,
    /// `[Name][N]`: approvals required.
    pub approvals: Option<u32>,
    /// Line of the first header with this name (0 for the unnamed section).
    pub line: u32,
}

/// One pattern line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// 1-based line number.
    pub line: u32,
    /// The pattern as written (escapes included).
    pub pattern: String,
    /// The owners (a GitLab section's defaults when the line names none); empty means
    /// deliberately unowned.
    pub owners: Vec<Owner>,
    /// Index into [`Codeowners::sections`].
    pub section: usize,
    /// A GitLab `!pattern` exclusion.
    pub exclusion: bool,
    /// The pattern, compiled.
    pub compiled: pattern::Compiled,
}

/// A parsed CODEOWNERS file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Codeowners {
    /// Path of the file in the repository, e.g. `.github/CODEOWNERS`.
    pub file: String,
    /// The syntax it was read with.
    pub flavor: Flavor,
    /// Sections (GitLab); always at least the unnamed one.
    pub sections: Vec<Section>,
    /// Pattern lines in file order.
    pub rules: Vec<Rule>,
    /// Problems, in line order.
    pub errors: Vec<LineError>,
}

/// Whether `text` holds GitLab section headers (`[Name]` or `^[Name]` lines).
pub fn has_sections(text: &str) -> bool {
    text.lines()
        .any(|l| matches!(parse_header(l.trim()), Some(Ok(_)) | Some(Err(_))))
}

/// State while reading one file.
struct Parser {
    out: Codeowners,
    section: usize,
    defaults: Vec<Owner>,
}

/// Parses `text` (the contents of `file`) with `flavor`'s rules.
pub fn parse(file: &str, text: &str, flavor: Flavor) -> Codeowners {
    let unnamed = Section {
        name: String::new(),
        optional: false,
        approvals: None,
        line: 0,
    };
    let mut p = Parser {
        out: Codeowners {
            file: file.to_string(),
            flavor,
            sections: vec![unnamed],
            rules: Vec::new(),
            errors: Vec::new(),
        },
        section: 0,
        defaults: Vec::new(),
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for (i, line) in text.lines().enumerate() {
        p.line(u32::try_from(i + 1).unwrap_or(u32::MAX), line.trim());
    }
    p.out
}

impl Parser {
    fn error(&mut self, line: u32, problem: Problem) {
        self.out.errors.push(LineError {
            file: self.out.file.clone(),
            line,
            problem,
        });
    }

    fn line(&mut self, n: u32, line: &str) {
        if line.is_empty() || line.starts_with('#') {
            return;
        }
        match parse_header(line) {
            Some(Ok(h)) if self.out.flavor == Flavor::GitLab => self.header(n, h),
            Some(Ok(_)) => self.error(n, Problem::SectionOnGitHub),
            Some(Err(why)) if self.out.flavor == Flavor::GitLab => {
                self.error(n, Problem::BadSection(why))
            }
            _ => self.entry(n, line),
        }
    }

    fn header(&mut self, n: u32, h: Header<'_>) {
        let owners = self.owners(n, &h.owners);
        let existing = self
            .out
            .sections
            .iter()
            .position(|s| s.line > 0 && s.name.eq_ignore_ascii_case(h.name));
        self.section = match existing {
            Some(i) => {
                let s = &mut self.out.sections[i];
                s.optional &= h.optional;
                s.approvals = h.approvals.or(s.approvals);
                i
            }
            None => {
                self.out.sections.push(Section {
                    name: h.name.to_string(),
                    optional: h.optional,
                    approvals: h.approvals,
                    line: n,
                });
                self.out.sections.len() - 1
            }
        };
        self.defaults = owners.unwrap_or_default();
    }

    fn entry(&mut self, n: u32, line: &str) {
        let gitlab = self.out.flavor == Flavor::GitLab;
        let words = split_words(line, !gitlab);
        let Some((raw, owner_words)) = words.split_first() else {
            return;
        };
        let exclusion = gitlab && raw.starts_with('!');
        let pattern_text = if exclusion { &raw[1..] } else { raw.as_str() };
        let syntax = if gitlab {
            Syntax::GitLab
        } else {
            Syntax::GitHub
        };
        let compiled = match pattern::compile(pattern_text, syntax) {
            Ok(g) => g,
            Err(e) => return self.error(n, Problem::Pattern(e)),
        };
        let owners = if exclusion {
            if !owner_words.is_empty() {
                self.error(n, Problem::OwnersOnExclusion);
            }
            Vec::new()
        } else {
            match self.owners(n, owner_words) {
                Some(o) => o,
                None => return,
            }
        };
        let owners = if owners.is_empty() && !exclusion && gitlab {
            if self.defaults.is_empty() {
                self.error(n, Problem::MissingOwner);
            }
            self.defaults.clone()
        } else {
            owners
        };
        self.out.rules.push(Rule {
            line: n,
            pattern: raw.clone(),
            owners,
            section: self.section,
            exclusion,
            compiled,
        });
    }

    /// The valid owners among `words`; `None` when there were words but none is an owner
    /// (GitHub: the line is skipped). GitLab ignores words that are not owners.
    fn owners(&mut self, n: u32, words: &[String]) -> Option<Vec<Owner>> {
        let gitlab = self.out.flavor == Flavor::GitLab;
        let mut owners = Vec::with_capacity(words.len());
        let mut bad = Vec::new();
        for w in words {
            match Owner::parse(w, gitlab) {
                Some(o) if !owners.contains(&o) => owners.push(o),
                Some(_) => {}
                None => bad.push(w.clone()),
            }
        }
        if owners.is_empty() && !bad.is_empty() && !gitlab {
            self.error(n, Problem::NoValidOwner(bad.join(" ")));
            return None;
        }
        for w in bad {
            self.error(n, Problem::BadOwner(w));
        }
        Some(owners)
    }
}

/// Splits a line into words at unescaped white space, keeping escapes in the words. With
/// `comments`, an unescaped `#` ends the line (GitHub inline comments).
fn split_words(line: &str, comments: bool) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                cur.push(c);
                if let Some(next) = chars.next() {
                    cur.push(next);
                }
            }
            '#' if comments => break,
            c if c.is_whitespace() => {
                if !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

/// A GitLab section header.
struct Header<'a> {
    name: &'a str,
    optional: bool,
    approvals: Option<u32>,
    owners: Vec<String>,
}

/// `Some(Ok)` for a header, `Some(Err)` for a line that is meant as a header but malformed,
/// `None` for any other line (such as a pattern starting with a character class).
fn parse_header(line: &str) -> Option<Result<Header<'_>, String>> {
    let (optional, rest) = match line.strip_prefix('^') {
        Some(r) => (true, r),
        None => (false, line),
    };
    let body = rest.strip_prefix('[')?;
    let close = body.find(']')?;
    let (name, after) = (&body[..close], &body[close + 1..]);
    let (approvals, after) = match after.strip_prefix('[') {
        Some(a) => {
            let end = a.find(']')?;
            (Some(&a[..end]), &a[end + 1..])
        }
        None => (None, after),
    };
    if !(after.is_empty() || after.starts_with(char::is_whitespace)) {
        return None;
    }
    Some(header_parts(name, approvals, after, optional))
}

fn header_parts<'a>(
    name: &'a str,
    approvals: Option<&str>,
    after: &str,
    optional: bool,
) -> Result<Header<'a>, String> {
    if name.trim().is_empty() {
        return Err("the section has no name".into());
    }
    let approvals = match approvals {
        None => None,
        Some(a) => Some(
            a.trim()
                .parse::<u32>()
                .map_err(|_| format!("approval count {a:?} is not a number"))?,
        ),
    };
    Ok(Header {
        name: name.trim(),
        optional,
        approvals,
        owners: split_words(after, false),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_lines_comments_and_owners() {
        let co = parse(
            ".github/CODEOWNERS",
            "# comment\n\n*       @global @global # trailing\n*.js @js-owner #inline\n/docs/ docs@example.com\n/vendor/\n",
            Flavor::GitHub,
        );
        assert!(co.errors.is_empty(), "{:?}", co.errors);
        let lines: Vec<(u32, &str, usize)> = co
            .rules
            .iter()
            .map(|r| (r.line, r.pattern.as_str(), r.owners.len()))
            .collect();
        assert_eq!(
            lines,
            vec![
                (3, "*", 1),
                (4, "*.js", 1),
                (5, "/docs/", 1),
                (6, "/vendor/", 0)
            ]
        );
    }

    #[test]
    fn github_bad_lines_are_reported_and_skipped() {
        let co = parse(
            "CODEOWNERS",
            "!*.rb @a\n*.[ch] @c\n* owner\n*.md @ok not-an-owner\n[Docs]\n",
            Flavor::GitHub,
        );
        let lines: Vec<u32> = co.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![1, 2, 3, 4, 5]);
        assert_eq!(co.rules.len(), 1);
        assert_eq!(co.rules[0].owners, vec![Owner::new("@ok")]);
        assert!(
            co.errors[0]
                .to_string()
                .starts_with("CODEOWNERS:1: `!` negation")
        );
    }

    #[test]
    fn gitlab_sections_defaults_and_exclusions() {
        let text = "* @admin\n[Docs][2] @docs-team\ndocs/\nREADME.md @writer\n^[Database] @db\n!model/gen/\n[docs]\nguide/\n[]\n";
        let co = parse("CODEOWNERS", text, Flavor::GitLab);
        let names: Vec<&str> = co.sections.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, vec!["", "Docs", "Database"]);
        assert_eq!(co.sections[1].approvals, Some(2));
        assert!(co.sections[2].optional);
        let r: Vec<(u32, usize, String, bool)> = co
            .rules
            .iter()
            .map(|r| {
                (
                    r.line,
                    r.section,
                    r.owners.iter().map(|o| o.to_string()).collect(),
                    r.exclusion,
                )
            })
            .collect();
        assert_eq!(
            r,
            vec![
                (1, 0, "@admin".into(), false),
                (3, 1, "@docs-team".into(), false),
                (4, 1, "@writer".into(), false),
                (6, 2, String::new(), true),
                (8, 1, String::new(), false),
            ]
        );
        let errs: Vec<u32> = co.errors.iter().map(|e| e.line).collect();
        assert_eq!(errs, vec![8, 9], "{:?}", co.errors);
    }

    #[test]
    fn headers_are_told_from_character_classes() {
        assert!(parse_header("[abc]*.rb @x").is_none());
        assert!(matches!(parse_header("[Name][x] @a"), Some(Err(_))));
        assert!(has_sections("* @a\n^[Opt]\n"));
        assert!(!has_sections("* @a\n"));
    }

    #[test]
    fn arbitrary_lines_never_panic() {
        let pieces = [
            "*",
            "**",
            "***",
            "/",
            "\\",
            "\\ ",
            "#",
            "[",
            "]",
            "^[",
            "[x][",
            "!",
            "@",
            "@@",
            "a",
            " ",
            "\t",
            "é",
            "{",
            "}",
            "?",
            "@a/b/c",
            "[S][9999999999]",
            "\u{1b}",
            "//",
        ];
        let mut seed = 7u64;
        let mut text = String::new();
        for _ in 0..4000 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let piece = pieces[(seed >> 33) as usize % pieces.len()];
            text.push_str(piece);
            if seed.is_multiple_of(7) {
                text.push('\n');
            }
        }
        for flavor in [Flavor::GitHub, Flavor::GitLab] {
            let co = parse("CODEOWNERS", &text, flavor);
            let m = crate::owners::resolve::CodeownersMatcher::new(&co).unwrap();
            for path in ["a", "a/b", "é/[/x", ""] {
                let _ = m.decide(&co, path);
            }
        }
        let _ = crate::owners::map::parse("k.toml", &text);
    }
}
