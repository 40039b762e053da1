//! Validators against fake providers on 127.0.0.1, network safety, and the lifecycle scenario:
//! scan → notify → verify on later days while the provider revokes secrets.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use keytrail::verify::net::NetOptions;
use keytrail::verify::spec::{BUILTIN_VALIDATORS, parse};
use keytrail::verify::{CheckRequest, Validity, Verifier};

use crate::common::{keytrail, seeded_token};
use crate::fake_http::{FakeServer, Reply};

/// A status and body.
type Answer = (u16, &'static str);

/// Realistic (active, inactive) answers of each provider.
const ANSWERS: &[(&str, Answer, Answer)] = &[
    (
        "github",
        (200, r#"{"login":"octocat"}"#),
        (401, r#"{"message":"Bad credentials"}"#),
    ),
    (
        "gitlab",
        (200, r#"{"id":1,"active":true}"#),
        (401, r#"{"message":"401 Unauthorized"}"#),
    ),
    (
        "slack",
        (200, r#"{"ok":true,"user":"bot"}"#),
        (200, r#"{"ok":false,"error":"invalid_auth"}"#),
    ),
    (
        "slack.webhook",
        (400, "invalid_payload"),
        (404, "no_service"),
    ),
    (
        "stripe",
        (200, r#"{"object":"balance"}"#),
        (401, r#"{"error":{"type":"invalid_request_error"}}"#),
    ),
    (
        "openai",
        (200, r#"{"data":[]}"#),
        (401, r#"{"error":{"code":"invalid_api_key"}}"#),
    ),
    (
        "openai.admin",
        (200, r#"{"data":[]}"#),
        (401, r#"{"error":{"code":"invalid_api_key"}}"#),
    ),
    (
        "anthropic",
        (200, r#"{"data":[]}"#),
        (
            401,
            r#"{"type":"error","error":{"type":"authentication_error"}}"#,
        ),
    ),
    (
        "huggingface",
        (200, r#"{"name":"me"}"#),
        (401, r#"{"error":"Invalid credentials"}"#),
    ),
    (
        "replicate",
        (200, r#"{"username":"me"}"#),
        (401, r#"{"detail":"Invalid token."}"#),
    ),
    (
        "groq",
        (200, r#"{"data":[]}"#),
        (401, r#"{"error":{"code":"invalid_api_key"}}"#),
    ),
    (
        "mistral",
        (200, r#"{"data":[]}"#),
        (401, r#"{"message":"Unauthorized"}"#),
    ),
    (
        "cohere",
        (200, r#"{"valid":true}"#),
        (401, r#"{"message":"invalid api token"}"#),
    ),
    (
        "sendgrid",
        (200, r#"{"scopes":[]}"#),
        (401, r#"{"errors":[{"message":"authorization required"}]}"#),
    ),
    ("mailgun", (200, r#"{"items":[]}"#), (401, "Forbidden")),
    (
        "datadog",
        (200, r#"{"valid":true}"#),
        (403, r#"{"errors":["Forbidden"]}"#),
    ),
    (
        "digitalocean",
        (200, r#"{"account":{}}"#),
        (401, r#"{"id":"unauthorized"}"#),
    ),
    (
        "heroku",
        (200, r#"{"email":"a@b"}"#),
        (401, r#"{"id":"unauthorized"}"#),
    ),
    (
        "npm",
        (200, r#"{"username":"me"}"#),
        (401, r#"{"error":"You must be logged in"}"#),
    ),
    (
        "discord.bot",
        (200, r#"{"id":"1","bot":true}"#),
        (401, r#"{"message":"401: Unauthorized"}"#),
    ),
    (
        "discord.webhook",
        (200, r#"{"type":1,"id":"1"}"#),
        (404, r#"{"message":"Unknown Webhook"}"#),
    ),
    (
        "telegram",
        (200, r#"{"ok":true,"result":{}}"#),
        (401, r#"{"ok":false,"error_code":401}"#),
    ),
    (
        "postman",
        (200, r#"{"user":{}}"#),
        (401, r#"{"error":{"name":"AuthenticationError"}}"#),
    ),
    (
        "linear",
        (200, r#"{"data":{"viewer":{"id":"1"}}}"#),
        (
            400,
            r#"{"errors":[{"extensions":{"code":"AUTHENTICATION_ERROR"}}]}"#,
        ),
    ),
    (
        "sentry",
        (200, r#"{"version":"0","auth":{"scopes":[]}}"#),
        (401, r#"{"detail":"Invalid token"}"#),
    ),
    (
        "doppler",
        (200, r#"{"slug":"me"}"#),
        (
            401,
            r#"{"messages":["Invalid Auth token"],"success":false}"#,
        ),
    ),
    (
        "notion",
        (200, r#"{"object":"user"}"#),
        (401, r#"{"code":"unauthorized"}"#),
    ),
    (
        "airtable",
        (200, r#"{"id":"usr1"}"#),
        (401, r#"{"error":{"type":"AUTHENTICATION_REQUIRED"}}"#),
    ),
    (
        "figma",
        (200, r#"{"id":"1"}"#),
        (403, r#"{"status":403,"err":"Invalid token"}"#),
    ),
    (
        "mapbox",
        (200, r#"{"code":"TokenValid"}"#),
        (401, r#"{"code":"TokenInvalid"}"#),
    ),
    (
        "cloudflare",
        (200, r#"{"result":{"status":"active"},"success":true}"#),
        (401, r#"{"success":false}"#),
    ),
    (
        "twilio",
        (200, r#"{"accounts":[]}"#),
        (401, r#"{"code":20003,"message":"Authenticate"}"#),
    ),
    (
        "shopify",
        (200, r#"{"access_scopes":[{"handle":"read_products"}]}"#),
        (
            401,
            r#"{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}"#,
        ),
    ),
];

/// A concrete host for an allowed host pattern (`*.myshopify.com` → `kt-test.myshopify.com`).
fn concrete_host(pattern: &str) -> String {
    match pattern.strip_prefix("*.") {
        Some(suffix) => format!("kt-test.{suffix}"),
        None => pattern.to_string(),
    }
}

/// A secret shaped as the validator expects (URL secrets live on the validator's host).
fn sample_secret(hosts: &[String], url: &str) -> String {
    if url.starts_with("{{secret}}") {
        format!("https://{}/api/webhooks/123/kt-test-secret-0001", hosts[0])
    } else {
        "kt-test-secret-0001".into()
    }
}

#[test]
fn every_validator_reads_active_inactive_rate_limited_malformed_and_silent_answers() {
    let specs = parse(BUILTIN_VALIDATORS).unwrap();
    assert!(specs.len() >= 25);
    let mode = Arc::new(AtomicU8::new(0));
    let current: Arc<Mutex<(Reply, Reply)>> =
        Arc::new(Mutex::new((Reply::Garbage, Reply::Garbage)));
    let server = {
        let (mode, current) = (mode.clone(), current.clone());
        FakeServer::start(move |_| {
            let (active, inactive) = current.lock().unwrap().clone();
            match mode.load(Ordering::SeqCst) {
                0 => active,
                1 => inactive,
                2 => Reply::status(429, r#"{"error":"rate limited"}"#),
                3 => Reply::Garbage,
                _ => Reply::Hang(Duration::from_secs(3)),
            }
        })
    };
    let mut tested = HashSet::new();
    for spec in &specs {
        let (_, active, inactive) = ANSWERS
            .iter()
            .find(|(id, ..)| *id == spec.id)
            .unwrap_or_else(|| panic!("no fake answers for validator {}", spec.id));
        *current.lock().unwrap() = (
            Reply::status(active.0, active.1),
            Reply::status(inactive.0, inactive.1),
        );
        let mut opts = NetOptions {
            timeout: Duration::from_secs(1),
            min_interval: Duration::ZERO,
            ..NetOptions::default()
        };
        for h in spec.allowed_hosts() {
            opts.overrides.insert(concrete_host(&h), server.addr);
        }
        let verifier = Verifier::new(&[], opts).unwrap();
        let secret = sample_secret(&spec.allowed_hosts(), &spec.request.url);
        let rule = &spec.rules[0];
        let request = CheckRequest {
            rule_id: rule.clone(),
            secret: secret.clone(),
            partner: spec.partner.as_ref().map(|_| "kt-test-partner-0001".into()),
            related: (spec.related.iter())
                .map(|name| (name.clone(), "kt-test".to_string()))
                .collect(),
        };
        let expect = [
            Validity::Active,
            Validity::Inactive,
            Validity::Unknown,
            Validity::Error,
            Validity::Error,
        ];
        for (m, want) in expect.iter().enumerate() {
            mode.store(m as u8, Ordering::SeqCst);
            let got = verifier
                .check_request(&request)
                .expect("validator for its rule");
            assert_eq!(
                got.validity, *want,
                "{} in mode {m}: {}",
                spec.id, got.message
            );
            assert!(
                !got.message.contains(&secret),
                "{}: message holds the secret",
                spec.id
            );
        }
        let last = server.requests().pop().unwrap_or_default();
        let basic = spec.request.basic.is_some()
            && last.to_ascii_lowercase().contains("authorization: basic");
        assert!(
            last.contains(
                secret
                    .trim_start_matches("https://")
                    .split('/')
                    .next_back()
                    .unwrap_or_default()
            ) || basic,
            "{}: the request does not carry the secret:\n{last}",
            spec.id
        );
        tested.insert(spec.id.clone());
    }
    assert_eq!(tested.len(), specs.len());
}

#[test]
fn private_addresses_and_redirects_to_other_hosts_are_refused() {
    let user_validator = |id: &str, host: &str| {
        format!(
            "[[validator]]\nid = \"{id}\"\nrules = [\"x.{id}\"]\n[validator.request]\n\
             url = \"https://{host}/latest/{{{{secret}}}}\"\n[validator.active]\nstatus = [200]\n\
             [validator.inactive]\nstatus = [401]\n"
        )
    };
    let user_validators = [
        user_validator("metadata", "169.254.169.254"),
        user_validator("ten", "10.0.0.1"),
        user_validator("loop", "127.0.0.1"),
    ]
    .concat();
    let verifier = Verifier::new(&[user_validators.to_string()], NetOptions::default()).unwrap();
    for rule in ["x.metadata", "x.ten", "x.loop"] {
        let c = verifier.check(rule, "s3cr3t").unwrap();
        assert_eq!(c.validity, Validity::Error, "{rule}");
        assert!(
            c.message.contains("non-public address"),
            "{rule}: {}",
            c.message
        );
    }
    let server = FakeServer::start(|_| Reply::Http {
        status: 302,
        body: String::new(),
        headers: vec![("Location".into(), "https://evil.example/steal".into())],
    });
    let mut opts = NetOptions::default();
    opts.overrides.insert("api.github.com".into(), server.addr);
    let verifier = Verifier::new(&[], opts).unwrap();
    let c = verifier.check("github.pat.classic", "ghp_x").unwrap();
    assert_eq!(c.validity, Validity::Error);
    assert!(
        c.message
            .contains("refusing a redirect from api.github.com to evil.example"),
        "{}",
        c.message
    );
}

/// The public prefix of a token, which must not appear as a label either.
fn fp_prefix(token: &str) -> String {
    token[4..12].to_string()
}

/// A fake GitHub that knows which tokens are revoked, and a webhook receiver.
struct World {
    revoked: Arc<Mutex<HashSet<String>>>,
    github: FakeServer,
    hooks: FakeServer,
    dir: tempfile::TempDir,
}

impl World {
    fn new() -> World {
        let revoked: Arc<Mutex<HashSet<String>>> = Arc::default();
        let seen = revoked.clone();
        let github = FakeServer::start(move |req| {
            if req.starts_with("POST /credentials/revoke") {
                // The credential revocation API: the token is in the JSON body.
                if let Some(start) = req.find("ghp_") {
                    let token: String = req[start..].chars().take(40).collect();
                    seen.lock().unwrap().insert(token);
                }
                return Reply::status(202, "");
            }
            let token = req
                .lines()
                .find_map(|l| {
                    let lower = l.to_ascii_lowercase();
                    lower
                        .starts_with("authorization: token ")
                        .then(|| l[21..].to_string())
                })
                .unwrap_or_default()
                .trim()
                .to_string();
            if seen.lock().unwrap().contains(&token) {
                Reply::status(401, r#"{"message":"Bad credentials"}"#)
            } else {
                Reply::status(200, r#"{"login":"octocat"}"#)
            }
        });
        let hooks = FakeServer::start(|_| Reply::status(200, "ok"));
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("fp.key"), "k".repeat(40)).unwrap();
        std::fs::write(dir.path().join("seal.key"), "5e".repeat(32)).unwrap();
        World {
            revoked,
            github,
            hooks,
            dir,
        }
    }

    fn run(&self, now: &str, args: &[&str]) -> (i32, String, String) {
        let overrides = format!(
            "{},{}",
            self.github.override_for("api.github.com"),
            self.hooks.override_for("hooks.example.test")
        );
        let out = keytrail()
            .env("KEYTRAIL_LOG", "trace")
            .env("KEYTRAIL_LEDGER", self.dir.path().join("ledger.db"))
            .env("KEYTRAIL_LEDGER_KEY_FILE", self.dir.path().join("fp.key"))
            .env(
                "KEYTRAIL_SEALING_KEY_FILE",
                self.dir.path().join("seal.key"),
            )
            .env("KEYTRAIL_TEST_HOST_OVERRIDE", overrides)
            .args(["--now", now])
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn statuses(&self) -> Vec<(String, String)> {
        let (_, out, _) = self.run(
            "2026-03-30",
            &["ledger", "list", "--status", "all", "--format", "json"],
        );
        let v: Value = serde_json::from_str(&out).unwrap();
        let mut rows: Vec<(String, String)> = v["secrets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["redacted"].to_string(),
                    r["status"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        rows.sort();
        rows
    }
}

#[test]
fn scan_notify_and_verify_follow_secrets_until_the_provider_revokes_them() {
    let w = World::new();
    let (a, b) = (seeded_token("life-a"), seeded_token("life-b"));
    let tree = w.dir.path().join("repo");
    std::fs::create_dir_all(&tree).unwrap();
    std::fs::write(tree.join("a.env"), format!("GITHUB_TOKEN={a}\n")).unwrap();
    std::fs::write(tree.join("b.sh"), format!("export GH_TOKEN={b}\n")).unwrap();
    let mut logs = String::new();
    let mut step = |now: &str, args: &[&str]| {
        let (code, out, err) = w.run(now, args);
        logs.push_str(&out);
        logs.push_str(&err);
        (code, out, err)
    };
    let tree_arg = tree.display().to_string();
    assert_eq!(
        step("2026-03-01T09:00:00Z", &["scan", "-q", &tree_arg]).0,
        1
    );
    let (code, out, err) = step(
        "2026-03-01T10:00:00Z",
        &[
            "notify",
            "--webhook",
            "https://hooks.example.test/keytrail",
            "--retry-delay",
            "0",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("2 notification(s) delivered"), "{out}");
    let delivered = w.hooks.requests();
    assert_eq!(delivered.len(), 2);
    assert!(
        delivered
            .iter()
            .all(|r| r.contains("github.pat.classic") && r.contains("a.env") || r.contains("b.sh"))
    );
    // Told once: a second run the same week sends nothing.
    let (_, out, _) = step(
        "2026-03-02T10:00:00Z",
        &["notify", "--webhook", "https://hooks.example.test/keytrail"],
    );
    assert!(out.contains("0 notification(s) delivered"), "{out}");

    let (_, out, _) = step("2026-03-02T10:00:00Z", &["verify"]);
    assert!(out.contains("2 active, 0 inactive"), "{out}");
    w.revoked.lock().unwrap().insert(a.clone());
    let (_, out, _) = step("2026-03-04T10:00:00Z", &["verify"]);
    assert!(
        out.contains("1 active, 1 inactive") && out.contains("1 closed as revoked"),
        "{out}"
    );
    w.revoked.lock().unwrap().insert(b.clone());
    let (_, out, _) = step("2026-03-04T10:30:00Z", &["verify"]);
    assert!(
        out.contains("checked 0"),
        "recently checked secrets are skipped: {out}"
    );
    let (_, out, _) = step("2026-03-08T10:00:00Z", &["verify"]);
    assert!(out.contains("0 active, 1 inactive"), "{out}");
    let statuses: Vec<String> = w.statuses().into_iter().map(|(_, s)| s).collect();
    assert_eq!(statuses, ["revoked", "revoked"]);

    // Metrics: a was alive on day 1 and dead on day 3; b alive on day 3, dead on day 7.
    let (_, json, _) = step(
        "2026-03-30",
        &["metrics", "--format", "json", "--by", "provider"],
    );
    let m: Value = serde_json::from_str(&json).unwrap();
    let total = &m["metrics"]["total"];
    let day = 86_400;
    assert_eq!(total["revoked_after_notice"], 2);
    assert_eq!(total["ttr_lower_median"], day);
    assert_eq!(total["ttr_upper_median"], 3 * day);
    assert_eq!(total["ttr_lower_p90"], 3 * day);
    assert_eq!(total["ttr_upper_p90"], 7 * day);
    assert_eq!(m["metrics"]["slices"]["github"]["secrets"], 2);
    let (_, text, _) = step("2026-03-30", &["metrics", "--format", "openmetrics"]);
    let lines = text.lines().map(|l| Ok(l.to_string()));
    let scrape = prometheus_parse::Scrape::parse(lines).expect("valid exposition text");
    let hist = scrape
        .samples
        .iter()
        .find(|s| s.metric == "keytrail_time_to_revoke_seconds")
        .expect("time-to-revoke histogram");
    let prometheus_parse::Value::Histogram(buckets) = &hist.value else {
        panic!("not a histogram: {:?}", hist.value)
    };
    let at_5_days = buckets.iter().find(|b| b.less_than == 432_000.0).unwrap();
    assert_eq!(
        at_5_days.count, 1.0,
        "one secret died within 5 days of notice"
    );
    assert!(
        !text.contains("a.env") && !text.contains(&fp_prefix(&a)),
        "no paths or secrets in labels"
    );

    for secret in [&a, &b] {
        assert!(
            !logs.contains(&secret[4..]),
            "a secret reached the output at trace level"
        );
        for r in w.hooks.requests() {
            assert!(!r.contains(&secret[4..]), "a secret reached a notification");
        }
    }
}

#[test]
fn aws_key_pairs_are_checked_with_a_signed_sts_call() {
    let sts = FakeServer::start(|req| {
        if req.contains("Credential=AKIAZ4KQ7TNV3XW2RB5M/")
            && req.contains("Action=GetCallerIdentity")
        {
            Reply::status(200, "<GetCallerIdentityResponse/>")
        } else {
            Reply::status(403, "<Error><Code>InvalidClientTokenId</Code></Error>")
        }
    });
    let mut opts = NetOptions::default();
    opts.overrides.insert("sts.amazonaws.com".into(), sts.addr);
    let verifier = Verifier::new(&[], opts).unwrap();
    assert_eq!(
        verifier.partner_rule("aws.secret-access-key"),
        Some("aws.access-key-id")
    );
    let secret = "Zq8vL2m9Xk4pR7tW1nB6cY3hJ5sD0fG8aQ2eK9uT";
    let live = verifier
        .check_pair("aws.secret-access-key", secret, "AKIAZ4KQ7TNV3XW2RB5M")
        .unwrap();
    assert_eq!(live.validity, Validity::Active, "{}", live.message);
    let dead = verifier
        .check_pair("aws.secret-access-key", secret, "AKIAQQQQQQQQQQQQQQQQ")
        .unwrap();
    assert_eq!(dead.validity, Validity::Inactive, "{}", dead.message);
    let req = sts.requests().pop().unwrap();
    assert!(
        req.contains("AWS4-HMAC-SHA256") && !req.contains(secret),
        "{req}"
    );

    // Through the ledger: the pair is found in the same file and both are sealed.
    let w = World::new();
    let tree = w.dir.path().join("aws");
    std::fs::create_dir_all(&tree).unwrap();
    std::fs::write(
        tree.join("settings.py"),
        format!(
            "AWS_ACCESS_KEY_ID = \"AKIAZ4KQ7TNV3XW2RB5M\"\nAWS_SECRET_ACCESS_KEY = \"{secret}\"\n"
        ),
    )
    .unwrap();
    let tree_arg = tree.display().to_string();
    assert_eq!(w.run("2026-03-01", &["scan", "-q", &tree_arg]).0, 1);
    let out = keytrail()
        .env("KEYTRAIL_LEDGER", w.dir.path().join("ledger.db"))
        .env("KEYTRAIL_LEDGER_KEY_FILE", w.dir.path().join("fp.key"))
        .env("KEYTRAIL_SEALING_KEY_FILE", w.dir.path().join("seal.key"))
        .env(
            "KEYTRAIL_TEST_HOST_OVERRIDE",
            sts.override_for("sts.amazonaws.com"),
        )
        .args([
            "--now",
            "2026-03-02",
            "verify",
            "--rule",
            "aws.secret-access-key",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("checked 1: 1 active"),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn scan_verify_reports_validity_and_records_the_check() {
    let w = World::new();
    let (live, dead) = (seeded_token("scan-live"), seeded_token("scan-dead"));
    w.revoked.lock().unwrap().insert(dead.clone());
    let tree = w.dir.path().join("t");
    std::fs::create_dir_all(&tree).unwrap();
    std::fs::write(tree.join("a.env"), format!("A={live}\nB={dead}\n")).unwrap();
    let tree_arg = tree.display().to_string();
    let (code, out, err) = w.run(
        "2026-03-01",
        &["scan", "--verify", "--format", "json", &tree_arg],
    );
    assert_eq!(code, 1, "{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    let mut validity: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["validity"].as_str().unwrap())
        .collect();
    validity.sort_unstable();
    assert_eq!(validity, ["active", "inactive"]);
    let (_, list, _) = w.run("2026-03-01", &["ledger", "list", "--format", "json"]);
    let fp = serde_json::from_str::<Value>(&list).unwrap()["secrets"][0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, shown, _) = w.run("2026-03-01", &["ledger", "show", "--format", "json", &fp]);
    assert!(shown.contains("\"checked\""), "{shown}");
    assert!(!out.contains(&live[4..]) && !err.contains(&live[4..]));
}

#[test]
fn revoke_calls_the_provider_then_checks_and_closes() {
    let w = World::new();
    let token = seeded_token("revoke-me");
    let tree = w.dir.path().join("t");
    std::fs::create_dir_all(&tree).unwrap();
    std::fs::write(tree.join("a.env"), format!("T={token}\n")).unwrap();
    let tree_arg = tree.display().to_string();
    w.run("2026-03-01", &["scan", "-q", &tree_arg]);
    let (_, list, _) = w.run("2026-03-01", &["ledger", "list", "--format", "json"]);
    let fp = serde_json::from_str::<Value>(&list).unwrap()["secrets"][0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    let (code, _, err) = w.run("2026-03-02", &["revoke", &fp[..12]]);
    assert_eq!(code, 2);
    assert!(err.contains("--yes"), "{err}");
    let (code, out, err) = w.run("2026-03-02", &["revoke", "--yes", &fp[..12]]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("revocation accepted") && out.contains("check after revocation: inactive"),
        "{out}"
    );
    let (_, shown, _) = w.run("2026-03-02", &["ledger", "show", "--format", "json", &fp]);
    let v: Value = serde_json::from_str(&shown).unwrap();
    assert_eq!(v["secret"]["status"], "revoked");
    let kinds: Vec<&str> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["detected", "revoke_requested", "checked", "resolved"]
    );
    assert!(!out.contains(&token[4..]) && !err.contains(&token[4..]));
}

#[test]
fn webhook_deliveries_are_retried_and_outbox_files_are_written() {
    let w = World::new();
    let token = seeded_token("notify-me");
    let tree = w.dir.path().join("t");
    std::fs::create_dir_all(&tree).unwrap();
    std::fs::write(tree.join("a.env"), format!("T={token}\n")).unwrap();
    let tree_arg = tree.display().to_string();
    w.run("2026-03-01", &["scan", "-q", &tree_arg]);
    let calls = Arc::new(AtomicU8::new(0));
    let flaky = {
        let calls = calls.clone();
        FakeServer::start(move |_| match calls.fetch_add(1, Ordering::SeqCst) {
            0 | 1 => Reply::status(503, "busy"),
            _ => Reply::status(200, "ok"),
        })
    };
    let outbox = w.dir.path().join("outbox");
    let out = keytrail()
        .env("KEYTRAIL_LEDGER", w.dir.path().join("ledger.db"))
        .env("KEYTRAIL_LEDGER_KEY_FILE", w.dir.path().join("fp.key"))
        .env(
            "KEYTRAIL_TEST_HOST_OVERRIDE",
            flaky.override_for("hooks.slack.test"),
        )
        .args([
            "--now",
            "2026-03-01T12:00:00Z",
            "notify",
            "--retry-delay",
            "0.01",
        ])
        .args([
            "--slack-webhook",
            "https://hooks.slack.test/services/T0/B0/xyz",
        ])
        .arg("--outbox")
        .arg(&outbox)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("2 notification(s) delivered, 0 failed"),
        "{stdout}"
    );
    assert_eq!(
        calls.load(Ordering::SeqCst),
        3,
        "two failures, then delivered"
    );
    let slack: Value = {
        let req = flaky.requests().pop().unwrap();
        serde_json::from_str(req.split("\r\n\r\n").nth(1).unwrap()).unwrap()
    };
    assert!(
        slack["text"]
            .as_str()
            .unwrap()
            .contains("github.pat.classic")
    );
    let files: Vec<_> = std::fs::read_dir(&outbox).unwrap().flatten().collect();
    assert_eq!(files.len(), 1);
    let mail: Value = serde_json::from_slice(&std::fs::read(files[0].path()).unwrap()).unwrap();
    assert_eq!(mail["type"], "keytrail.notice");
    assert!(mail["text"].as_str().unwrap().contains("a.env"));
    assert!(!mail.to_string().contains(&token[4..]));
}

#[test]
fn owners_map_contacts_receive_their_notices() {
    let w = World::new();
    let token = seeded_token("contact-me");
    let tree = w.dir.path().join("mono");
    std::fs::create_dir_all(tree.join("services/pay")).unwrap();
    std::fs::write(tree.join("services/pay/app.env"), format!("T={token}\n")).unwrap();
    std::fs::write(
        tree.join("keytrail.toml"),
        "[[owner]]\nname = \"payments\"\npaths = [\"services/pay/\"]\nservice = \"pay-api\"\n\
         owners = [\"@acme/payments\"]\n[owner.contacts]\nemail = \"pay@acme.example\"\n\
         webhook = \"https://hooks.team.test/payments\"\n",
    )
    .unwrap();
    let tree_arg = tree.display().to_string();
    assert_eq!(w.run("2026-03-01", &["scan", "-q", &tree_arg]).0, 1);
    let (_, listed, _) = w.run(
        "2026-03-01",
        &[
            "ledger",
            "list",
            "--owner",
            "@acme/payments",
            "--format",
            "json",
        ],
    );
    assert_eq!(
        serde_json::from_str::<Value>(&listed).unwrap()["secrets"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let team = FakeServer::start(|_| Reply::status(200, "ok"));
    let out = keytrail()
        .env("KEYTRAIL_LEDGER", w.dir.path().join("ledger.db"))
        .env("KEYTRAIL_LEDGER_KEY_FILE", w.dir.path().join("fp.key"))
        .env(
            "KEYTRAIL_TEST_HOST_OVERRIDE",
            team.override_for("hooks.team.test"),
        )
        .args([
            "--now",
            "2026-03-01T12:00:00Z",
            "notify",
            "--retry-delay",
            "0",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("1 notification(s) delivered"),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let body = team.requests().pop().unwrap();
    assert!(
        body.contains("@acme/payments") && body.contains("pay@acme.example"),
        "{body}"
    );
    assert!(!body.contains(&token[4..]));
}

/// A fake Google token endpoint that issues a token only for a JWT that `public_key` verifies
/// and whose issuer is `email`.
fn fake_google_token_endpoint(public_key: Vec<u8>, email: &'static str) -> FakeServer {
    use base64::Engine as _;
    FakeServer::start(move |req| {
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let invalid = Reply::status(
            400,
            r#"{"error":"invalid_grant","error_description":"Invalid JWT Signature."}"#,
        );
        let Some(jwt) = req.split("assertion=").nth(1).map(str::trim) else {
            return Reply::status(400, r#"{"error":"invalid_request"}"#);
        };
        let parts: Vec<&str> = jwt.split('.').collect();
        let [header, claims, signature] = parts[..] else {
            return invalid;
        };
        let signed = format!("{header}.{claims}");
        let key = ring::signature::UnparsedPublicKey::new(
            &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            &public_key,
        );
        let sig = b64.decode(signature).unwrap_or_default();
        let claims: Value =
            serde_json::from_slice(&b64.decode(claims).unwrap_or_default()).unwrap_or_default();
        let grant =
            req.contains("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer");
        if key.verify(signed.as_bytes(), &sig).is_ok()
            && grant
            && claims["iss"] == email
            && claims["aud"] == "https://oauth2.googleapis.com/token"
        {
            Reply::status(200, r#"{"access_token":"ya29.kt-test","expires_in":3599}"#)
        } else {
            invalid
        }
    })
}

#[test]
fn gcp_service_account_keys_are_checked_by_a_signed_token_exchange() {
    use base64::Engine as _;
    const EMAIL: &str = "ledger-reader@keytrail-test.iam.gserviceaccount.com";
    let json: Value = serde_json::from_str(
        &std::fs::read_to_string(crate::common::testdata("verify/service-account.json")).unwrap(),
    )
    .unwrap();
    let pem = json["private_key"].as_str().unwrap().to_string();
    let der: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(der)
        .unwrap();
    let key = ring::signature::RsaKeyPair::from_pkcs8(&der).unwrap();
    let google = fake_google_token_endpoint(key.public().as_ref().to_vec(), EMAIL);

    let mut opts = NetOptions::default();
    opts.overrides
        .insert("oauth2.googleapis.com".into(), google.addr);
    let verifier = Verifier::new(&[], opts).unwrap();
    let rule = "google.service-account.private-key";
    assert_eq!(verifier.related_names(rule), ["client_email"]);
    let check = |secret: &str, email: Option<&str>| {
        verifier
            .check_request(&CheckRequest {
                rule_id: rule.into(),
                secret: secret.into(),
                related: email
                    .map(|e| ("client_email".to_string(), e.to_string()))
                    .into_iter()
                    .collect(),
                ..CheckRequest::default()
            })
            .unwrap()
    };
    // As found in the file: newlines JSON-escaped.
    let found = pem.replace('\n', "\\n");
    let live = check(&found, Some(EMAIL));
    assert_eq!(live.validity, Validity::Active, "{}", live.message);
    let other = check(
        &found,
        Some("deleted@keytrail-test.iam.gserviceaccount.com"),
    );
    assert_eq!(other.validity, Validity::Inactive, "{}", other.message);
    let no_email = check(&found, None);
    assert_eq!(no_email.validity, Validity::Error);
    assert!(
        no_email.message.contains("client_email"),
        "{}",
        no_email.message
    );
    let request = google.requests().pop().unwrap();
    assert!(
        !request.contains(&der_line(&pem)),
        "the key left the machine"
    );

    // Through a scan and the ledger: the email is read beside the key, recorded, and used by
    // a later `keytrail verify`.
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("svc");
    std::fs::create_dir_all(&tree).unwrap();
    std::fs::copy(
        crate::common::testdata("verify/service-account.json"),
        tree.join("sa.json"),
    )
    .unwrap();
    let overrides = google.override_for("oauth2.googleapis.com");
    let run = |args: &[&str]| run_with_sealed_ledger(dir.path(), &overrides, args);
    let (scanned, log) = run(&[
        "scan",
        "--format",
        "json",
        "--verify",
        &tree.display().to_string(),
    ]);
    let report: Value = serde_json::from_str(&scanned).unwrap_or_default();
    let finding = &report["findings"][0];
    assert_eq!(finding["related"]["client_email"], EMAIL, "{scanned}{log}");
    assert_eq!(finding["validity"], "active", "{scanned}{log}");
    let (verified, log) = run(&["--now", "2026-12-01", "verify", "--rule", rule]);
    assert!(verified.contains("checked 1: 1 active"), "{verified}{log}");
}

/// The first line of a PEM key's body, which must never be sent anywhere.
fn der_line(pem: &str) -> String {
    pem.lines().nth(1).unwrap_or_default().to_string()
}

#[test]
fn shopify_tokens_are_checked_at_the_shop_named_beside_them() {
    let shop = FakeServer::start(|req| {
        if req.starts_with("GET /admin/oauth/access_scopes.json")
            && req.contains("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")
        {
            Reply::status(200, r#"{"access_scopes":[{"handle":"read_orders"}]}"#)
        } else {
            Reply::status(401, r#"{"errors":"[API] Invalid API key or access token"}"#)
        }
    });
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".env"),
        "SHOPIFY_STORE_URL=https://acme-outlet.myshopify.com\n\
         SHOPIFY_ADMIN_TOKEN=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\n",
    )
    .unwrap();
    let out = keytrail()
        .env(
            "KEYTRAIL_TEST_HOST_OVERRIDE",
            shop.override_for("acme-outlet.myshopify.com"),
        )
        .args(["scan", "--format", "json", "--verify"])
        .arg(dir.path())
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let finding = &report["findings"][0];
    let log = String::from_utf8_lossy(&out.stderr);
    assert_eq!(finding["related"]["shop"], "acme-outlet", "{report}{log}");
    assert_eq!(finding["validity"], "active", "{report}{log}");
    assert_eq!(shop.requests().len(), 1);
}

#[test]
fn no_check_starts_after_the_deadline() {
    let slow = FakeServer::start(|_| Reply::Hang(Duration::from_millis(1500)));
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("repo");
    std::fs::create_dir_all(&tree).unwrap();
    for i in 0..3 {
        let token = seeded_token(&format!("deadline-{i}"));
        std::fs::write(
            tree.join(format!("{i}.env")),
            format!("GITHUB_TOKEN={token}\n"),
        )
        .unwrap();
    }
    let overrides = slow.override_for("api.github.com");
    let run = |args: &[&str]| run_with_sealed_ledger(dir.path(), &overrides, args);
    run(&["scan", "-q", &tree.display().to_string()]);
    let started = std::time::Instant::now();
    let (out, err) = run(&[
        "verify",
        "--timeout",
        "1",
        "--deadline",
        "1",
        "--concurrency",
        "1",
    ]);
    // One check runs into its 1 s timeout; by then the deadline has passed.
    assert!(
        out.contains("checked 1: 0 active, 0 inactive, 0 unknown, 1 error"),
        "{out}{err}"
    );
    assert!(
        err.contains("2 secret(s) were not checked: the --deadline passed"),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn typed_validators_read_rate_limits_garbage_and_silence() {
    let mode = Arc::new(AtomicU8::new(0));
    let server = {
        let mode = mode.clone();
        FakeServer::start(move |_| match mode.load(Ordering::SeqCst) {
            0 => Reply::status(429, r#"{"error":"rate_limit_exceeded"}"#),
            1 => Reply::Garbage,
            _ => Reply::Hang(Duration::from_secs(3)),
        })
    };
    let mut opts = NetOptions {
        timeout: Duration::from_secs(1),
        min_interval: Duration::ZERO,
        ..NetOptions::default()
    };
    opts.overrides
        .insert("sts.amazonaws.com".into(), server.addr);
    opts.overrides
        .insert("oauth2.googleapis.com".into(), server.addr);
    let verifier = Verifier::new(&[], opts).unwrap();
    let json: Value = serde_json::from_str(
        &std::fs::read_to_string(crate::common::testdata("verify/service-account.json")).unwrap(),
    )
    .unwrap();
    let gcp = CheckRequest {
        rule_id: "google.service-account.private-key".into(),
        secret: json["private_key"].as_str().unwrap().replace('\n', "\\n"),
        related: [(
            "client_email".to_string(),
            json["client_email"].as_str().unwrap().to_string(),
        )]
        .into(),
        ..CheckRequest::default()
    };
    let aws = CheckRequest {
        rule_id: "aws.secret-access-key".into(),
        secret: "Zq8vL2m9Xk4pR7tW1nB6cY3hJ5sD0fG8aQ2eK9uT".into(),
        partner: Some("AKIAZ4KQ7TNV3XW2RB5M".into()),
        ..CheckRequest::default()
    };
    for (m, want) in [Validity::Unknown, Validity::Error, Validity::Error]
        .into_iter()
        .enumerate()
    {
        mode.store(m as u8, Ordering::SeqCst);
        for req in [&gcp, &aws] {
            let got = verifier.check_request(req).unwrap();
            assert_eq!(
                got.validity, want,
                "{} in mode {m}: {}",
                req.rule_id, got.message
            );
        }
    }
}

/// Runs keytrail with a SQLite ledger, fingerprint and sealing keys in `dir` (the keys are
/// created on first use) and providers overridden to test servers; returns stdout and stderr.
fn run_with_sealed_ledger(
    dir: &std::path::Path,
    overrides: &str,
    args: &[&str],
) -> (String, String) {
    if !dir.join("fp.key").exists() {
        std::fs::write(dir.join("fp.key"), "k".repeat(40)).unwrap();
        std::fs::write(dir.join("seal.key"), "5e".repeat(32)).unwrap();
    }
    let out = keytrail()
        .env("KEYTRAIL_LEDGER", dir.join("ledger.db"))
        .env("KEYTRAIL_LEDGER_KEY_FILE", dir.join("fp.key"))
        .env("KEYTRAIL_SEALING_KEY_FILE", dir.join("seal.key"))
        .env("KEYTRAIL_TEST_HOST_OVERRIDE", overrides)
        .args(args)
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
