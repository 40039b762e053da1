//! `owners explain`: every rule that matches a path, in the order they are considered, which
//! of them decided, and the resulting attribution.

use std::sync::Arc;

use super::attribute::RepoOwnership;
use super::resolve;
use super::{Attribution, Owner};

/// One rule that matches the explained path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedRule {
    /// The rules file.
    pub file: String,
    /// The rule's line.
    pub line: u32,
    /// The rule as a person reads it: `entry "payments" (paths: services/payments/)` or
    /// `/services/ @acme/eng`.
    pub rule: String,
    /// The GitLab section, if the rule is in a named one.
    pub section: Option<String>,
    /// Whether this rule decided (the last match of the map, or of its CODEOWNERS section).
    pub decisive: bool,
}

/// Why a path has the owners it has.
#[derive(Debug, Clone)]
pub struct Explanation {
    /// The repository-relative path.
    pub path: String,
    /// Matching owners map entries, then matching CODEOWNERS lines, each in file order.
    pub matched: Vec<MatchedRule>,
    /// The attribution a finding at this path gets (found on disk, not in history).
    pub attribution: Arc<Attribution>,
}

/// Explains the owners of `path` under `own`'s rules.
pub fn explain(own: &mut RepoOwnership, path: &str) -> Explanation {
    let mut matched = map_matches(own, path);
    let map_decided = !matched.is_empty();
    matched.extend(codeowners_matches(own, path, !map_decided));
    Explanation {
        path: path.to_string(),
        matched,
        attribution: own.attribute(path, None),
    }
}

fn map_matches(own: &RepoOwnership, path: &str) -> Vec<MatchedRule> {
    let Some(map) = &own.map else {
        return Vec::new();
    };
    let hits = own.map_matcher().matching(path);
    let last = hits.last().copied();
    hits.into_iter()
        .map(|i| {
            let e = &map.entries[i];
            let paths = if e.paths.is_empty() {
                "every path".to_string()
            } else {
                e.paths.join(", ")
            };
            MatchedRule {
                file: map.file.clone(),
                line: e.line,
                rule: format!(
                    "entry {:?} (paths: {paths}) {}",
                    e.name,
                    owners_text(&e.owners)
                ),
                section: None,
                decisive: Some(i) == last,
            }
        })
        .collect()
}

fn codeowners_matches(own: &RepoOwnership, path: &str, may_decide: bool) -> Vec<MatchedRule> {
    let (Some(co), Some(Ok(m))) = (&own.codeowners, own.codeowners_matcher()) else {
        return Vec::new();
    };
    let hits = m.matching(path, &mut Vec::new());
    let deciding = resolve::decide(&co.rules, co.sections.len(), &hits)
        .map(|d| d.rules)
        .unwrap_or_default();
    hits.iter()
        .map(|&i| {
            let r = &co.rules[i];
            let section = &co.sections[r.section].name;
            let owners = if r.exclusion {
                "(exclusion)".to_string()
            } else if r.owners.is_empty() {
                "(no owners: deliberately unowned)".to_string()
            } else {
                owners_text(&r.owners)
            };
            MatchedRule {
                file: co.file.clone(),
                line: r.line,
                rule: format!("{} {owners}", r.pattern),
                section: (!section.is_empty()).then(|| section.clone()),
                decisive: may_decide && deciding.contains(&i),
            }
        })
        .collect()
}

fn owners_text(owners: &[Owner]) -> String {
    let names: Vec<&str> = owners.iter().map(Owner::as_str).collect();
    names.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::owners::discover::RepoFiles;

    struct Files;

    impl RepoFiles for Files {
        fn read(&self, rel: &str) -> Option<Vec<u8>> {
            (rel == "CODEOWNERS").then(|| b"* @eng\n*.env @ops\n/docs/ @docs\n".to_vec())
        }
        fn list(&self) -> Vec<String> {
            Vec::new()
        }
        fn names(&self) -> Vec<String> {
            Vec::new()
        }
    }

    #[test]
    fn every_matching_line_is_listed_and_the_last_decides() {
        let mut own = RepoOwnership::load(&Files, None);
        let e = explain(&mut own, "app/prod.env");
        let lines: Vec<(u32, bool)> = e.matched.iter().map(|m| (m.line, m.decisive)).collect();
        assert_eq!(lines, vec![(1, false), (2, true)]);
        assert_eq!(e.attribution.label(), "@ops");
        assert_eq!(e.matched[1].rule, "*.env @ops");
    }
}
