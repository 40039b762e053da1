//! Filters applied to a candidate secret after its regex matched: structural checksums,
//! entropy, and placeholders.
//!
//! These run only on regex matches, never per byte, so clarity wins over speed here.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;

/// A structural check some token formats carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// GitHub-style: `prefix_` + 30 base62 characters + 6 base62 characters that encode the
    /// CRC32 of those 30 characters. Used by GitHub (`ghp_`, `gho_`, ...) and npm (`npm_`).
    Crc32Base62,
    /// Grafana service-account tokens: `glsa_<32>_<8 hex>`, the hex being the little-endian
    /// CRC32 of everything before the last `_`.
    Crc32HexLe,
    /// BIP-173 bech32 checksum (age secret keys `AGE-SECRET-KEY-1...`).
    Bech32,
    /// A JSON Web Token whose header and payload decode, that is signed, and that is not public
    /// by design (a Supabase `anon` key) or a documentation sample (jwt.io's `1234567890`).
    Jwt,
}

impl Check {
    /// The names rule files may use.
    pub const NAMES: &'static [&'static str] = &[
        "github-crc32",
        "npm-crc32",
        "grafana-crc32",
        "bech32",
        "jwt",
    ];

    /// Parses a check name from a rule file.
    pub fn parse(name: &str) -> Option<Check> {
        match name {
            "github-crc32" | "npm-crc32" => Some(Check::Crc32Base62),
            "grafana-crc32" => Some(Check::Crc32HexLe),
            "bech32" => Some(Check::Bech32),
            "jwt" => Some(Check::Jwt),
            _ => None,
        }
    }

    /// Whether `secret` passes the check.
    pub fn is_valid(self, secret: &[u8]) -> bool {
        match self {
            Check::Crc32Base62 => is_valid_crc32_base62(secret),
            Check::Crc32HexLe => is_valid_crc32_hex_le(secret),
            Check::Bech32 => is_valid_bech32(secret),
            Check::Jwt => is_credential_jwt(secret),
        }
    }
}

/// The check of the token format that `secret` is, whole, where that format carries one: a
/// GitHub or npm token (CRC32), a Grafana service-account token, an age secret key, a JWT. A
/// generic rule applies it, so that it does not report a token that its provider's rule rejected
/// (a wrong checksum, a public-by-design or unsigned JWT).
pub fn format_check(secret: &[u8]) -> Option<Check> {
    let alphanumeric = |part: &[u8]| part.iter().all(u8::is_ascii_alphanumeric);
    let crc32_prefixed = [b"ghp_", b"gho_", b"ghu_", b"ghs_", b"npm_"]
        .iter()
        .any(|prefix| {
            secret
                .strip_prefix(prefix.as_slice())
                .is_some_and(|rest| rest.len() == 36 && alphanumeric(rest))
        });
    if crc32_prefixed {
        return Some(Check::Crc32Base62);
    }
    if let Some(rest) = secret.strip_prefix(b"glsa_")
        && rest.len() == 41
        && alphanumeric(&rest[..32])
        && rest[32] == b'_'
        && rest[33..].iter().all(u8::is_ascii_hexdigit)
    {
        return Some(Check::Crc32HexLe);
    }
    if secret.len() == 74 && secret.starts_with(b"AGE-SECRET-KEY-1") {
        return Some(Check::Bech32);
    }
    if secret.starts_with(b"eyJ") && memchr::memchr_iter(b'.', secret).count() == 2 {
        return Some(Check::Jwt);
    }
    None
}

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Checks the CRC32/base62 suffix of a `prefix_<30 chars><6 chars>` token.
fn is_valid_crc32_base62(secret: &[u8]) -> bool {
    let Some(us) = memchr::memrchr(b'_', secret) else {
        return false;
    };
    let body = &secret[us + 1..];
    if body.len() != 36 {
        return false;
    }
    let (random, checksum) = body.split_at(30);
    let Some(expected) = decode_base62(checksum) else {
        return false;
    };
    u64::from(crc32fast::hash(random)) == expected
}

/// Payload fragments (spaces removed) of JWTs that are not credentials.
const PUBLIC_JWT_CLAIMS: &[&[u8]] = &[br#""role":"anon""#, br#""sub":"1234567890""#];

fn is_credential_jwt(secret: &[u8]) -> bool {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut parts = secret.split(|&b| b == b'.');
    let (Some(header), Some(payload), Some(signature)) = (parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let decode = |part: &[u8]| {
        URL_SAFE_NO_PAD
            .decode(part.strip_suffix(b"=").unwrap_or(part))
            .ok()
    };
    let (Some(header), Some(payload)) = (decode(header), decode(payload)) else {
        return false;
    };
    let compact: Vec<u8> = payload
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let header: Vec<u8> = header
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    memchr::memmem::find(&header, b"\"alg\"").is_some()
        && memchr::memmem::find(&header, br#""alg":"none""#).is_none()
        && !signature.is_empty()
        && !PUBLIC_JWT_CLAIMS
            .iter()
            .any(|c| memchr::memmem::find(&compact, c).is_some())
        && !is_placeholder_text(&compact)
}

/// Checks `<body>_<8 hex>` where the hex is the little-endian CRC32 of `<body>`.
fn is_valid_crc32_hex_le(secret: &[u8]) -> bool {
    let Some(us) = memchr::memrchr(b'_', secret) else {
        return false;
    };
    let (body, hex) = (&secret[..us], &secret[us + 1..]);
    let expected: String = crc32fast::hash(body)
        .to_le_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    hex.eq_ignore_ascii_case(expected.as_bytes())
}

const BECH32_ALPHABET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";

/// Checks a bech32 string (BIP-173): `hrp 1 data checksum`, case-insensitive.
fn is_valid_bech32(secret: &[u8]) -> bool {
    let lower = secret.to_ascii_lowercase();
    let Some(sep) = memchr::memrchr(b'1', &lower) else {
        return false;
    };
    let (hrp, data) = (&lower[..sep], &lower[sep + 1..]);
    if hrp.is_empty() || data.len() < 6 {
        return false;
    }
    let Some(values) = data
        .iter()
        .map(|c| {
            BECH32_ALPHABET
                .iter()
                .position(|a| a == c)
                .map(|v| v as u32)
        })
        .collect::<Option<Vec<u32>>>()
    else {
        return false;
    };
    let expanded = hrp
        .iter()
        .map(|&c| u32::from(c) >> 5)
        .chain(std::iter::once(0))
        .chain(hrp.iter().map(|&c| u32::from(c) & 31));
    bech32_polymod(expanded.chain(values)) == 1
}

fn bech32_polymod(values: impl Iterator<Item = u32>) -> u32 {
    const GEN: [u32; 5] = [
        0x3b6a_57b2,
        0x2650_8e6d,
        0x1ea1_19fa,
        0x3d42_33dd,
        0x2a14_62b3,
    ];
    values.fold(1u32, |chk, v| {
        let top = chk >> 25;
        let mut chk = ((chk & 0x1ff_ffff) << 5) ^ v;
        for (i, g) in GEN.iter().enumerate() {
            if (top >> i) & 1 == 1 {
                chk ^= g;
            }
        }
        chk
    })
}

fn decode_base62(text: &[u8]) -> Option<u64> {
    text.iter().try_fold(0u64, |acc, &c| {
        let digit = BASE62.iter().position(|&d| d == c)? as u64;
        Some(acc * 62 + digit)
    })
}

/// Encodes `value` in base62, left-padded with `0` to `width` characters.
pub fn encode_base62(mut value: u64, width: usize) -> String {
    let mut out = Vec::new();
    while value > 0 {
        out.push(BASE62[(value % 62) as usize]);
        value /= 62;
    }
    while out.len() < width {
        out.push(b'0');
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Builds a token in the CRC32/base62 format: `prefix` + `random` + checksum of `random`.
/// For test fixtures and benchmarks.
pub fn make_crc32_token(prefix: &str, random: &str) -> String {
    let sum = encode_base62(u64::from(crc32fast::hash(random.as_bytes())), 6);
    format!("{prefix}{random}{sum}")
}

/// Shannon entropy of `bytes` in bits per byte.
pub fn shannon_entropy(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in bytes {
        counts[b as usize] += 1;
    }
    let len = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / len;
            -p * p.log2()
        })
        .sum()
}

/// Words that mark a value as a stand-in rather than a credential.
const PLACEHOLDER_WORDS: &[&str] = &[
    "example",
    "placeholder",
    "your_",
    "your-",
    "yourkey",
    "yourtoken",
    "yourpassword",
    "changeme",
    "change_me",
    "replace_me",
    "replaceme",
    "dummy",
    "redacted",
    "insert_",
    "sample",
    "${",
    "{{",
    "}}",
    "%(",
    "$(",
    "xxxx",
    "****",
    "....",
    "…",
];

/// Whole values that are stand-ins, never credentials.
const PLACEHOLDER_VALUES: &[&str] = &[
    "password",
    "passwd",
    "pass",
    "secret",
    "changeit",
    "test",
    "testing",
    "none",
    "null",
    "nil",
    "true",
    "false",
    "undefined",
    "todo",
    "tbd",
    "foo",
    "bar",
    "foobar",
    "string",
    "value",
    "empty",
    "required",
    "token",
    "apikey",
    "api_key",
    "secretkey",
    "your-password",
    "mypassword",
    // Well-known public values: Grafana's default secret_key, Stripe's documentation test key.
    "sw2ycwtib9zpoohopsmm",
    "sk_test_4ec39hqlyjwdarjtt1zdp7dc",
    // AES test vectors published in FIPS-197 and NIST SP 800-38A (128-, 192- and 256-bit keys).
    "2b7e151628aed2a6abf7158809cf4f3c",
    "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b",
    "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
];

/// Whether a candidate secret is a placeholder: a template reference, a documentation stand-in,
/// or a run of one repeated character.
pub fn is_placeholder(secret: &[u8]) -> bool {
    if PLACEHOLDER_VALUES
        .iter()
        .any(|v| v.as_bytes().eq_ignore_ascii_case(secret))
    {
        return true;
    }
    if is_encoded_placeholder(secret) || is_angle_placeholder(secret) {
        return true;
    }
    static WORDS: LazyLock<AhoCorasick> = LazyLock::new(|| case_insensitive(PLACEHOLDER_WORDS));
    if WORDS.is_match(secret) {
        return true;
    }
    is_low_variety(secret)
}

/// `<token>`, `<your key here>`: a name in angle brackets.
fn is_angle_placeholder(secret: &[u8]) -> bool {
    let Some(open) = memchr::memchr(b'<', secret) else {
        return false;
    };
    let Some(close) = memchr::memchr(b'>', &secret[open..]) else {
        return false;
    };
    let inner = &secret[open + 1..open + close];
    !inner.is_empty()
        && inner
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b" _-.".contains(b))
}

/// Whether decoded text says it is a stand-in ("fake", "dummy", "example", ...).
fn is_placeholder_text(text: &[u8]) -> bool {
    static WORDS: LazyLock<AhoCorasick> =
        LazyLock::new(|| case_insensitive(DECODED_PLACEHOLDER_WORDS));
    WORDS.is_match(text)
}

/// One case-insensitive automaton over `words`, so a candidate is checked for all of them in one
/// pass.
fn case_insensitive(words: &[&str]) -> AhoCorasick {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(words)
        .expect("a few short constant words always build")
}

/// Words that mark a base64-decoded value as a stand-in.
const DECODED_PLACEHOLDER_WORDS: &[&str] = &[
    "not a real",
    "not real",
    "fake",
    "dummy",
    "example",
    "sample",
    "placeholder",
    "changeme",
];

/// A base64 value that decodes to readable text saying it is not real
/// (`dGhpcyBpcyBub3QgYSByZWFsIHZhbHVl`: "this is not a real value").
fn is_encoded_placeholder(secret: &[u8]) -> bool {
    use base64::Engine as _;
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
    if secret.len() < 16
        || !secret
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(b))
    {
        return false;
    }
    let Some(decoded) = STANDARD
        .decode(secret)
        .or_else(|_| STANDARD_NO_PAD.decode(secret))
        .ok()
    else {
        return false;
    };
    if !decoded.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
        return false;
    }
    is_placeholder_text(&decoded)
}

/// A value with at most two distinct bytes after a short type prefix (`aaaaaaa`, `0000-0000`,
/// `ghp_000000...`).
fn is_low_variety(secret: &[u8]) -> bool {
    let tail = match secret.iter().position(|b| b"_-.".contains(b)) {
        Some(i) if i <= 12 && i + 1 < secret.len() => &secret[i + 1..],
        _ => secret,
    };
    let mut seen = [false; 256];
    let mut distinct = 0;
    for &b in tail {
        if !seen[b as usize] {
            seen[b as usize] = true;
            distinct += 1;
            if distinct > 2 {
                return false;
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn github_token(random: &str) -> String {
        let sum = encode_base62(u64::from(crc32fast::hash(random.as_bytes())), 6);
        format!("ghp_{random}{sum}")
    }

    #[test]
    fn crc32_base62_accepts_published_example() {
        // The worked example from GitHub's token-format announcement.
        assert!(Check::Crc32Base62.is_valid(b"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"));
    }

    #[test]
    fn crc32_base62_rejects_wrong_checksum_and_shape() {
        let good = github_token("FAKEtokenFAKEtokenFAKEtoken012");
        assert!(Check::Crc32Base62.is_valid(good.as_bytes()));
        let mut bad = good.clone().into_bytes();
        let last = bad.len() - 1;
        bad[last] = if bad[last] == b'A' { b'B' } else { b'A' };
        assert!(!Check::Crc32Base62.is_valid(&bad));
        assert!(!Check::Crc32Base62.is_valid(b"ghp_short"));
        assert!(!Check::Crc32Base62.is_valid(b"no-underscore"));
        assert!(!Check::Crc32Base62.is_valid(b"ghp_zQWBuTSOoRi4A9spHcVY5ncnsDkxkJ0mLq1!"));
    }

    #[test]
    fn a_secret_shaped_like_a_checksummed_format_gets_that_formats_check() {
        let github = github_token("FAKEtokenFAKEtokenFAKEtoken012");
        let npm = make_crc32_token("npm_", "FAKEnpmFAKEnpmFAKEnpmFAKEnpm01");
        for token in [&github, &npm] {
            assert_eq!(format_check(token.as_bytes()), Some(Check::Crc32Base62));
        }
        let grafana = "glsa_KeyTrailFakeGrafanaSecret0123456_a2121803";
        assert_eq!(format_check(grafana.as_bytes()), Some(Check::Crc32HexLe));
        let age = format!("AGE-SECRET-KEY-1{}", "Q".repeat(58));
        assert_eq!(format_check(age.as_bytes()), Some(Check::Bech32));
        assert_eq!(
            format_check(b"eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl"),
            Some(Check::Jwt)
        );
        // Other lengths, other prefixes, a token inside a longer value: no format check.
        for other in [
            &github[..github.len() - 1],
            "ghx_FAKEtokenFAKEtokenFAKEtoken012345678",
            "Zr8vK2mQpL4xT9wNqR7sT9uV1wX3yZ5a",
            "xghp_FAKEtokenFAKEtokenFAKEtoken0123456",
        ] {
            assert_eq!(format_check(other.as_bytes()), None, "{other}");
        }
    }

    #[test]
    fn npm_tokens_use_the_same_scheme() {
        let random = "FAKEnpmFAKEnpmFAKEnpmFAKEnpm01";
        let sum = encode_base62(u64::from(crc32fast::hash(random.as_bytes())), 6);
        let token = format!("npm_{random}{sum}");
        assert_eq!(Check::parse("npm-crc32"), Some(Check::Crc32Base62));
        assert!(Check::Crc32Base62.is_valid(token.as_bytes()));
    }

    #[test]
    fn grafana_checksum_matches_published_generator() {
        let body = "glsa_KeyTrailFakeGrafanaSecret0123456";
        let good = format!("{body}_a2121803");
        assert!(Check::Crc32HexLe.is_valid(good.as_bytes()));
        assert!(!Check::Crc32HexLe.is_valid(format!("{body}_031812a2").as_bytes()));
    }

    #[test]
    fn bech32_accepts_a_valid_age_key_and_rejects_a_changed_one() {
        let key = "AGE-SECRET-KEY-1QQQSYQCYQ5RQWZQFPG9SCRGWPUGPZYSNZS23V9CCRYDPK8QARC0SWRYDWG";
        assert!(Check::Bech32.is_valid(key.as_bytes()));
        assert!(!Check::Bech32.is_valid(key.replace("DWG", "DWQ").as_bytes()));
        assert!(!Check::Bech32.is_valid(b"AGE-SECRET-KEY-1"));
    }

    #[test]
    fn low_variety_ignores_only_a_short_type_prefix() {
        assert!(is_placeholder(b"ghp_000000000000000000000000000000000000"));
        assert!(!is_placeholder(b"sk-ant-api03-72J1TAjcbxBD75h_bAA"));
        assert!(!is_placeholder(b"9BzPCGEqt9MUylKPTiglaQ_e"));
    }

    #[test]
    fn entropy_of_known_strings() {
        assert_eq!(shannon_entropy(b""), 0.0);
        assert_eq!(shannon_entropy(b"aaaa"), 0.0);
        assert!((shannon_entropy(b"abcd") - 2.0).abs() < 1e-9);
        assert!(shannon_entropy(b"zQWBuTSOoRi4A9spHcVY5ncnsDkxkJ") > 4.0);
    }

    #[test]
    fn placeholders_are_recognised() {
        for p in [
            "YOUR_API_KEY",
            "<token>",
            "xxxxxxxxxxxxxxxx",
            "changeme",
            "${DB_PASSWORD}",
            "{{ .Values.token }}",
            "ghp_000000000000000000000000000000000000",
            "sk_live_EXAMPLEKEY",
            "dGhpcyBpcyBub3QgYSByZWFsIHZhbHVl",
            "2B7E151628AED2A6ABF7158809CF4F3C",
        ] {
            assert!(is_placeholder(p.as_bytes()), "{p}");
        }
        for s in ["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", "hunter2-Qv9!"] {
            assert!(!is_placeholder(s.as_bytes()), "{s}");
        }
    }
}
