//! Finding the ownership rules of a repository: its CODEOWNERS file and owners map, read from
//! a directory on disk or from the tree of HEAD.
//!
//! CODEOWNERS is looked for where the platforms look, first found wins: GitHub reads
//! `.github/CODEOWNERS`, `CODEOWNERS`, `docs/CODEOWNERS`; GitLab reads `CODEOWNERS`,
//! `docs/CODEOWNERS`, `.gitlab/CODEOWNERS`. The platform is the one the owners map names
//! (`[codeowners] flavor`), else GitHub when `.github/CODEOWNERS` exists, else GitLab when
//! `.gitlab/CODEOWNERS` or `.gitlab-ci.yml` exists, else GitHub, except that a file with
//! GitLab section headers is read as GitLab's.

use std::path::{Path, PathBuf};

use git2::{ObjectType, Oid, Repository, TreeWalkMode, TreeWalkResult};

use super::codeowners::{self, Codeowners, Flavor};
use super::map::{self, OwnersMap};

/// Where GitHub looks for CODEOWNERS, in order.
pub const GITHUB_LOCATIONS: [&str; 3] = [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"];
/// Where GitLab looks for CODEOWNERS, in order.
pub const GITLAB_LOCATIONS: [&str; 3] = ["CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS"];
/// The owners map's name at the repository root.
pub const MAP_FILE: &str = "keytrail.toml";

/// Read access to one version of a repository's files.
pub trait RepoFiles {
    /// The contents of `rel` (a `/`-separated path from the root), if it is a file.
    fn read(&self, rel: &str) -> Option<Vec<u8>>;
    /// Every file's path, for `owners check`.
    fn list(&self) -> Vec<String>;
    /// Names the repository is known by, for owners map `repositories` globs.
    fn names(&self) -> Vec<String>;
}

/// A directory on disk.
#[derive(Debug, Clone)]
pub struct DirFiles {
    root: PathBuf,
}

impl DirFiles {
    /// Files under `root`.
    pub fn new(root: &Path) -> DirFiles {
        DirFiles {
            root: root.to_path_buf(),
        }
    }
}

impl RepoFiles for DirFiles {
    fn read(&self, rel: &str) -> Option<Vec<u8>> {
        let p = self.root.join(rel);
        p.is_file().then(|| std::fs::read(&p).ok()).flatten()
    }

    fn list(&self) -> Vec<String> {
        let walk = ignore::WalkBuilder::new(&self.root)
            .standard_filters(false)
            .hidden(false)
            .filter_entry(|e| e.file_name() != ".git")
            .build();
        let mut out: Vec<String> = walk
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
            .filter_map(|e| {
                let rel = e.path().strip_prefix(&self.root).ok()?;
                Some(slash_path(rel))
            })
            .collect();
        out.sort();
        out
    }

    fn names(&self) -> Vec<String> {
        let mut names = dir_name(&self.root).into_iter().collect::<Vec<_>>();
        if let Ok(repo) = Repository::open(&self.root) {
            names.extend(origin_slug(&repo));
        }
        names
    }
}

/// The tree of a repository's HEAD.
pub struct HeadFiles {
    repo: Repository,
    tree: Option<Oid>,
    path: PathBuf,
}

impl HeadFiles {
    /// Opens the repository at `path`; a repository without commits has no files.
    pub fn open(path: &Path) -> Result<HeadFiles, git2::Error> {
        let repo = Repository::open(path)?;
        let tree = repo
            .head()
            .and_then(|h| h.peel_to_tree())
            .ok()
            .map(|t| t.id());
        Ok(HeadFiles {
            repo,
            tree,
            path: path.to_path_buf(),
        })
    }
}

impl RepoFiles for HeadFiles {
    fn read(&self, rel: &str) -> Option<Vec<u8>> {
        let tree = self.repo.find_tree(self.tree?).ok()?;
        let entry = tree.get_path(Path::new(rel)).ok()?;
        if entry.kind() != Some(ObjectType::Blob) {
            return None;
        }
        let blob = self.repo.find_blob(entry.id()).ok()?;
        Some(blob.content().to_vec())
    }

    fn list(&self) -> Vec<String> {
        let mut out = Vec::new();
        let Some(tree) = self.tree.and_then(|t| self.repo.find_tree(t).ok()) else {
            return out;
        };
        let _ = tree.walk(TreeWalkMode::PreOrder, |dir, entry| {
            if entry.kind() == Some(ObjectType::Blob) {
                out.push(format!("{dir}{}", entry.name().unwrap_or_default()));
            }
            TreeWalkResult::Ok
        });
        out.sort();
        out
    }

    fn names(&self) -> Vec<String> {
        let root = self.repo.workdir().unwrap_or(&self.path);
        let mut names = dir_name(root).into_iter().collect::<Vec<_>>();
        names.extend(origin_slug(&self.repo));
        names
    }
}

/// A path relative to a root, with `/` separators.
pub fn slash_path(rel: &Path) -> String {
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}

fn dir_name(root: &Path) -> Option<String> {
    let abs = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let name = abs.file_name()?.to_string_lossy().into_owned();
    let name = name
        .strip_suffix(".git")
        .map_or(name.clone(), str::to_string);
    (!name.is_empty()).then_some(name)
}

/// `owner/name` of the `origin` remote (`git@host:owner/name.git`, `https://host/owner/name`).
fn origin_slug(repo: &Repository) -> Option<String> {
    let remote = repo.find_remote("origin").ok()?;
    let url = remote.url().ok()?.trim_end_matches('/');
    let url = url.strip_suffix(".git").unwrap_or(url);
    let mut parts = url.rsplit(['/', ':']);
    let name = parts.next()?;
    let owner = parts.next()?;
    (!name.is_empty() && !owner.is_empty()).then(|| format!("{owner}/{name}"))
}

/// The CODEOWNERS file a platform would use, parsed, and the other CODEOWNERS files that are
/// present but not used.
pub fn find_codeowners(
    files: &dyn RepoFiles,
    forced: Option<Flavor>,
) -> (Option<Codeowners>, Vec<String>) {
    let present: Vec<&str> = GITHUB_LOCATIONS
        .iter()
        .chain(GITLAB_LOCATIONS.iter())
        .copied()
        .filter(|p| files.read(p).is_some())
        .fold(Vec::new(), |mut v, p| {
            if !v.contains(&p) {
                v.push(p);
            }
            v
        });
    let platform = forced.unwrap_or_else(|| {
        if present.contains(&".github/CODEOWNERS") {
            Flavor::GitHub
        } else if present.contains(&".gitlab/CODEOWNERS") || files.read(".gitlab-ci.yml").is_some()
        {
            Flavor::GitLab
        } else {
            Flavor::GitHub
        }
    });
    let order = match platform {
        Flavor::GitHub => GITHUB_LOCATIONS,
        Flavor::GitLab => GITLAB_LOCATIONS,
    };
    let Some(file) = order.iter().find(|p| present.contains(p)) else {
        return (None, present.iter().map(|p| p.to_string()).collect());
    };
    let bytes = files.read(file).unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes);
    let flavor = match forced {
        Some(f) => f,
        None if codeowners::has_sections(&text) => Flavor::GitLab,
        None => platform,
    };
    let ignored = present
        .iter()
        .filter(|p| *p != file)
        .map(|p| p.to_string())
        .collect();
    (Some(codeowners::parse(file, &text, flavor)), ignored)
}

/// The repository's own owners map (`keytrail.toml` at its root), if it has one.
pub fn find_map(files: &dyn RepoFiles) -> Option<OwnersMap> {
    let bytes = files.read(MAP_FILE)?;
    Some(map::parse(MAP_FILE, &String::from_utf8_lossy(&bytes)))
}

/// The repository root for a scanned path: the nearest ancestor (or itself) holding `.git`,
/// else the path itself when it is a directory, else its parent.
pub fn repo_root(path: &Path) -> PathBuf {
    let abs = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    if let Some(root) = abs.ancestors().find(|a| a.join(".git").exists()) {
        return root.to_path_buf();
    }
    if abs.is_dir() {
        abs
    } else {
        abs.parent().map_or(abs.clone(), Path::to_path_buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fake(Vec<(&'static str, &'static str)>);

    impl RepoFiles for Fake {
        fn read(&self, rel: &str) -> Option<Vec<u8>> {
            self.0
                .iter()
                .find(|(p, _)| *p == rel)
                .map(|(_, t)| t.as_bytes().to_vec())
        }
        fn list(&self) -> Vec<String> {
            self.0.iter().map(|(p, _)| p.to_string()).collect()
        }
        fn names(&self) -> Vec<String> {
            vec!["fake".into()]
        }
    }

    #[test]
    fn platform_order_decides_which_file_is_used() {
        let gh = Fake(vec![
            ("CODEOWNERS", "* @root"),
            (".github/CODEOWNERS", "* @gh"),
        ]);
        let (co, ignored) = find_codeowners(&gh, None);
        let co = co.unwrap();
        assert_eq!(
            (co.file.as_str(), co.flavor),
            (".github/CODEOWNERS", Flavor::GitHub)
        );
        assert_eq!(ignored, vec!["CODEOWNERS"]);

        let gl = Fake(vec![
            (".gitlab/CODEOWNERS", "* @gl"),
            ("docs/CODEOWNERS", "* @docs"),
        ]);
        let co = find_codeowners(&gl, None).0.unwrap();
        assert_eq!(
            (co.file.as_str(), co.flavor),
            ("docs/CODEOWNERS", Flavor::GitLab)
        );

        let sections = Fake(vec![("CODEOWNERS", "[Docs]\ndocs/ @d\n")]);
        assert_eq!(
            find_codeowners(&sections, None).0.unwrap().flavor,
            Flavor::GitLab
        );
        let forced = find_codeowners(&gl, Some(Flavor::GitHub)).0.unwrap();
        assert_eq!(forced.file, "docs/CODEOWNERS");
        assert_eq!(find_codeowners(&Fake(vec![]), None).0, None);
    }
}
