//! Matching paths against a CODEOWNERS file: the last matching line wins.
//!
//! Every pattern of the file is compiled into one [`PatternSet`] (anchored literals in a hash
//! map, the rest in one `globset::GlobSet`), so a path is tested against all lines at once
//! rather than line by line, and the highest matching line index is taken. With GitLab sections the rule applies per section: each section contributes the
//! owners of its last matching line, unless one of its `!` exclusions matches, and the
//! owners are the union over sections.

use super::Owner;
use super::codeowners::{Codeowners, Rule};
use super::set::{PatternSet, PatternSetBuilder};

/// A CODEOWNERS file compiled for matching.
#[derive(Debug)]
pub struct CodeownersMatcher {
    set: PatternSet,
}

/// What a CODEOWNERS file says about one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The deciding rule of each section that matched, in file order (for GitHub, one).
    /// Includes exclusions that took a section out.
    pub rules: Vec<usize>,
    /// The union of the owners of those rules; empty means deliberately unowned.
    pub owners: Vec<Owner>,
}

impl CodeownersMatcher {
    /// Compiles every rule of `co`.
    pub fn new(co: &Codeowners) -> Result<CodeownersMatcher, globset::Error> {
        let mut builder = PatternSetBuilder::new();
        for (i, rule) in co.rules.iter().enumerate() {
            builder.add(i, &rule.compiled);
        }
        Ok(CodeownersMatcher {
            set: builder.build()?,
        })
    }

    /// Indices of every rule matching `path`, ascending. `scratch` is reused between calls.
    pub fn matching(&self, path: &str, scratch: &mut Vec<usize>) -> Vec<usize> {
        self.set.matching(path, scratch)
    }

    /// The owners of `path` by `co`'s rules, or `None` when no line matches it.
    pub fn decide(&self, co: &Codeowners, path: &str) -> Option<Decision> {
        let matching = self.matching(path, &mut Vec::new());
        decide(&co.rules, co.sections.len(), &matching)
    }
}

/// Applies last-match-wins per section to the rules that match a path (ascending indices).
pub fn decide(rules: &[Rule], sections: usize, matching: &[usize]) -> Option<Decision> {
    if matching.is_empty() {
        return None;
    }
    let mut per_section: Vec<Option<usize>> = vec![None; sections];
    let mut excluded: Vec<Option<usize>> = vec![None; sections];
    for &i in matching {
        let r = &rules[i];
        if r.exclusion {
            excluded[r.section].get_or_insert(i);
        } else {
            per_section[r.section] = Some(i);
        }
    }
    let mut deciding = Vec::new();
    let mut owners: Vec<Owner> = Vec::new();
    for s in 0..sections {
        if let Some(x) = excluded[s] {
            deciding.push(x);
            continue;
        }
        if let Some(i) = per_section[s] {
            deciding.push(i);
            for o in &rules[i].owners {
                if !owners.contains(o) {
                    owners.push(o.clone());
                }
            }
        }
    }
    deciding.sort_unstable();
    Some(Decision {
        rules: deciding,
        owners,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::owners::codeowners::{Flavor, parse};

    fn owners_of(text: &str, flavor: Flavor, path: &str) -> Option<String> {
        let co = parse("CODEOWNERS", text, flavor);
        let m = CodeownersMatcher::new(&co).unwrap();
        m.decide(&co, path).map(|d| {
            d.owners
                .iter()
                .map(Owner::to_string)
                .collect::<Vec<_>>()
                .join(" ")
        })
    }

    #[test]
    fn last_match_wins_and_empty_owners_unown() {
        let text = "* @all\n/apps/ @octocat\n/apps/github\n";
        assert_eq!(
            owners_of(text, Flavor::GitHub, "README").as_deref(),
            Some("@all")
        );
        assert_eq!(
            owners_of(text, Flavor::GitHub, "apps/main.js").as_deref(),
            Some("@octocat")
        );
        assert_eq!(
            owners_of(text, Flavor::GitHub, "apps/github/x.js").as_deref(),
            Some("")
        );
        assert_eq!(owners_of("/docs/ @d\n", Flavor::GitHub, "src/a.rs"), None);
    }

    #[test]
    fn gitlab_sections_all_apply_and_exclusions_remove_a_section() {
        let text = "* @admin\n[README Owners]\nREADME.md @user1 @user2\ninternal/README.md @user4\n[README other owners]\nREADME.md @user3\n[Gen]\n* @gen\n!*.lock\n";
        assert_eq!(
            owners_of(text, Flavor::GitLab, "README.md").as_deref(),
            Some("@admin @user1 @user2 @user3 @gen")
        );
        assert_eq!(
            owners_of(text, Flavor::GitLab, "internal/README.md").as_deref(),
            Some("@admin @user4 @user3 @gen")
        );
        assert_eq!(
            owners_of(text, Flavor::GitLab, "Cargo.lock").as_deref(),
            Some("@admin")
        );
    }

    #[test]
    fn decision_lists_the_deciding_lines() {
        let co = parse("C", "* @a\n[S]\n*.md @b\n", Flavor::GitLab);
        let m = CodeownersMatcher::new(&co).unwrap();
        let d = m.decide(&co, "x.md").unwrap();
        let lines: Vec<u32> = d.rules.iter().map(|&i| co.rules[i].line).collect();
        assert_eq!(lines, vec![1, 3]);
    }

    #[derive(serde::Deserialize)]
    struct Table {
        case: Vec<Case>,
    }

    #[derive(serde::Deserialize)]
    struct Case {
        name: String,
        flavor: Flavor,
        codeowners: String,
        rows: Vec<(String, String)>,
    }

    /// The table in `testdata/owners/patterns.toml`: at least 60 (pattern, path, owners) rows.
    #[test]
    fn pattern_table() {
        let table: Table =
            toml::from_str(include_str!("../../testdata/owners/patterns.toml")).unwrap();
        let mut failures = Vec::new();
        let mut rows = 0;
        for case in &table.case {
            for (path, expected) in &case.rows {
                rows += 1;
                let got = owners_of(&case.codeowners, case.flavor, path);
                let got = got.as_deref().unwrap_or("-");
                if got != expected {
                    failures.push(format!(
                        "{}: {path}: expected {expected:?}, got {got:?}",
                        case.name
                    ));
                }
            }
        }
        assert!(rows >= 60, "only {rows} rows");
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}
