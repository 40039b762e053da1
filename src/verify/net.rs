//! Network safety for validators, revocation and notification.
//!
//! Every request goes through one `ureq` agent configured here: HTTPS only, no redirects
//! followed, a timeout per request, a response size cap, and a resolver that refuses any host
//! that resolves to a private, loopback, link-local or otherwise non-public address (checked
//! after DNS, so a public name pointing inward is refused too). Requests to one host are spaced
//! by a minimum interval. Tests point a provider's host at a server on 127.0.0.1 with
//! `KEYTRAIL_TEST_HOST_OVERRIDE=host=127.0.0.1:port,...`, which accepts only loopback targets
//! and switches those hosts to plain HTTP. Error messages never include URLs, since a URL may
//! hold the secret.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ureq::config::Config;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};

/// Environment variable mapping hosts to loopback test servers.
pub const OVERRIDE_ENV: &str = "KEYTRAIL_TEST_HOST_OVERRIDE";
/// Largest response body read.
const MAX_BODY: u64 = 64 << 10;

/// How requests may be made.
#[derive(Debug, Clone)]
pub struct NetOptions {
    /// Timeout of one request.
    pub timeout: Duration,
    /// Smallest gap between two requests to the same host.
    pub min_interval: Duration,
    /// Host → loopback address, for tests.
    pub overrides: HashMap<String, SocketAddr>,
}

impl Default for NetOptions {
    fn default() -> Self {
        NetOptions {
            timeout: Duration::from_secs(10),
            min_interval: Duration::from_millis(200),
            overrides: HashMap::new(),
        }
    }
}

impl NetOptions {
    /// Defaults plus the test override from the environment, if set.
    pub fn from_env() -> Result<NetOptions, String> {
        let mut opts = NetOptions::default();
        if let Ok(spec) = std::env::var(OVERRIDE_ENV) {
            opts.overrides = parse_overrides(&spec)?;
        }
        Ok(opts)
    }
}

/// Reads `host=127.0.0.1:port,...`; only loopback targets are accepted.
pub fn parse_overrides(spec: &str) -> Result<HashMap<String, SocketAddr>, String> {
    let mut out = HashMap::new();
    for pair in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (host, addr) = pair
            .split_once('=')
            .ok_or_else(|| format!("{OVERRIDE_ENV}: expected host=address, got {pair:?}"))?;
        let addr: SocketAddr = addr
            .parse()
            .map_err(|_| format!("{OVERRIDE_ENV}: {addr:?} is not an address:port"))?;
        if !addr.ip().is_loopback() {
            return Err(format!(
                "{OVERRIDE_ENV}: only loopback targets are allowed, not {addr}"
            ));
        }
        out.insert(host.to_ascii_lowercase(), addr);
    }
    Ok(out)
}

/// Whether an address is on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_unspecified()
                || v4.is_multicast()
                || o[0] == 0
                || (o[0] == 100 && (o[1] & 0xc0) == 64) // shared address space (CGNAT)
                || (o[0] == 198 && (o[1] & 0xfe) == 18) // benchmarking
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local
                || (s[0] & 0xffc0) == 0xfe80 // link local
                || s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        }
    }
}

/// A resolver that answers overridden hosts itself and refuses non-public addresses.
#[derive(Debug)]
struct SafeResolver {
    inner: DefaultResolver,
    overrides: HashMap<String, SocketAddr>,
}

impl Resolver for SafeResolver {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let host = uri.host().unwrap_or_default().to_ascii_lowercase();
        if let Some(addr) = self.overrides.get(&host) {
            let mut out = self.empty();
            out.push(*addr);
            return Ok(out);
        }
        let addrs = self.inner.resolve(uri, config, timeout)?;
        if let Some(bad) = addrs.iter().find(|a| !is_public(a.ip())) {
            return Err(ureq::Error::Other(Box::new(Refused(format!(
                "refusing {host}: it resolves to the non-public address {}",
                bad.ip()
            )))));
        }
        Ok(addrs)
    }
}

/// A request refused by policy.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

/// The outcome of one HTTP exchange.
#[derive(Debug, Clone)]
pub struct Answer {
    /// Status code.
    pub status: u16,
    /// Body (at most 64 KiB, lossy UTF-8).
    pub body: String,
    /// `Location` header of a redirect.
    pub location: Option<String>,
}

/// A request to send: method, URL, headers, body.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// Method.
    pub method: String,
    /// URL.
    pub url: String,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Option<String>,
}

/// The HTTP client every validator, revocation and notification uses.
#[derive(Clone)]
pub struct Client {
    agent: ureq::Agent,
    opts: NetOptions,
    last: Arc<Mutex<HashMap<String, Instant>>>,
}

impl Client {
    /// A client with these options.
    pub fn new(opts: NetOptions) -> Client {
        let config = ureq::Agent::config_builder()
            .https_only(opts.overrides.is_empty())
            .max_redirects(0)
            .http_status_as_error(false)
            .timeout_global(Some(opts.timeout))
            .user_agent("keytrail")
            .build();
        let resolver = SafeResolver {
            inner: DefaultResolver::default(),
            overrides: opts.overrides.clone(),
        };
        Client {
            agent: ureq::Agent::with_parts(config, DefaultConnector::new(), resolver),
            opts,
            last: Arc::default(),
        }
    }

    /// Sends a request to one of `allowed` hosts; refuses any other host, plain HTTP (unless
    /// overridden for tests) and redirects.
    pub fn send(&self, req: &Outgoing, allowed: &[String]) -> Result<Answer, String> {
        let host = super::spec::host_of(&req.url).ok_or("the URL has no host")?;
        if !super::spec::host_allowed(&host, allowed) {
            return Err(format!("refusing {host}: not a host this check may reach"));
        }
        let url = match self.opts.overrides.contains_key(&host) {
            true => req.url.replacen("https://", "http://", 1),
            false if req.url.starts_with("https://") => req.url.clone(),
            false => return Err(format!("refusing {host}: only https:// is allowed")),
        };
        self.pace(&host);
        let answer = self.exchange(req, &url).map_err(describe)?;
        if (300..400).contains(&answer.status) {
            let to = answer.location.as_deref().and_then(super::spec::host_of);
            return Err(match to {
                Some(h) if h != host => format!("refusing a redirect from {host} to {h}"),
                _ => format!("{host} answered with a redirect, which is not followed"),
            });
        }
        Ok(answer)
    }

    fn exchange(&self, req: &Outgoing, url: &str) -> Result<Answer, ureq::Error> {
        let mut builder = ureq::http::Request::builder()
            .method(req.method.as_str())
            .uri(url);
        for (k, v) in &req.headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        let body = req.body.clone().unwrap_or_default();
        let request = builder.body(body).map_err(ureq::Error::from)?;
        let mut response = self.agent.run(request)?;
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let status = response.status().as_u16();
        let bytes = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_vec()
            .or_else(|e| match e {
                ureq::Error::BodyExceedsLimit(_) => Ok(Vec::new()),
                other => Err(other),
            })?;
        Ok(Answer {
            status,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            location,
        })
    }

    /// Waits until the host's minimum interval since its last request has passed.
    fn pace(&self, host: &str) {
        let wait = {
            let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            let next = last
                .get(host)
                .map_or(now, |t| (*t + self.opts.min_interval).max(now));
            last.insert(host.to_string(), next);
            next - now
        };
        if !wait.is_zero() {
            std::thread::sleep(wait);
        }
    }
}

/// A message for a failed exchange that never repeats the URL (it may hold the secret).
fn describe(e: ureq::Error) -> String {
    match e {
        ureq::Error::Timeout(_) => "the request timed out".into(),
        ureq::Error::HostNotFound => "host not found".into(),
        ureq::Error::ConnectionFailed => "connection failed".into(),
        ureq::Error::Io(io) => format!("I/O error ({})", io.kind()),
        ureq::Error::RequireHttpsOnly(_) => "only https:// is allowed".into(),
        ureq::Error::Other(inner) => match inner.downcast::<Refused>() {
            Ok(refused) => refused.0,
            Err(_) => "the request failed".into(),
        },
        ureq::Error::Tls(_) | ureq::Error::Rustls(_) => "TLS handshake failed".into(),
        ureq::Error::Protocol(_) => "malformed HTTP answer".into(),
        _ => "the request failed".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_pass() {
        for bad in [
            "10.0.0.1",
            "169.254.169.254",
            "127.0.0.1",
            "192.168.1.1",
            "172.16.0.1",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!is_public(bad.parse().unwrap()), "{bad}");
        }
        for good in ["140.82.112.5", "1.1.1.1", "2606:4700::1111"] {
            assert!(is_public(good.parse().unwrap()), "{good}");
        }
    }

    #[test]
    fn overrides_accept_only_loopback() {
        let o = parse_overrides("api.github.com=127.0.0.1:8080, slack.com=[::1]:9").unwrap();
        assert_eq!(o.len(), 2);
        assert!(parse_overrides("api.github.com=10.0.0.1:80").is_err());
        assert!(parse_overrides("nonsense").is_err());
    }

    #[test]
    fn private_and_foreign_hosts_are_refused() {
        let client = Client::new(NetOptions::default());
        let get = |url: &str, allowed: &str| {
            let req = Outgoing {
                method: "GET".into(),
                url: url.into(),
                headers: Vec::new(),
                body: None,
            };
            client.send(&req, &[allowed.to_string()]).unwrap_err()
        };
        for ip in ["10.0.0.1", "169.254.169.254", "127.0.0.1"] {
            let err = get(&format!("https://{ip}/latest/meta-data"), ip);
            assert!(err.contains("non-public address"), "{ip}: {err}");
        }
        assert!(
            get("https://evil.example/x", "api.github.com")
                .contains("not a host this check may reach")
        );
        assert!(get("http://api.github.com/", "api.github.com").contains("only https"));
    }
}
