import hashlib
import hmac

import pytest

from etl.crypto import sign_payload, verify_signature

# RFC 4231 test case 2
RFC4231_KEY = b"Jefe"
RFC4231_DATA = b"what do ya want for nothing?"
RFC4231_SHA256 = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"

FIXED_NONCE = "96342be89fda0804bb5a3496b2f612409bcf18a2244038b5"
# NIST SP 800-38A F.5.1 (AES-128 CTR)
NIST_KEY = "2b7e151628aed2a6abf7158809cf4f3c"
NIST_IV = "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"
RANDOM_SALT_B64 = "CZ5mcW/QZSS+LV/ZjhOzOw=="
SESSION_ID_SAMPLE = "lqgtwHbnG7qw7Q6niydMkgS0zM-gt8q-mJ4cnq5FvXk"
FAKE_SIGNING_KEY = "fake-signing-key-000000000000000000000000"


def test_rfc4231_vector():
    mac = hmac.new(RFC4231_KEY, RFC4231_DATA, hashlib.sha256).hexdigest()
    assert mac == RFC4231_SHA256


@pytest.mark.parametrize("payload", [b"{}", b'{"a":1}'])
def test_roundtrip(payload):
    sig = sign_payload(payload, FAKE_SIGNING_KEY, nonce=FIXED_NONCE)
    assert verify_signature(payload, sig, FAKE_SIGNING_KEY)


def test_aws_example_keys_are_rejected():
    from etl.connections_check import looks_real

    assert not looks_real("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
