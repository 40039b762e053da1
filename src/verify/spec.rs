//! Validator descriptions: the TOML that says how to ask a provider whether a secret works.
//!
//! A `[[validator]]` names the rules it serves, one HTTP request with `{{secret}}` templated in
//! (URL, headers, body, basic auth), the hosts the request may go to, and how to read the answer:
//! `inactive` is tried first, then `active`; each matches on status codes, JSON fields and body
//! words. An optional `revoke` request uses the provider's self-service revocation API. This
//! module parses and checks the descriptions; it does not send anything.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The built-in validator catalogue.
pub const BUILTIN_VALIDATORS: &str = include_str!("../../validators/validators.toml");

/// A validator file: `[[validator]]` entries.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidatorFile {
    /// The validators.
    #[serde(default)]
    pub validator: Vec<ValidatorSpec>,
}

/// One provider's validity check.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidatorSpec {
    /// Identifier (`github`, `slack.webhook`).
    pub id: String,
    /// Rule ids this validator checks.
    pub rules: Vec<String>,
    /// Hosts the request may reach (default: the URL template's host).
    #[serde(default)]
    pub hosts: Vec<String>,
    /// A second rule whose secret the check also needs (`{{partner}}`, e.g. a key id), taken
    /// from the same file.
    #[serde(default)]
    pub partner: Option<String>,
    /// Related values (the rules' `related` patterns, read from the same file) the request uses
    /// as `{{name}}`, e.g. a Shopify shop name in the host. A templated host needs `hosts`.
    #[serde(default)]
    pub related: Vec<String>,
    /// The check request.
    pub request: RequestSpec,
    /// What an active secret's answer looks like.
    pub active: Expect,
    /// What a revoked or invalid secret's answer looks like.
    pub inactive: Expect,
    /// The provider's revocation request, if it has one.
    #[serde(default)]
    pub revoke: Option<RevokeSpec>,
}

/// An HTTP request template.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestSpec {
    /// Method (GET, POST, DELETE, HEAD).
    #[serde(default = "default_method")]
    pub method: String,
    /// URL; must be `https://`. May be `{{secret}}` when the secret is itself a URL.
    pub url: String,
    /// Headers.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Body.
    #[serde(default)]
    pub body: Option<String>,
    /// Basic authentication: `[user, password]`.
    #[serde(default)]
    pub basic: Option<[String; 2]>,
}

fn default_method() -> String {
    "GET".into()
}

/// A pattern over a response; every part that is given must hold.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Status codes.
    #[serde(default)]
    pub status: Vec<u16>,
    /// JSON fields (dotted paths) and the values they must have.
    #[serde(default)]
    pub json: BTreeMap<String, toml::Value>,
    /// Words the body must contain.
    #[serde(default)]
    pub body_contains: Vec<String>,
}

/// A revocation request and the statuses that mean it was accepted.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevokeSpec {
    /// The request.
    pub request: RequestSpec,
    /// Statuses meaning the provider accepted the revocation.
    pub success: Vec<u16>,
}

impl Expect {
    /// Whether nothing is required (such a pattern would match every answer).
    pub fn is_empty(&self) -> bool {
        self.status.is_empty() && self.json.is_empty() && self.body_contains.is_empty()
    }
}

/// A problem in a validator description.
#[derive(Debug, thiserror::Error)]
#[error("validator {id}: {message}")]
pub struct SpecError {
    /// Validator id.
    pub id: String,
    /// What is wrong.
    pub message: String,
}

impl ValidatorSpec {
    /// The hosts this validator may reach.
    pub fn allowed_hosts(&self) -> Vec<String> {
        if !self.hosts.is_empty() {
            return self.hosts.clone();
        }
        host_of(&self.request.url).into_iter().collect()
    }

    /// Checks the description: HTTPS, a fixed host or an explicit host list, the secret used
    /// somewhere, and non-empty answer patterns.
    pub fn check(&self) -> Result<(), SpecError> {
        let fail = |message: String| SpecError {
            id: self.id.clone(),
            message,
        };
        if self.rules.is_empty() {
            return Err(fail("names no rules".into()));
        }
        if self.active.is_empty() || self.inactive.is_empty() {
            return Err(fail(
                "`active` and `inactive` must each require something".into(),
            ));
        }
        let uses_partner = self.request.mentions("{{partner}}");
        if uses_partner != self.partner.is_some() {
            return Err(fail("`partner` and `{{partner}}` go together".into()));
        }
        let mut requests = vec![&self.request];
        requests.extend(self.revoke.as_ref().map(|r| &r.request));
        for r in requests {
            check_request(r, !self.hosts.is_empty()).map_err(fail)?;
            for name in r.placeholders() {
                let known = name == "secret"
                    || (name == "partner" && self.partner.is_some())
                    || self.related.iter().any(|n| n == name);
                if !known {
                    return Err(fail(format!(
                        "{{{{{name}}}}} is neither the secret, the partner nor a `related` value"
                    )));
                }
            }
        }
        Ok(())
    }
}

impl RequestSpec {
    /// The names of the `{{name}}` placeholders the request uses.
    pub fn placeholders(&self) -> Vec<&str> {
        let mut texts: Vec<&str> = vec![&self.url];
        texts.extend(self.headers.values().map(String::as_str));
        texts.extend(self.body.as_deref());
        texts.extend(self.basic.iter().flatten().map(String::as_str));
        let mut names = Vec::new();
        for text in texts {
            let mut rest = text;
            while let Some((_, after)) = rest.split_once("{{") {
                let Some((name, tail)) = after.split_once("}}") else {
                    break;
                };
                names.push(name);
                rest = tail;
            }
        }
        names
    }

    /// Whether the URL, a header, the body or basic auth contains `text`.
    pub fn mentions(&self, text: &str) -> bool {
        self.url.contains(text)
            || self.headers.values().any(|v| v.contains(text))
            || self.body.as_deref().is_some_and(|b| b.contains(text))
            || self
                .basic
                .as_ref()
                .is_some_and(|b| b.iter().any(|p| p.contains(text)))
    }
}

fn check_request(r: &RequestSpec, has_hosts: bool) -> Result<(), String> {
    if !matches!(
        r.method.as_str(),
        "GET" | "POST" | "DELETE" | "HEAD" | "PATCH"
    ) {
        return Err(format!("unsupported method {:?}", r.method));
    }
    let secret_is_url = r.url.starts_with("{{secret}}");
    if secret_is_url && !has_hosts {
        return Err("a URL taken from the secret needs an explicit `hosts` list".into());
    }
    if !secret_is_url {
        if !r.url.starts_with("https://") {
            return Err(format!("{} is not an https:// URL", r.url));
        }
        let host = host_of(&r.url).unwrap_or_default();
        if host.contains("{{secret}}") || host.contains("{{partner}}") {
            return Err("the host may not be templated with a secret".into());
        }
        if host.contains("{{") && !has_hosts {
            return Err("a templated host needs an explicit `hosts` list".into());
        }
    }
    if !r.mentions("{{secret}}") {
        return Err("the request never uses {{secret}}".into());
    }
    Ok(())
}

/// Whether `host` is one of `allowed`: an exact name, or `*.suffix` for one label (letters,
/// digits, hyphens) in front of `suffix`.
pub fn host_allowed(host: &str, allowed: &[String]) -> bool {
    allowed.iter().any(|a| match a.strip_prefix("*.") {
        Some(suffix) => host
            .strip_suffix(suffix)
            .and_then(|h| h.strip_suffix('.'))
            .is_some_and(|label| {
                !label.is_empty()
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            }),
        None => a.eq_ignore_ascii_case(host),
    })
}

/// The host of an `http(s)://` URL, lower-cased, without port or user information.
pub fn host_of(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next()?,
        None => authority.split(':').next()?,
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// Parses a validator file and checks every entry.
pub fn parse(text: &str) -> Result<Vec<ValidatorSpec>, SpecError> {
    let file: ValidatorFile = toml::from_str(text).map_err(|e| SpecError {
        id: "(file)".into(),
        message: e.to_string(),
    })?;
    for v in &file.validator {
        v.check()?;
    }
    Ok(file.validator)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_catalogue_parses_and_checks() {
        let specs = parse(BUILTIN_VALIDATORS).unwrap();
        assert!(specs.len() >= 25, "{} validators", specs.len());
        let mut ids: Vec<&str> = specs.iter().map(|s| s.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), specs.len(), "validator ids are unique");
    }

    #[test]
    fn unsafe_descriptions_are_refused() {
        let spec = |url: &str, hosts: &str| {
            format!(
                "[[validator]]\nid = \"x\"\nrules = [\"r\"]\n{hosts}\n[validator.request]\nurl = \"{url}\"\n\
                 [validator.active]\nstatus = [200]\n[validator.inactive]\nstatus = [401]\n"
            )
        };
        assert!(parse(&spec("https://api.example.com/{{secret}}", "")).is_ok());
        let err = parse(&spec("http://api.example.com/{{secret}}", "")).unwrap_err();
        assert!(err.to_string().contains("not an https"), "{err}");
        assert!(parse(&spec("https://{{secret}}.example.com/", "")).is_err());
        let related = |url: &str, hosts: &str| {
            spec(url, hosts).replace("rules = [\"r\"]", "rules = [\"r\"]\nrelated = [\"shop\"]")
        };
        let shop = "https://{{shop}}.example.com/{{secret}}";
        assert!(
            parse(&related(shop, "")).is_err(),
            "templated host without hosts"
        );
        assert!(parse(&related(shop, "hosts = [\"*.example.com\"]")).is_ok());
        let unknown = parse(&spec("https://a.example.com/{{secret}}/{{shop}}", "")).unwrap_err();
        assert!(unknown.to_string().contains("{{shop}}"), "{unknown}");
        assert!(parse(&spec("{{secret}}", "")).is_err());
        assert!(parse(&spec("{{secret}}", "hosts = [\"hooks.example.com\"]")).is_ok());
        assert!(
            parse(&spec("https://api.example.com/", "")).is_err(),
            "secret unused"
        );
    }

    #[test]
    fn wildcard_hosts_allow_one_label() {
        let allowed = ["*.myshopify.com".to_string(), "api.example.com".to_string()];
        assert!(host_allowed("acme-store.myshopify.com", &allowed));
        assert!(host_allowed("api.example.com", &allowed));
        assert!(!host_allowed("myshopify.com", &allowed));
        assert!(!host_allowed("a.b.myshopify.com", &allowed));
        assert!(!host_allowed("evilmyshopify.com", &allowed));
        assert!(!host_allowed("x.example.com", &allowed));
    }

    #[test]
    fn hosts_are_read_from_urls() {
        assert_eq!(
            host_of("https://API.GitHub.com:443/user").as_deref(),
            Some("api.github.com")
        );
        assert_eq!(
            host_of("https://u:p@h.example/x").as_deref(),
            Some("h.example")
        );
        assert_eq!(host_of("http://[::1]:80/").as_deref(), Some("::1"));
        assert_eq!(host_of("nothing"), None);
    }
}
