//! AWS: an access key pair is checked with STS `GetCallerIdentity`, which any valid key may call
//! and which changes nothing. The request is signed with Signature Version 4; only this one
//! fixed request is ever signed, so the signer is the few lines below rather than an SDK.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use super::net::Outgoing;

/// The STS host asked.
pub const STS_HOST: &str = "sts.amazonaws.com";
/// Rules whose secret is an AWS secret access key.
pub const SECRET_RULES: &[&str] = &["aws.secret-access-key", "aws.secret-access-key.paired"];
/// The rule that finds the access key id paired with such a secret.
pub const KEY_ID_RULE: &str = "aws.access-key-id";

const BODY: &str = "Action=GetCallerIdentity&Version=2011-06-15";
const REGION: &str = "us-east-1";
const SERVICE: &str = "sts";

/// The signed `GetCallerIdentity` request for a key pair at `amz_date` (`YYYYMMDDTHHMMSSZ`).
pub fn caller_identity_request(key_id: &str, secret: &str, amz_date: &str) -> Outgoing {
    let content_type = "application/x-www-form-urlencoded; charset=utf-8";
    let headers = [
        ("content-type", content_type),
        ("host", STS_HOST),
        ("x-amz-date", amz_date),
    ];
    let auth = authorization(
        "POST", "/", "", &headers, BODY, key_id, secret, amz_date, REGION, SERVICE,
    );
    Outgoing {
        method: "POST".into(),
        url: format!("https://{STS_HOST}/"),
        headers: vec![
            ("Content-Type".into(), content_type.into()),
            ("X-Amz-Date".into(), amz_date.into()),
            ("Authorization".into(), auth),
        ],
        body: Some(BODY.into()),
    }
}

/// The SigV4 `Authorization` header. `headers` are lower-case names, sorted, all signed.
#[allow(clippy::too_many_arguments)]
fn authorization(
    method: &str,
    path: &str,
    query: &str,
    headers: &[(&str, &str)],
    body: &str,
    key_id: &str,
    secret: &str,
    amz_date: &str,
    region: &str,
    service: &str,
) -> String {
    let canonical_headers: String = headers
        .iter()
        .map(|(k, v)| format!("{k}:{}\n", v.trim()))
        .collect();
    let signed: Vec<&str> = headers.iter().map(|(k, _)| *k).collect();
    let signed = signed.join(";");
    let canonical = format!(
        "{method}\n{path}\n{query}\n{canonical_headers}\n{signed}\n{}",
        hex::encode(Sha256::digest(body.as_bytes()))
    );
    let day = &amz_date[..8.min(amz_date.len())];
    let scope = format!("{day}/{region}/{service}/aws4_request");
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    );
    let mut key = mac(format!("AWS4{secret}").as_bytes(), day.as_bytes());
    for part in [region, service, "aws4_request"] {
        key = mac(&key, part.as_bytes());
    }
    let signature = hex::encode(mac(&key, to_sign.as_bytes()));
    format!(
        "AWS4-HMAC-SHA256 Credential={key_id}/{scope}, SignedHeaders={signed}, Signature={signature}"
    )
}

fn mac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut m = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of every length"));
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `get-vanilla` case of AWS's published Signature Version 4 test suite.
    #[test]
    fn signs_the_published_test_vector() {
        let auth = authorization(
            "GET",
            "/",
            "",
            &[
                ("host", "example.amazonaws.com"),
                ("x-amz-date", "20150830T123600Z"),
            ],
            "",
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20150830T123600Z",
            "us-east-1",
            "service",
        );
        assert_eq!(
            auth,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
             SignedHeaders=host;x-amz-date, \
             Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
    }
}
