//! Asking providers whether leaked secrets still work, and revoking them where a provider lets
//! the holder do so.
//!
//! A [`Verifier`] holds the validator catalogue (built-in and user files), indexed by rule id,
//! and one safe HTTP [`net::Client`]. A check renders the validator's request with the secret,
//! sends it, and reads the answer as [`Validity`]: `inactive` patterns first, then `active`;
//! rate limiting (429), server errors and anything unexpected are `unknown`, and failures to get
//! an answer are `error`. Neither counts as inactive. Nothing here logs or returns the secret.

pub mod aws;
pub mod gcp;
pub mod net;
pub mod notify;
pub mod spec;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use base64::Engine as _;

use net::{Answer, Client, NetOptions, Outgoing};
use spec::{Expect, RequestSpec, ValidatorSpec};

/// What a check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Validity {
    /// The provider accepted the secret.
    Active,
    /// The provider rejected it as invalid or revoked.
    Inactive,
    /// The answer did not say (rate limited, unexpected status or body).
    Unknown,
    /// No answer (timeout, refused by policy, connection failure).
    Error,
}

impl Validity {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Validity::Active => "active",
            Validity::Inactive => "inactive",
            Validity::Unknown => "unknown",
            Validity::Error => "error",
        }
    }
}

/// One check's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// The answer.
    pub validity: Validity,
    /// Which validator asked.
    pub validator: String,
    /// A short explanation (status code, refusal reason); never the secret.
    pub message: String,
}

/// The result of a revocation request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    /// Whether the provider accepted it.
    pub accepted: bool,
    /// Which validator's revocation was used.
    pub validator: String,
    /// A short explanation.
    pub message: String,
}

/// One check to make: a rule's secret and, for paired secrets, its partner.
#[derive(Debug, Clone, Default)]
pub struct CheckRequest {
    /// The rule that found the secret.
    pub rule_id: String,
    /// The secret.
    pub secret: String,
    /// The partner secret (an AWS access key id), when the rule needs one.
    pub partner: Option<String>,
    /// Related values from the secret's file (see [`Verifier::related_names`]).
    pub related: BTreeMap<String, String>,
}

/// Validators by rule id, with the client they use.
#[derive(Clone)]
pub struct Verifier {
    by_rule: HashMap<String, Arc<ValidatorSpec>>,
    client: Client,
}

impl Verifier {
    /// A verifier with the built-in catalogue plus `extra` validator files' contents.
    pub fn new(extra: &[String], opts: NetOptions) -> Result<Verifier, spec::SpecError> {
        let mut by_rule = HashMap::new();
        for text in
            std::iter::once(spec::BUILTIN_VALIDATORS).chain(extra.iter().map(String::as_str))
        {
            for v in spec::parse(text)? {
                let v = Arc::new(v);
                for rule in &v.rules {
                    by_rule.insert(rule.clone(), v.clone());
                }
            }
        }
        Ok(Verifier {
            by_rule,
            client: Client::new(opts),
        })
    }

    /// Whether some validator checks this rule's secrets.
    pub fn has_validator(&self, rule_id: &str) -> bool {
        self.by_rule.contains_key(rule_id)
            || aws::SECRET_RULES.contains(&rule_id)
            || rule_id == gcp::RULE
    }

    /// The related values a check of this rule's secrets needs (a service account's
    /// `client_email`, a Shopify shop name), read from the secret's file by the rule.
    pub fn related_names(&self, rule_id: &str) -> Vec<String> {
        if rule_id == gcp::RULE {
            return vec![gcp::EMAIL.to_string()];
        }
        self.by_rule
            .get(rule_id)
            .map(|v| v.related.clone())
            .unwrap_or_default()
    }

    /// Whether `related` lacks a value that checks of this rule's secrets need.
    pub fn lacks_related(&self, rule_id: &str, related: &BTreeMap<String, String>) -> bool {
        self.related_names(rule_id)
            .iter()
            .any(|n| !related.contains_key(n))
    }

    /// The rule whose secret must be paired with this rule's secret for a check (the access key
    /// id of an AWS secret key), if any.
    pub fn partner_rule(&self, rule_id: &str) -> Option<&str> {
        if aws::SECRET_RULES.contains(&rule_id) {
            return Some(aws::KEY_ID_RULE);
        }
        self.by_rule.get(rule_id)?.partner.as_deref()
    }

    /// Checks a secret that needs a partner (see [`Verifier::partner_rule`]).
    pub fn check_pair(&self, rule_id: &str, secret: &str, partner: &str) -> Option<Check> {
        self.check_request(&CheckRequest {
            rule_id: rule_id.into(),
            secret: secret.into(),
            partner: Some(partner.into()),
            related: BTreeMap::new(),
        })
    }

    /// Checks an AWS secret access key paired with its access key id through STS.
    fn check_aws(&self, secret: &str, partner: &str) -> Check {
        let date = jiff::Timestamp::now()
            .strftime("%Y%m%dT%H%M%SZ")
            .to_string();
        let req = aws::caller_identity_request(partner, secret, &date);
        let (validity, message) = match self.client.send(&req, &[aws::STS_HOST.to_string()]) {
            Ok(a) if a.status == 200 => (Validity::Active, "HTTP 200".to_string()),
            Ok(a)
                if a.status == 403
                    && (a.body.contains("InvalidClientTokenId")
                        || a.body.contains("SignatureDoesNotMatch")) =>
            {
                (Validity::Inactive, format!("HTTP {}", a.status))
            }
            Ok(a) if a.status == 429 || a.body.contains("Throttling") => {
                (Validity::Unknown, "rate limited".into())
            }
            Ok(a) => (
                Validity::Unknown,
                format!("HTTP {}: an answer STS does not give", a.status),
            ),
            Err(refusal) => (Validity::Error, refusal),
        };
        Check {
            validity,
            validator: "aws.sts".into(),
            message,
        }
    }

    /// Checks a Google service-account key by exchanging a JWT it signs for an access token.
    fn check_gcp(&self, private_key: &str, client_email: Option<&String>) -> Check {
        let check = |validity, message: String| Check {
            validity,
            validator: "gcp.service-account".into(),
            message,
        };
        let Some(email) = client_email else {
            return check(
                Validity::Error,
                "the key's client_email was not found beside it".into(),
            );
        };
        let now = jiff::Timestamp::now().as_second();
        let req = match gcp::token_request(private_key, email, now) {
            Ok(req) => req,
            Err(problem) => return check(Validity::Error, problem),
        };
        match self.client.send(&req, &[gcp::TOKEN_HOST.to_string()]) {
            Ok(answer) => {
                let (validity, message) = gcp::judge(&answer);
                check(validity, message)
            }
            Err(refusal) => check(Validity::Error, refusal),
        }
    }

    /// Number of validators.
    pub fn validator_count(&self) -> usize {
        let mut ids: Vec<&str> = self.by_rule.values().map(|v| v.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        ids.len()
    }

    /// The client, for notifications.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Checks a secret found by `rule_id` that needs neither a partner nor related values;
    /// `None` when no validator covers the rule.
    pub fn check(&self, rule_id: &str, secret: &str) -> Option<Check> {
        self.check_request(&CheckRequest {
            rule_id: rule_id.into(),
            secret: secret.into(),
            ..CheckRequest::default()
        })
    }

    fn ask(&self, v: &ValidatorSpec, req: Result<Outgoing, String>) -> Check {
        let sent = req.and_then(|req| self.client.send(&req, &v.allowed_hosts()));
        let (validity, message) = match sent {
            Ok(answer) => judge(v, &answer),
            Err(refusal) => (Validity::Error, refusal),
        };
        Check {
            validity,
            validator: v.id.clone(),
            message,
        }
    }

    /// Makes one check; `None` when no validator covers it, or the partner it needs is
    /// missing.
    pub fn check_request(&self, r: &CheckRequest) -> Option<Check> {
        if aws::SECRET_RULES.contains(&r.rule_id.as_str()) {
            return Some(self.check_aws(&r.secret, r.partner.as_deref()?));
        }
        if r.rule_id == gcp::RULE {
            return Some(self.check_gcp(&r.secret, r.related.get(gcp::EMAIL)));
        }
        let v = self.by_rule.get(&r.rule_id)?;
        if v.partner.is_some() && r.partner.is_none() {
            return None;
        }
        let req = render(&v.request, &r.secret, r.partner.as_deref(), &r.related);
        Some(self.ask(v, req))
    }

    /// Makes many checks on up to `concurrency` threads; results keep the input order. No check
    /// starts after `deadline`; those not made are `None`, as are those no validator covers.
    pub fn check_many(
        &self,
        reqs: &[CheckRequest],
        concurrency: usize,
        deadline: std::time::Instant,
    ) -> Vec<Option<Check>> {
        let next = std::sync::atomic::AtomicUsize::new(0);
        let results: Vec<std::sync::Mutex<Option<Check>>> =
            reqs.iter().map(|_| std::sync::Mutex::new(None)).collect();
        std::thread::scope(|s| {
            for _ in 0..concurrency.clamp(1, 16).min(reqs.len().max(1)) {
                s.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(r) = reqs.get(i) else { break };
                        if std::time::Instant::now() >= deadline {
                            break;
                        }
                        let check = self.check_request(r);
                        if let Ok(mut slot) = results[i].lock() {
                            *slot = check;
                        }
                    }
                });
            }
        });
        results
            .into_iter()
            .map(|m| m.into_inner().unwrap_or_else(|p| p.into_inner()))
            .collect()
    }

    /// Asks the provider to revoke a secret; `None` when it offers no revocation API.
    pub fn revoke(&self, rule_id: &str, secret: &str) -> Option<Revocation> {
        let v = self.by_rule.get(rule_id)?;
        let r = v.revoke.as_ref()?;
        let sent = render(&r.request, secret, None, &BTreeMap::new())
            .and_then(|req| self.client.send(&req, &v.allowed_hosts()));
        let (accepted, message) = match sent {
            Ok(a) if r.success.contains(&a.status) => (true, format!("HTTP {}", a.status)),
            Ok(a) => (false, format!("HTTP {}", a.status)),
            Err(refusal) => (false, refusal),
        };
        Some(Revocation {
            accepted,
            validator: v.id.clone(),
            message,
        })
    }
}

/// The request with `{{secret}}`, `{{partner}}` and related values filled in. Related values
/// come from scanned files, so one that could change a URL's shape (anything but letters,
/// digits and `.-_@+`) is refused.
fn render(
    spec: &RequestSpec,
    secret: &str,
    partner: Option<&str>,
    related: &BTreeMap<String, String>,
) -> Result<Outgoing, String> {
    for name in spec.placeholders() {
        if matches!(name, "secret" | "partner") {
            continue;
        }
        let value = related.get(name).ok_or_else(|| {
            format!("the {name} this check needs was not found beside the secret")
        })?;
        let plain = |b: u8| b.is_ascii_alphanumeric() || b".-_@+".contains(&b);
        if value.is_empty() || !value.bytes().all(plain) {
            return Err(format!(
                "the {name} found beside the secret is not a plain name"
            ));
        }
    }
    let fill = |t: &str| {
        let mut t = t
            .replace("{{secret}}", secret)
            .replace("{{partner}}", partner.unwrap_or_default());
        for (name, value) in related {
            t = t.replace(&format!("{{{{{name}}}}}"), value);
        }
        t
    };
    let mut headers: Vec<(String, String)> = spec
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), fill(v)))
        .collect();
    if let Some([user, pass]) = &spec.basic {
        let token = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            fill(user),
            fill(pass)
        ));
        headers.push(("Authorization".into(), format!("Basic {token}")));
    }
    Ok(Outgoing {
        method: spec.method.clone(),
        url: fill(&spec.url),
        headers,
        body: spec.body.as_deref().map(fill),
    })
}

/// Reads an answer: inactive first, then active; 429 and the rest are unknown.
fn judge(v: &ValidatorSpec, a: &Answer) -> (Validity, String) {
    let json: Option<serde_json::Value> = serde_json::from_str(&a.body).ok();
    let status = format!("HTTP {}", a.status);
    if matches(&v.inactive, a, json.as_ref()) {
        (Validity::Inactive, status)
    } else if matches(&v.active, a, json.as_ref()) {
        (Validity::Active, status)
    } else if a.status == 429 {
        (Validity::Unknown, "rate limited (HTTP 429)".into())
    } else {
        (
            Validity::Unknown,
            format!("{status}: an answer this validator does not recognise"),
        )
    }
}

fn matches(e: &Expect, a: &Answer, json: Option<&serde_json::Value>) -> bool {
    let status_ok = e.status.is_empty() || e.status.contains(&a.status);
    let words_ok = e.body_contains.iter().all(|w| a.body.contains(w.as_str()));
    let json_ok = e.json.iter().all(|(path, want)| {
        json.and_then(|j| lookup(j, path))
            .is_some_and(|got| same_value(got, want))
    });
    status_ok && words_ok && json_ok
}

fn lookup<'a>(json: &'a serde_json::Value, path: &str) -> Option<&'a serde_json::Value> {
    path.split('.').try_fold(json, |v, key| v.get(key))
}

fn same_value(got: &serde_json::Value, want: &toml::Value) -> bool {
    match want {
        toml::Value::Boolean(b) => got.as_bool() == Some(*b),
        toml::Value::Integer(i) => got.as_i64() == Some(*i),
        toml::Value::String(s) => got.as_str() == Some(s.as_str()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_rendered_with_the_secret() {
        let spec = RequestSpec {
            method: "GET".into(),
            url: "https://api.telegram.org/bot{{secret}}/getMe".into(),
            headers: [("X-Key".to_string(), "k {{secret}}".to_string())].into(),
            body: None,
            basic: Some(["api".into(), "{{secret}}".into()]),
        };
        let r = render(&spec, "S3", None, &BTreeMap::new()).unwrap();
        assert_eq!(r.url, "https://api.telegram.org/botS3/getMe");
        assert!(r.headers.contains(&("X-Key".into(), "k S3".into())));
        assert!(
            r.headers
                .contains(&("Authorization".into(), "Basic YXBpOlMz".into()))
        );
    }

    #[test]
    fn related_values_that_could_reshape_a_url_are_refused() {
        let spec = RequestSpec {
            method: "GET".into(),
            url: "https://{{shop}}.myshopify.com/admin/oauth/access_scopes.json".into(),
            headers: [(
                "X-Shopify-Access-Token".to_string(),
                "{{secret}}".to_string(),
            )]
            .into(),
            body: None,
            basic: None,
        };
        let with = |shop: &str| BTreeMap::from([("shop".to_string(), shop.to_string())]);
        let ok = render(&spec, "shpat_x", None, &with("acme-outlet")).unwrap();
        assert_eq!(
            ok.url,
            "https://acme-outlet.myshopify.com/admin/oauth/access_scopes.json"
        );
        for bad in ["evil.example/x?", "a:b", "a b", ""] {
            let err = render(&spec, "shpat_x", None, &with(bad)).unwrap_err();
            assert!(err.contains("not a plain name"), "{bad}: {err}");
        }
        let missing = render(&spec, "shpat_x", None, &BTreeMap::new()).unwrap_err();
        assert!(missing.contains("shop"), "{missing}");
    }

    #[test]
    fn json_paths_and_words_decide() {
        let v = spec::parse(spec::BUILTIN_VALIDATORS).unwrap();
        let slack = v.iter().find(|v| v.id == "slack").unwrap();
        let answer = |status, body: &str| Answer {
            status,
            body: body.into(),
            location: None,
        };
        assert_eq!(
            judge(slack, &answer(200, r#"{"ok":true}"#)).0,
            Validity::Active
        );
        assert_eq!(
            judge(
                slack,
                &answer(200, r#"{"ok":false,"error":"invalid_auth"}"#)
            )
            .0,
            Validity::Inactive
        );
        assert_eq!(
            judge(slack, &answer(200, r#"{"ok":false,"error":"ratelimited"}"#)).0,
            Validity::Unknown
        );
        assert_eq!(judge(slack, &answer(429, "")).0, Validity::Unknown);
        assert_eq!(judge(slack, &answer(200, "<html>")).0, Validity::Unknown);
    }
}
