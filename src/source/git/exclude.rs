//! `--exclude` for git scans: gitignore-style globs matched against repository paths
//! (`testdata/**`, `*.lock`, `vendor/`), so a range or history scan can leave fixtures out the
//! way a directory scan does.
//!
//! A blob is judged by the path it is reported at (the path of its first sighting). A blob that
//! history also carries at another, not excluded path is left out all the same: blobs are
//! scanned once, and excluding a fixture directory should not bring its copies back.

use ignore::Match;
use ignore::gitignore::{Gitignore, GitignoreBuilder};

/// Compiled exclude globs.
#[derive(Debug, Clone)]
pub struct PathFilter {
    globs: Gitignore,
}

impl PathFilter {
    /// Compiles `globs`; the message names the glob that does not parse.
    pub fn new(globs: &[String]) -> Result<PathFilter, String> {
        let mut builder = GitignoreBuilder::new("");
        for g in globs {
            builder
                .add_line(None, g)
                .map_err(|e| format!("invalid --exclude glob {g:?}: {e}"))?;
        }
        let globs = builder
            .build()
            .map_err(|e| format!("invalid --exclude globs: {e}"))?;
        Ok(PathFilter { globs })
    }

    /// Whether `path` (relative to the repository root, `/`-separated) or one of its parent
    /// directories matches an exclude glob.
    pub fn is_excluded(&self, path: &str) -> bool {
        matches!(
            self.globs.matched_path_or_any_parents(path, false),
            Match::Ignore(_)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(globs: &[&str]) -> PathFilter {
        PathFilter::new(&globs.iter().map(|g| g.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn directories_globs_and_anchors() {
        let f = filter(&["testdata/**", "*.lock", "/vendor/"]);
        assert!(f.is_excluded("testdata/demo/.env"));
        assert!(f.is_excluded("Cargo.lock"));
        assert!(f.is_excluded("sub/yarn.lock"));
        assert!(f.is_excluded("vendor/lib/a.js"));
        assert!(!f.is_excluded("sub/vendor/a.js"));
        assert!(!f.is_excluded("src/testdata.rs"));
        assert!(!f.is_excluded("src/main.rs"));
    }

    #[test]
    fn a_bare_directory_name_excludes_it_anywhere() {
        let f = filter(&["fixtures"]);
        assert!(f.is_excluded("fixtures/key.pem"));
        assert!(f.is_excluded("a/fixtures/key.pem"));
        assert!(!f.is_excluded("fixtures.rs"));
    }

    #[test]
    fn negation_brings_a_path_back() {
        let f = filter(&["testdata/**", "!testdata/keep.env"]);
        assert!(f.is_excluded("testdata/x.env"));
        assert!(!f.is_excluded("testdata/keep.env"));
    }

    #[test]
    fn bad_globs_are_named() {
        let err = PathFilter::new(&["a/{b".to_string()]).unwrap_err();
        assert!(err.contains("a/{b"), "{err}");
    }
}
