//! A repository's identity: the name under which the ledger files its findings.
//!
//! Many scanners on many machines must agree on it, so it is the `origin` remote's URL, reduced
//! to host and path (`github.com/org/repo`: no scheme, user, password or `.git` suffix), when
//! there is one, and the absolute path otherwise.

use std::path::Path;

/// The identity of the repository or directory at `path`.
pub fn repository_identity(path: &Path) -> String {
    let remote = git2::Repository::open(path).ok().and_then(|repo| {
        let url = repo.find_remote("origin").ok()?.url().ok()?.to_string();
        normalise_remote(&url)
    });
    remote.unwrap_or_else(|| {
        std::fs::canonicalize(path)
            .unwrap_or_else(|_| path.to_path_buf())
            .display()
            .to_string()
    })
}

/// `https://user:pw@github.com/org/repo.git`, `git@github.com:org/repo` and
/// `ssh://git@github.com/org/repo.git` all become `github.com/org/repo`.
pub fn normalise_remote(url: &str) -> Option<String> {
    let rest = match url.split_once("://") {
        Some((_, rest)) => rest.to_string(),
        None => {
            let (host, path) = url.split_once(':')?;
            if host.contains('/') {
                return None;
            }
            format!("{host}/{path}")
        }
    };
    let rest = rest.rsplit_once('@').map_or(rest.as_str(), |(_, r)| r);
    let trimmed = rest.trim_end_matches('/');
    let trimmed = trimmed.strip_suffix(".git").unwrap_or(trimmed);
    (!trimmed.is_empty()).then(|| trimmed.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remotes_reduce_to_host_and_path() {
        for url in [
            "https://github.com/org/repo.git",
            "https://user:pw@github.com/org/repo",
            "git@github.com:org/repo.git",
            "ssh://git@github.com/org/repo.git/",
        ] {
            assert_eq!(
                normalise_remote(url).as_deref(),
                Some("github.com/org/repo"),
                "{url}"
            );
        }
        assert_eq!(normalise_remote("/srv/git/repo.git").as_deref(), None);
    }

    #[test]
    fn a_plain_directory_is_its_absolute_path() {
        let dir = tempfile::tempdir().unwrap();
        let id = repository_identity(dir.path());
        assert_eq!(
            id,
            std::fs::canonicalize(dir.path())
                .unwrap()
                .display()
                .to_string()
        );
    }
}
