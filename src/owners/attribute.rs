//! The attribute stage: every finding gets an [`Attribution`], decided once per distinct
//! (repository, path) and shared behind an `Arc`.
//!
//! Order: owners map entry, CODEOWNERS line, the author of the commit that introduced the
//! finding (history scans), unowned. Git scans read the rules from HEAD's tree and mark history
//! findings as attributed with HEAD's rules; directory scans read them from disk, from the
//! repository root of each scanned path. Matchers are compiled on first use, so a scan without
//! findings never compiles a large CODEOWNERS file.

use std::cell::OnceCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::codeowners::Codeowners;
use super::discover::{self, DirFiles, HeadFiles, RepoFiles};
use super::map::{MapMatcher, OwnersMap};
use super::resolve::{CodeownersMatcher, Decision};
use super::{Attribution, AttributionSource, Contacts, LineError, LineRef, Owner};
use crate::scan::{CommitInfo, Finding};

/// What the rules alone say about a path.
#[derive(Debug, Clone)]
enum Outcome {
    Map(usize),
    Codeowners(Decision),
    Unowned(Option<LineRef>),
}

/// The ownership rules of one repository, with a cache of what they say per path.
#[derive(Debug)]
pub struct RepoOwnership {
    /// Names the repository is known by (directory name, `origin` slug).
    pub names: Vec<String>,
    /// The owners map in force (the repository's own, or the one given with `--owners`).
    pub map: Option<OwnersMap>,
    /// The CODEOWNERS file in force.
    pub codeowners: Option<Codeowners>,
    /// Other CODEOWNERS files that are present but not used.
    pub ignored_codeowners: Vec<String>,
    map_matcher: OnceCell<MapMatcher>,
    co_matcher: OnceCell<Result<CodeownersMatcher, String>>,
    outcomes: HashMap<String, Outcome>,
    cache: HashMap<(String, Option<String>, bool), Arc<Attribution>>,
}

impl RepoOwnership {
    /// Reads the rules from `files`; `map` replaces the repository's own owners map.
    pub fn load(files: &dyn RepoFiles, map: Option<OwnersMap>) -> RepoOwnership {
        let map = map.or_else(|| discover::find_map(files));
        let forced = map.as_ref().and_then(|m| m.flavor);
        let (codeowners, ignored_codeowners) = discover::find_codeowners(files, forced);
        RepoOwnership {
            names: files.names(),
            map,
            codeowners,
            ignored_codeowners,
            map_matcher: OnceCell::new(),
            co_matcher: OnceCell::new(),
            outcomes: HashMap::new(),
            cache: HashMap::new(),
        }
    }

    /// Every problem found while reading the rules, CODEOWNERS first.
    pub fn errors(&self) -> Vec<&LineError> {
        let co = self.codeowners.iter().flat_map(|c| c.errors.iter());
        co.chain(self.map.iter().flat_map(|m| m.errors.iter()))
            .collect()
    }

    /// The owners map compiled for this repository.
    pub fn map_matcher(&self) -> &MapMatcher {
        self.map_matcher.get_or_init(|| {
            self.map.as_ref().map_or_else(
                || OwnersMap::default().matcher(&[]),
                |m| m.matcher(&self.names),
            )
        })
    }

    /// The CODEOWNERS file compiled, if there is one (an error if it could not be compiled).
    pub fn codeowners_matcher(&self) -> Option<&Result<CodeownersMatcher, String>> {
        let co = self.codeowners.as_ref()?;
        Some(
            self.co_matcher
                .get_or_init(|| CodeownersMatcher::new(co).map_err(|e| e.to_string())),
        )
    }

    /// The attribution of `path` (repository-relative, `/`-separated) for a finding introduced
    /// by `commit` (history scans) or found on disk (`None`).
    pub fn attribute(&mut self, path: &str, commit: Option<&CommitInfo>) -> Arc<Attribution> {
        let outcome = self.outcome(path);
        let owned = !matches!(&outcome, Outcome::Unowned(_))
            && !matches!(&outcome, Outcome::Codeowners(d) if d.owners.is_empty());
        let author = commit.filter(|_| !owned).map(|c| c.id.clone());
        let key = (path.to_string(), author, commit.is_some());
        if let Some(a) = self.cache.get(&key) {
            return Arc::clone(a);
        }
        let a = Arc::new(self.build(outcome, commit));
        self.cache.insert(key, Arc::clone(&a));
        a
    }

    fn outcome(&mut self, path: &str) -> Outcome {
        if let Some(o) = self.outcomes.get(path) {
            return o.clone();
        }
        let o = self.decide(path);
        self.outcomes.insert(path.to_string(), o.clone());
        o
    }

    fn decide(&self, path: &str) -> Outcome {
        if let Some(i) = self.map_matcher().decide(path) {
            return Outcome::Map(i);
        }
        let (Some(co), Some(Ok(m))) = (&self.codeowners, self.codeowners_matcher()) else {
            return Outcome::Unowned(None);
        };
        match m.decide(co, path) {
            Some(d) => Outcome::Codeowners(d),
            None => Outcome::Unowned(None),
        }
    }

    fn build(&self, outcome: Outcome, commit: Option<&CommitInfo>) -> Attribution {
        let mut a = Attribution {
            owners: Vec::new(),
            service: None,
            technical_owner: None,
            lifecycle_owner: None,
            contacts: Contacts::default(),
            source: AttributionSource::Unowned { unowned_by: None },
            at_head: commit.is_some(),
        };
        let unowned_by = match outcome {
            Outcome::Map(i) => return self.by_map(i, a),
            Outcome::Codeowners(d) => match self.by_codeowners(&d) {
                Ok((owners, source)) => {
                    a.owners = owners;
                    a.source = source;
                    return a;
                }
                Err(by) => Some(by),
            },
            Outcome::Unowned(by) => by,
        };
        a.source = match commit {
            Some(c) => {
                a.owners = author_owner(c).into_iter().collect();
                AttributionSource::CommitAuthor {
                    commit: c.id.clone(),
                    unowned_by,
                }
            }
            None => AttributionSource::Unowned { unowned_by },
        };
        a
    }

    fn by_map(&self, i: usize, mut a: Attribution) -> Attribution {
        let Some(map) = &self.map else { return a };
        let e = &map.entries[i];
        a.owners = e.owners.clone();
        a.service = e.service.clone();
        a.technical_owner = e.technical_owner.clone();
        a.lifecycle_owner = e.lifecycle_owner.clone();
        a.contacts = e.contacts.clone();
        a.source = AttributionSource::OwnersMap {
            name: e.name.clone(),
            index: i,
            file: map.file.clone(),
            line: e.line,
        };
        a
    }

    /// Owners and source of a CODEOWNERS decision, or the line that leaves the path unowned.
    fn by_codeowners(&self, d: &Decision) -> Result<(Vec<Owner>, AttributionSource), LineRef> {
        let Some(co) = &self.codeowners else {
            return Err(LineRef {
                file: String::new(),
                line: 0,
            });
        };
        let owning: Vec<usize> = d
            .rules
            .iter()
            .copied()
            .filter(|&i| !co.rules[i].owners.is_empty() && !co.rules[i].exclusion)
            .collect();
        let last = d.rules.last().copied().unwrap_or(0);
        let Some((&decider, others)) = owning.split_last() else {
            return Err(LineRef {
                file: co.file.clone(),
                line: co.rules[last].line,
            });
        };
        let source = AttributionSource::Codeowners {
            file: co.file.clone(),
            line: co.rules[decider].line,
            pattern: co.rules[decider].pattern.clone(),
            also: others.iter().map(|&i| co.rules[i].line).collect(),
        };
        Ok((d.owners.clone(), source))
    }
}

/// The commit author as an owner: the email when it has one, else the name.
fn author_owner(c: &CommitInfo) -> Option<Owner> {
    let email = c.author_email.trim();
    let name = c.author_name.trim();
    match (email.is_empty(), name.is_empty()) {
        (false, _) => Some(Owner::new(email)),
        (true, false) => Some(Owner::new(name)),
        (true, true) => None,
    }
}

/// A scanned directory: its arguments' paths map to repository-relative paths.
#[derive(Debug)]
struct Scope {
    arg: PathBuf,
    repo: usize,
    prefix: PathBuf,
}

/// Attributes the findings of one scan, across the repositories it touched.
#[derive(Debug, Default)]
pub struct Attributor {
    repos: Vec<RepoOwnership>,
    scopes: Vec<Scope>,
    by_name: HashMap<String, usize>,
}

impl Attributor {
    /// For a directory scan of `paths`: each path's repository root is its nearest ancestor
    /// holding `.git`, else the directory itself; rules are read from disk.
    pub fn for_dirs(paths: &[PathBuf], map: Option<&OwnersMap>) -> Attributor {
        let mut at = Attributor::default();
        let mut roots: Vec<PathBuf> = Vec::new();
        for arg in paths {
            let root = discover::repo_root(arg);
            let canonical = std::fs::canonicalize(arg).unwrap_or_else(|_| arg.clone());
            let prefix = canonical
                .strip_prefix(&root)
                .map(Path::to_path_buf)
                .unwrap_or_default();
            let repo = roots.iter().position(|r| *r == root).unwrap_or_else(|| {
                at.repos
                    .push(RepoOwnership::load(&DirFiles::new(&root), map.cloned()));
                roots.push(root);
                roots.len() - 1
            });
            at.scopes.push(Scope {
                arg: arg.clone(),
                repo,
                prefix,
            });
        }
        at
    }

    /// For a git scan of the repositories at `paths` (named as on the command line): rules
    /// are read from each HEAD's tree. A repository that cannot be opened has no rules.
    pub fn for_repos(paths: &[PathBuf], map: Option<&OwnersMap>) -> Attributor {
        let mut at = Attributor::default();
        for path in paths {
            let own = match HeadFiles::open(path) {
                Ok(files) => RepoOwnership::load(&files, map.cloned()),
                Err(_) => RepoOwnership::load(&NoFiles, map.cloned()),
            };
            at.by_name
                .insert(path.display().to_string(), at.repos.len());
            at.repos.push(own);
        }
        at
    }

    /// Compiles every repository's matchers now rather than on first use (for preparing them
    /// on a thread of their own while a scan runs).
    pub fn compile_all(&self) {
        for r in &self.repos {
            r.map_matcher();
            r.codeowners_matcher();
        }
    }

    /// The repositories' rules, in the order they were loaded.
    pub fn repos(&self) -> &[RepoOwnership] {
        &self.repos
    }

    /// Sets `attribution` on every finding.
    pub fn attribute(&mut self, findings: &mut [Finding]) {
        for f in findings {
            let Some((repo, path)) = self.locate(f) else {
                continue;
            };
            let commit = f.commit.as_deref();
            f.attribution = Some(self.repos[repo].attribute(&path, commit));
        }
    }

    /// The repository and repository-relative path of a finding.
    fn locate(&self, f: &Finding) -> Option<(usize, String)> {
        if let Some(name) = &f.repository {
            return Some((*self.by_name.get(name.as_ref())?, f.path.clone()));
        }
        let path = Path::new(&f.path);
        let scope = self
            .scopes
            .iter()
            .filter(|s| path.starts_with(&s.arg))
            .max_by_key(|s| s.arg.components().count())?;
        let rest = path.strip_prefix(&scope.arg).ok()?;
        Some((scope.repo, discover::slash_path(&scope.prefix.join(rest))))
    }
}

/// A repository with no readable files.
struct NoFiles;

impl RepoFiles for NoFiles {
    fn read(&self, _: &str) -> Option<Vec<u8>> {
        None
    }
    fn list(&self) -> Vec<String> {
        Vec::new()
    }
    fn names(&self) -> Vec<String> {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Files(Vec<(&'static str, &'static str)>);

    impl RepoFiles for Files {
        fn read(&self, rel: &str) -> Option<Vec<u8>> {
            let hit = self.0.iter().find(|(p, _)| *p == rel);
            hit.map(|(_, t)| t.as_bytes().to_vec())
        }
        fn list(&self) -> Vec<String> {
            Vec::new()
        }
        fn names(&self) -> Vec<String> {
            vec!["mono".into()]
        }
    }

    fn commit() -> CommitInfo {
        CommitInfo {
            id: "0123456789abcdef".into(),
            author_name: "Alice".into(),
            author_email: "alice@acme.example".into(),
            author_time: 0,
            commit_time: 0,
        }
    }

    #[test]
    fn map_then_codeowners_then_author_then_unowned() {
        let files = Files(vec![
            ("CODEOWNERS", "* @eng\n/vendor/\n"),
            (
                "keytrail.toml",
                "[[owner]]\nname = \"pay\"\npaths = [\"pay/\"]\nowners = [\"@pay\"]\nservice = \"pay-api\"\n",
            ),
        ]);
        let mut own = RepoOwnership::load(&files, None);
        let a = own.attribute("pay/x.env", None);
        assert_eq!(
            (a.label(), a.service.as_deref()),
            ("@pay".into(), Some("pay-api"))
        );
        assert_eq!(a.source.kind(), "owners-map");
        let b = own.attribute("src/x.env", None);
        assert_eq!((b.label(), b.source.kind()), ("@eng".into(), "codeowners"));
        let c = own.attribute("vendor/x.env", Some(&commit()));
        assert_eq!(c.label(), "alice@acme.example");
        assert!(
            c.reason()
                .contains("CODEOWNERS:2 leaves the path deliberately unowned")
        );
        assert!(c.at_head);
        let d = own.attribute("vendor/x.env", None);
        assert!(d.is_unowned());
        assert!(Arc::ptr_eq(&b, &own.attribute("src/x.env", None)));
    }
}
