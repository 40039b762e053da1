//! The GitHub REST API, for the one pull-request comment keytrail keeps.
//!
//! Only `GITHUB_API_URL`'s host is ever reached (every URL is built from it), redirects are not
//! followed, plain HTTP is accepted only toward a loopback address (tests), and the token goes
//! only into the `Authorization` header: it is never logged or put in an error. The comment is
//! found by a hidden marker on its first line, so a re-run edits it instead of adding another.

use std::time::Duration;

use serde_json::{Value, json};

use crate::report::sanitize::sanitize;

/// First line of keytrail's comment, which is how a re-run finds it.
pub const COMMENT_MARKER: &str = "<!-- keytrail -->";
/// Comments read per page.
const PAGE: usize = 100;
/// Pages read at most when looking for the comment.
const MAX_PAGES: usize = 30;
/// Largest response body read.
const MAX_BODY: u64 = 8 << 20;

/// A failed API call.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// `GITHUB_API_URL` is not usable.
    #[error("GITHUB_API_URL {0:?} is not an https:// URL (plain http only to a loopback address)")]
    BadUrl(String),
    /// `GITHUB_REPOSITORY` is not `owner/name`.
    #[error("GITHUB_REPOSITORY {0:?} is not owner/name")]
    BadRepository(String),
    /// No answer.
    #[error("{what}: no answer from the GitHub API ({detail})")]
    Transport {
        /// The call.
        what: &'static str,
        /// Why.
        detail: String,
    },
    /// An answer other than success.
    #[error("{what}: the GitHub API answered {status}: {message}")]
    Status {
        /// The call.
        what: &'static str,
        /// HTTP status.
        status: u16,
        /// GitHub's `message`, made safe.
        message: String,
    },
}

/// What happened to the comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentOutcome {
    /// A new comment, with its id.
    Created(u64),
    /// The existing comment was edited.
    Updated(u64),
    /// There was no comment and nothing worth saying, so none was made.
    Skipped,
}

/// A client for one repository.
pub struct Api {
    agent: ureq::Agent,
    base: String,
    repo: String,
    token: String,
}

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Api({} {})", self.base, self.repo)
    }
}

impl Api {
    /// A client for `repo` (`owner/name`) at `api_url`, authenticating with `token`.
    pub fn new(api_url: &str, repo: &str, token: String) -> Result<Api, ApiError> {
        let base = api_url.trim_end_matches('/').to_string();
        let plain = base
            .strip_prefix("http://")
            .is_some_and(|rest| is_loopback_authority(rest.split('/').next().unwrap_or("")));
        if !(base.starts_with("https://") || plain) || base.contains(['?', '#', '@']) {
            return Err(ApiError::BadUrl(sanitize(api_url).into_owned()));
        }
        if !is_repository(repo) {
            return Err(ApiError::BadRepository(sanitize(repo).into_owned()));
        }
        let config = ureq::Agent::config_builder()
            .https_only(!plain)
            .max_redirects(0)
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .user_agent("keytrail")
            .build();
        Ok(Api {
            agent: ureq::Agent::new_with_config(config),
            base,
            repo: repo.to_string(),
            token,
        })
    }

    /// Makes the pull request's keytrail comment say `body` (which must start with
    /// [`COMMENT_MARKER`]): edits the existing one, or creates one when `create` is set.
    pub fn upsert_comment(
        &self,
        issue: u64,
        body: &str,
        create: bool,
    ) -> Result<CommentOutcome, ApiError> {
        if let Some(id) = self.find_comment(issue)? {
            let url = format!("{}/repos/{}/issues/comments/{id}", self.base, self.repo);
            self.call(
                "edit the comment",
                "PATCH",
                &url,
                Some(json!({ "body": body })),
            )?;
            return Ok(CommentOutcome::Updated(id));
        }
        if !create {
            return Ok(CommentOutcome::Skipped);
        }
        let url = format!("{}/repos/{}/issues/{issue}/comments", self.base, self.repo);
        let made = self.call(
            "create the comment",
            "POST",
            &url,
            Some(json!({ "body": body })),
        )?;
        Ok(CommentOutcome::Created(made["id"].as_u64().unwrap_or(0)))
    }

    /// The id of the first comment on `issue` whose body starts with the marker.
    fn find_comment(&self, issue: u64) -> Result<Option<u64>, ApiError> {
        for page in 1..=MAX_PAGES {
            let url = format!(
                "{}/repos/{}/issues/{issue}/comments?per_page={PAGE}&page={page}",
                self.base, self.repo
            );
            let list = self.call("list comments", "GET", &url, None)?;
            let comments = list.as_array().map(Vec::as_slice).unwrap_or_default();
            let ours = comments.iter().find(|c| {
                c["body"]
                    .as_str()
                    .is_some_and(|b| b.trim_start().starts_with(COMMENT_MARKER))
            });
            if let Some(id) = ours.and_then(|c| c["id"].as_u64()) {
                return Ok(Some(id));
            }
            if comments.len() < PAGE {
                break;
            }
        }
        Ok(None)
    }

    fn call(
        &self,
        what: &'static str,
        method: &str,
        url: &str,
        body: Option<Value>,
    ) -> Result<Value, ApiError> {
        let transport = |e: ureq::Error| ApiError::Transport {
            what,
            detail: describe(&e),
        };
        let request = ureq::http::Request::builder()
            .method(method)
            .uri(url)
            .header("Accept", "application/vnd.github+json")
            .header("X-GitHub-Api-Version", "2022-11-28")
            .header("Authorization", format!("Bearer {}", self.token))
            .header("Content-Type", "application/json")
            .body(body.map(|b| b.to_string()).unwrap_or_default())
            .map_err(|e| transport(e.into()))?;
        let mut response = self.agent.run(request).map_err(transport)?;
        let status = response.status().as_u16();
        let bytes = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_vec()
            .map_err(transport)?;
        let value: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if !(200..300).contains(&status) {
            let message = value["message"].as_str().unwrap_or("no message");
            let message: String = sanitize(message).chars().take(200).collect();
            return Err(ApiError::Status {
                what,
                status,
                message,
            });
        }
        Ok(value)
    }
}

/// Whether `text` is `owner/name` with GitHub's characters.
fn is_repository(text: &str) -> bool {
    let part = |p: &str| {
        !p.is_empty()
            && p != "."
            && p != ".."
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    };
    text.split_once('/')
        .is_some_and(|(owner, name)| part(owner) && part(name))
}

/// Whether `host[:port]` is a loopback address or `localhost`.
fn is_loopback_authority(authority: &str) -> bool {
    let host = match authority.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A transport error in a few words (never a URL or header).
fn describe(e: &ureq::Error) -> String {
    match e {
        ureq::Error::Timeout(_) => "the request timed out".into(),
        ureq::Error::HostNotFound => "host not found".into(),
        ureq::Error::ConnectionFailed => "connection failed".into(),
        ureq::Error::Io(io) => format!("I/O error ({})", io.kind()),
        ureq::Error::Tls(_) | ureq::Error::Rustls(_) => "TLS handshake failed".into(),
        ureq::Error::BodyExceedsLimit(_) => "the answer was too large".into(),
        _ => "the request failed".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_loopback_http() {
        let ok = |u: &str| Api::new(u, "o/r", "t".into()).is_ok();
        assert!(ok("https://api.github.com"));
        assert!(ok("https://ghe.example.com/api/v3/"));
        assert!(ok("http://127.0.0.1:8080"));
        assert!(ok("http://localhost:1/api"));
        assert!(ok("http://[::1]:9"));
        assert!(!ok("http://api.github.com"));
        assert!(!ok("http://10.0.0.1"));
        assert!(!ok("ftp://x"));
        assert!(!ok("https://user@evil.example"));
    }

    #[test]
    fn repositories_are_owner_slash_name() {
        assert!(is_repository("keytrail/keytrail"));
        assert!(is_repository("a-b/c.d_e"));
        for bad in ["x", "a/b/c", "../x", "a/..", "a/b?c", "/b", "a/"] {
            assert!(!is_repository(bad), "{bad}");
        }
    }
}
