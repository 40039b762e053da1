//! Google service-account keys, checked the way Google's client libraries use them: a JWT signed
//! with the key (RS256) is exchanged for an access token at Google's OAuth endpoint (the
//! JWT-bearer grant). Minting a short-lived token changes nothing and calls no API; a deleted key
//! or a deleted or disabled account is refused with `invalid_grant`.

use base64::Engine as _;
use ring::rand::SystemRandom;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};

use super::Validity;
use super::net::{Answer, Outgoing};

/// The rule whose secrets (the `private_key` of a service-account JSON file) this checks.
pub const RULE: &str = "google.service-account.private-key";
/// The related value the check needs: the key's service account.
pub const EMAIL: &str = "client_email";
/// Google's token endpoint host.
pub const TOKEN_HOST: &str = "oauth2.googleapis.com";
const TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
/// The narrowest scope that every service account may ask for.
const SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform.read-only";

/// The token request for a key (as it appears in the JSON file, with `\n` escapes) and its
/// service account's email, signed at `now` (Unix seconds).
pub fn token_request(private_key: &str, client_email: &str, now: i64) -> Result<Outgoing, String> {
    let key = key_pair(private_key)?;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = b64.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
    let claims = serde_json::json!({
        "iss": client_email,
        "scope": SCOPE,
        "aud": TOKEN_URL,
        "iat": now,
        "exp": now + 600,
    });
    let claims = b64.encode(claims.to_string());
    let signing_input = format!("{header}.{claims}");
    let mut signature = vec![0; key.public().modulus_len()];
    key.sign(
        &RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        signing_input.as_bytes(),
        &mut signature,
    )
    .map_err(|_| "the key could not sign".to_string())?;
    let jwt = format!("{signing_input}.{}", b64.encode(signature));
    Ok(Outgoing {
        method: "POST".into(),
        url: TOKEN_URL.into(),
        headers: vec![(
            "Content-Type".into(),
            "application/x-www-form-urlencoded".into(),
        )],
        body: Some(format!(
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion={jwt}"
        )),
    })
}

/// Reads the token endpoint's answer.
pub fn judge(a: &Answer) -> (Validity, String) {
    let json: Option<serde_json::Value> = serde_json::from_str(&a.body).ok();
    let error = json
        .as_ref()
        .and_then(|j| j.get("error"))
        .and_then(|e| e.as_str())
        .unwrap_or_default();
    match a.status {
        200 if json
            .as_ref()
            .is_some_and(|j| j.get("access_token").is_some()) =>
        {
            (Validity::Active, "HTTP 200: a token was issued".into())
        }
        400 | 401
            if matches!(
                error,
                "invalid_grant" | "invalid_client" | "unauthorized_client"
            ) =>
        {
            (Validity::Inactive, format!("HTTP {}: {error}", a.status))
        }
        429 => (Validity::Unknown, "rate limited (HTTP 429)".into()),
        s => (
            Validity::Unknown,
            format!("HTTP {s}: an answer the token endpoint does not give"),
        ),
    }
}

/// Parses a PEM private key (PKCS#8, or PKCS#1 `RSA PRIVATE KEY`), with its newlines either
/// real or JSON-escaped.
fn key_pair(pem: &str) -> Result<RsaKeyPair, String> {
    let pem = pem.replace("\\\\n", "\n").replace("\\n", "\n");
    let body: String = pem
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("-----"))
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .map_err(|_| "the private key is not valid base64".to_string())?;
    RsaKeyPair::from_pkcs8(&der)
        .or_else(|_| RsaKeyPair::from_der(&der))
        .map_err(|e| format!("not a usable RSA private key ({e})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_as_google_gives_them() {
        let a = |status, body: &str| Answer {
            status,
            body: body.into(),
            location: None,
        };
        let live = a(200, r#"{"access_token":"ya29.x","expires_in":3599}"#);
        assert_eq!(judge(&live).0, Validity::Active);
        let deleted = a(
            400,
            r#"{"error":"invalid_grant","error_description":"Invalid JWT Signature."}"#,
        );
        assert_eq!(judge(&deleted).0, Validity::Inactive);
        assert_eq!(judge(&a(429, "")).0, Validity::Unknown);
        assert_eq!(judge(&a(200, "<html>")).0, Validity::Unknown);
        assert_eq!(
            judge(&a(500, r#"{"error":"internal"}"#)).0,
            Validity::Unknown
        );
    }

    #[test]
    fn a_key_that_is_not_rsa_is_refused_with_a_reason() {
        let err = token_request(
            "-----BEGIN PRIVATE KEY-----\\nAAAA\\n-----END PRIVATE KEY-----\\n",
            "a@b.iam.gserviceaccount.com",
            0,
        )
        .unwrap_err();
        assert!(err.contains("not a usable RSA private key"), "{err}");
    }
}
