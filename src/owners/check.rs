//! `owners check`: problems in a repository's CODEOWNERS file and owners map, each with its
//! file and line.
//!
//! Besides what parsing reports (unknown syntax, malformed owners, unsupported features), the
//! rules are matched against every file of the tree: a CODEOWNERS line or owners map entry that
//! matches no file is reported, and so is one that matches files but never decides, because
//! later lines or entries claim every one of them (it is shadowed).

use super::attribute::RepoOwnership;
use super::resolve;

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// The line was skipped or the rule can never apply.
    Error,
    /// The line was read, but something in it is probably not what was meant.
    Warning,
}

/// One problem at one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The rules file.
    pub file: String,
    /// 1-based line (0 when the problem concerns the whole file).
    pub line: u32,
    /// How serious it is.
    pub level: Level,
    /// What is wrong.
    pub message: String,
}

/// Checks `own`'s rules against the repository's `files` (paths from the root).
pub fn check(own: &RepoOwnership, files: &[String]) -> Vec<Diagnostic> {
    let mut out: Vec<Diagnostic> = own
        .errors()
        .into_iter()
        .map(|e| Diagnostic {
            file: e.file.clone(),
            line: e.line,
            level: if e.problem.is_skipped() {
                Level::Error
            } else {
                Level::Warning
            },
            message: e.problem.to_string(),
        })
        .collect();
    if let Some(co) = &own.codeowners {
        for other in &own.ignored_codeowners {
            out.push(Diagnostic {
                file: other.clone(),
                line: 0,
                level: Level::Warning,
                message: format!(
                    "not used: {} is read first ({} rules)",
                    co.file,
                    co.flavor.name()
                ),
            });
        }
    }
    out.extend(codeowners_coverage(own, files));
    out.extend(map_coverage(own, files));
    out.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    out
}

/// For each rule: how many files it matches, and how many it decides.
fn tally(n: usize) -> (Vec<usize>, Vec<usize>, Vec<Option<usize>>) {
    (vec![0; n], vec![0; n], vec![None; n])
}

fn codeowners_coverage(own: &RepoOwnership, files: &[String]) -> Vec<Diagnostic> {
    let (Some(co), Some(Ok(m))) = (&own.codeowners, own.codeowners_matcher()) else {
        return Vec::new();
    };
    let (mut matched, mut decided, mut shadow) = tally(co.rules.len());
    let mut scratch = Vec::new();
    for f in files {
        let hits = m.matching(f, &mut scratch);
        let deciding = resolve::decide(&co.rules, co.sections.len(), &hits)
            .map(|d| d.rules)
            .unwrap_or_default();
        for &i in &hits {
            matched[i] += 1;
            if deciding.contains(&i) {
                decided[i] += 1;
            } else {
                let later = deciding
                    .iter()
                    .find(|&&d| co.rules[d].section == co.rules[i].section);
                shadow[i] = shadow[i].or(later.copied());
            }
        }
    }
    let mut out = Vec::new();
    for (i, r) in co.rules.iter().enumerate() {
        let message = if matched[i] == 0 {
            format!("pattern {:?} matches nothing in the tree", r.pattern)
        } else if decided[i] == 0 {
            let by = shadow[i].map_or(0, |d| co.rules[d].line);
            format!(
                "pattern {:?} never decides: later lines (e.g. line {by}) claim all {} file{} it matches",
                r.pattern,
                matched[i],
                if matched[i] == 1 { "" } else { "s" }
            )
        } else {
            continue;
        };
        out.push(Diagnostic {
            file: co.file.clone(),
            line: r.line,
            level: Level::Warning,
            message,
        });
    }
    out
}

fn map_coverage(own: &RepoOwnership, files: &[String]) -> Vec<Diagnostic> {
    let Some(map) = &own.map else {
        return Vec::new();
    };
    let m = own.map_matcher();
    let (mut matched, mut decided, mut shadow) = tally(map.entries.len());
    for f in files {
        let hits = m.matching(f);
        let Some(&last) = hits.last() else { continue };
        for &i in &hits {
            matched[i] += 1;
            if i == last {
                decided[i] += 1;
            } else {
                shadow[i] = shadow[i].or(Some(last));
            }
        }
    }
    let mut out = Vec::new();
    for (i, e) in map.entries.iter().enumerate() {
        if !m.applies(i) {
            continue;
        }
        let message = if matched[i] == 0 {
            format!("entry {:?} matches no file in the tree", e.name)
        } else if decided[i] == 0 {
            let by = shadow[i].map_or("", |d| map.entries[d].name.as_str());
            format!(
                "entry {:?} is shadowed: later entries (e.g. {by:?}) match every file it matches",
                e.name
            )
        } else {
            continue;
        };
        out.push(Diagnostic {
            file: map.file.clone(),
            line: e.line,
            level: Level::Warning,
            message,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::owners::discover::RepoFiles;

    struct Files;

    const CO: &str = "* @eng\n/docs/ @docs\n/docs/*.md @writers\n/missing/ @nobody\n*.[ch] @c\n";
    const MAP: &str = "[[owner]]\nname = \"docs\"\npaths = [\"docs/\"]\nowners = [\"@d\"]\n\n[[owner]]\nname = \"all-docs\"\npaths = [\"docs/\"]\nowners = [\"@d2\"]\n";

    impl RepoFiles for Files {
        fn read(&self, rel: &str) -> Option<Vec<u8>> {
            match rel {
                ".github/CODEOWNERS" => Some(CO.as_bytes().to_vec()),
                "keytrail.toml" => Some(MAP.as_bytes().to_vec()),
                _ => None,
            }
        }
        fn list(&self) -> Vec<String> {
            vec!["docs/a.md".into(), "src/main.c".into()]
        }
        fn names(&self) -> Vec<String> {
            Vec::new()
        }
    }

    #[test]
    fn reports_bad_lines_dead_patterns_and_shadowed_entries() {
        let own = RepoOwnership::load(&Files, None);
        let d = check(&own, &Files.list());
        let got: Vec<(&str, u32, Level)> = d
            .iter()
            .map(|d| (d.file.as_str(), d.line, d.level))
            .collect();
        assert_eq!(
            got,
            vec![
                (".github/CODEOWNERS", 2, Level::Warning),
                (".github/CODEOWNERS", 4, Level::Warning),
                (".github/CODEOWNERS", 5, Level::Error),
                ("keytrail.toml", 1, Level::Warning),
            ],
            "{d:#?}"
        );
        assert!(d[0].message.contains("never decides"), "{}", d[0].message);
        assert!(d[1].message.contains("matches nothing"));
        assert!(d[3].message.contains("shadowed"));
    }
}
