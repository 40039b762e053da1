#!/usr/bin/env python3
"""
Generator for the keytrail evaluation corpus.

Every credential-looking value in tree/ is produced here from a seeded
random.Random, i.e. all values are FAKE.  Positives are wrapped with P(kind, value)
and negatives (look-alikes) with N(category, value) while templates are rendered;
emit() strips the markers, records the 1-based line of each value, and writes
manifest.jsonl (positives) and negatives.jsonl (look-alikes, for bookkeeping only).

Templates use «python-expression» placeholders so that braces in JSON/HCL/Go
source need no escaping.  Expressions are evaluated in textual order, so the
output is fully deterministic for a given SEED.
"""
import base64
import collections
import hashlib
import json
import os
import random
import re
import shutil
import string
import struct
import uuid as _uuid
import zlib

SEED = 73129
R = random.Random(SEED)
ROOT = os.path.dirname(os.path.abspath(__file__))
TREE = os.path.join(ROOT, "tree")

UP = string.ascii_uppercase
LO = string.ascii_lowercase
DG = string.digits
ALNUM = UP + LO + DG
B62 = DG + UP + LO              # base62 alphabet used for GitHub/npm checksums
HEXL = "0123456789abcdef"
HEXU = "0123456789ABCDEF"
URLSAFE = ALNUM + "-_"
B64CS = ALNUM + "+/"
B32L = LO + "234567"
B32U = UP + "234567"
# characters used in generated passwords (no quotes, backslash, $, #, space, <, &)
PWSYM = "!@%^*-_+=.~?"
XMLSAFE_SYM = "!@%*-_+=.~"
URI_SYM = "-_.~"


# --------------------------------------------------------------------------------------
# primitive random helpers
# --------------------------------------------------------------------------------------
def rs(n, cs=ALNUM):
    return "".join(R.choice(cs) for _ in range(n))


def hx(n):
    return rs(n, HEXL)


def HX(n):
    return rs(n, HEXU)


def dg(n):
    return str(R.randint(1, 9)) + rs(n - 1, DG)


def rb(n):
    return bytes(R.getrandbits(8) for _ in range(n))


def b64(s):
    if isinstance(s, str):
        s = s.encode()
    return base64.b64encode(s).decode()


def b64u(s):
    if isinstance(s, str):
        s = s.encode()
    return base64.urlsafe_b64encode(s).decode().rstrip("=")


def uid():
    return str(_uuid.UUID(int=R.getrandbits(128), version=4))


def sha1hex():
    return hx(40)


def sha256hex():
    return hx(64)


def b62enc(num):
    if num == 0:
        return "0"
    out = ""
    while num:
        num, r = divmod(num, 62)
        out = B62[r] + out
    return out


def crc_checksum(body):
    return b62enc(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")


def pick(*xs):
    return R.choice(xs)


# --------------------------------------------------------------------------------------
# marker handling
# --------------------------------------------------------------------------------------
MS, SEP, ME = "\u27e6", "\u241f", "\u27e7"
MARK = re.compile(MS + "([PN])" + SEP + "([^" + SEP + "]+)" + SEP + "(.*?)" + ME, re.S)
TPL = re.compile("\u00ab(.*?)\u00bb", re.S)

MANIFEST = []
NEGATIVES = []
FILES = []


def P(kind, value):
    assert "\n" not in value, (kind, value)
    return f"{MS}P{SEP}{kind}{SEP}{value}{ME}"


def N(cat, value):
    return f"{MS}N{SEP}{cat}{SEP}{value}{ME}"


def render(tpl, ns=None):
    if tpl.startswith("\n"):
        tpl = tpl[1:]
    env = dict(globals())
    if ns:
        env.update(ns)
    return TPL.sub(lambda m: str(eval(m.group(1), env)), tpl)


def emit(path, text):
    out = []
    pos = 0
    line = 1
    for m in MARK.finditer(text):
        seg = text[pos:m.start()]
        out.append(seg)
        line += seg.count("\n")
        typ, kind, val = m.groups()
        rec = {"path": path, "line": line, "secret": val.split("\n")[0], "kind": kind}
        (MANIFEST if typ == "P" else NEGATIVES).append(rec)
        out.append(val)
        line += val.count("\n")
        pos = m.end()
    out.append(text[pos:])
    data = "".join(out)
    assert MS not in data and ME not in data and SEP not in data, path
    full = os.path.join(TREE, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    assert path not in FILES, "duplicate file " + path
    FILES.append(path)
    with open(full, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(data)


def W(path, tpl, ns=None):
    emit(path, render(tpl, ns))


# --------------------------------------------------------------------------------------
# generic secrets
# --------------------------------------------------------------------------------------
WORDS = ["Falcon", "Harbor", "Quartz", "Maple", "Cobalt", "Tundra", "Velvet", "Orbit",
         "Saffron", "Granite", "Nimbus", "Juniper", "Pixel", "Raven", "Summit", "Ember",
         "Lagoon", "Cipher", "Marble", "Thistle", "Vortex", "Willow", "Zephyr", "Onyx"]


def pw(n=None, sym=PWSYM):
    """Strong-looking password: random mix or word-ish with leetspeak."""
    if R.random() < 0.35:
        w1, w2 = R.sample(WORDS, 2)
        leet = str.maketrans({"o": "0", "a": "4", "e": "3", "i": "1"})
        w1 = w1.translate(leet) if R.random() < .5 else w1
        return w1 + R.choice(sym) + w2.lower() + dg(R.randint(2, 4)) + R.choice(sym) + rs(R.randint(2, 4), ALNUM)
    n = n or R.randint(16, 28)
    while True:
        s = rs(n, ALNUM + sym)
        if any(c in sym for c in s) and any(c.isdigit() for c in s) and any(c.isupper() for c in s) and s[0] not in sym:
            return s


def xpw(n=None):
    return pw(n, XMLSAFE_SYM)


def upw(n=None):
    """URI-safe password (no percent-encoding needed)."""
    n = n or R.randint(18, 32)
    while True:
        s = rs(n, ALNUM + URI_SYM)
        if any(c.isdigit() for c in s) and any(c.isupper() for c in s) and s[0] not in URI_SYM:
            return s


def rand_secret(n=None):
    return rs(n or R.randint(28, 44), ALNUM)


# --------------------------------------------------------------------------------------
# provider token formats (all random)
# --------------------------------------------------------------------------------------
def aws_id(prefix="AKIA"):
    return prefix + rs(16, B32U)


def aws_secret():
    return rs(40, B64CS)


def aws_session():
    return "IQoJb3JpZ2luX2VjE" + rs(R.choice([340, 372, 404]), B64CS) + "=="


def aws_session_old():
    return "FwoGZXIvYXdzE" + rs(R.choice([280, 304]), B64CS)


def gh(prefix="ghp_"):
    body = rs(30, B62)
    return prefix + body + crc_checksum(body)


def gh_badsum(prefix="ghp_"):
    t = gh(prefix)
    last = t[-1]
    return t[:-1] + R.choice([c for c in B62 if c != last])


def gh_fine():
    return "github_pat_11" + rs(20, UP + DG) + "_" + rs(59, ALNUM)


def npm_tok():
    return gh("npm_")


def glpat():
    return "glpat-" + rs(20, URLSAFE)


def glrt():
    return "glrt-" + rs(20, URLSAFE)


def gldt():
    return "gldt-" + rs(20, URLSAFE)


def glptt():
    return "glptt-" + hx(40)


def glft():
    return "glft-" + rs(20, URLSAFE)


def slack_bot():
    return f"xoxb-{dg(12)}-{dg(13)}-{rs(24)}"


def slack_user():
    return f"xoxp-{dg(12)}-{dg(12)}-{dg(13)}-{hx(32)}"


def slack_app():
    return f"xapp-1-A{rs(10, UP + DG)}-{dg(13)}-{hx(64)}"


def slack_hook():
    return f"https://hooks.slack.com/services/T{rs(R.choice([8, 10]), UP + DG)}/B{rs(R.choice([9, 10, 11]), UP + DG)}/{rs(24)}"


def discord_bot():
    snow = dg(R.choice([18, 19]))
    return b64(snow).rstrip("=") + "." + rs(6, URLSAFE) + "." + rs(38, URLSAFE)


def discord_hook():
    return f"https://discord.com/api/webhooks/{dg(19)}/{rs(68, URLSAFE)}"


def telegram():
    return f"{dg(R.choice([9, 10]))}:AA{rs(33, URLSAFE)}"


def stripe_sk():
    return "sk_live_51" + rs(14, ALNUM) + rs(83, ALNUM)


def stripe_sk_short():
    return "sk_live_" + rs(24, ALNUM)


def stripe_rk():
    return "rk_live_51" + rs(97, ALNUM)


def whsec():
    return "whsec_" + rs(32, ALNUM)


def stripe_pk():
    return "pk_live_51" + rs(97, ALNUM)


def sendgrid():
    return "SG." + rs(22, URLSAFE) + "." + rs(43, URLSAFE)


def mailgun():
    return "key-" + hx(32)


def mailgun_new():
    return hx(32) + "-" + hx(8) + "-" + hx(8)


def mailchimp():
    return hx(32) + "-us" + str(R.randint(2, 21))


def brevo():
    return "xkeysib-" + hx(64) + "-" + rs(16, ALNUM)


def twilio_sid():
    return "AC" + hx(32)


def twilio_sk():
    return "SK" + hx(32)


def shopify(p="shpat_"):
    return p + hx(32)


def square_access():
    return "EAAA" + rs(60, URLSAFE)


def square_secret():
    return "sq0csp-" + rs(43, URLSAFE)


def braintree():
    return "access_token$production$" + rs(16, LO + DG) + "$" + hx(32)


def paypal_secret():
    return "E" + rs(79, URLSAFE)


def nrak():
    return "NRAK-" + rs(27, UP + DG)


def nr_license():
    return hx(36) + "NRAL"


def sentry_dsn():
    key = hx(32)
    return key, f"https://{key}@o{dg(6)}.ingest.us.sentry.io/{dg(16)}"


def sentry_org_token():
    payload = json.dumps({"iat": R.randint(1700000000, 1730000000), "url": "https://sentry.io",
                          "region_url": "https://us.sentry.io", "org": "acme-corp"}, separators=(",", ":"))
    return "sntrys_" + b64(payload).rstrip("=") + "_" + rs(43, URLSAFE)


def sentry_user_token():
    return "sntryu_" + hx(64)


def grafana_sa():
    return "glsa_" + rs(32) + "_" + hx(8)


def grafana_cloud():
    payload = json.dumps({"o": dg(6), "n": "stack-" + dg(6) + "-hm-read", "k": rs(24), "m": {"r": "prod-us-east-0"}},
                         separators=(",", ":"))
    return "glc_" + b64(payload).rstrip("=")


def linear():
    return "lin_api_" + rs(40)


def postman():
    return "PMAK-" + hx(24) + "-" + hx(34)


def notion_old():
    return "secret_" + rs(43)


def notion_new():
    return "ntn_" + dg(11) + rs(35)


def airtable():
    return "pat" + rs(14) + "." + hx(64)


def figma():
    return "figd_" + rs(40, URLSAFE)


def mapbox(prefix="sk"):
    user = R.choice(["acme-maps", "fleetops", "geo-team"])
    payload = json.dumps({"u": user, "a": "cl" + rs(23, LO + DG)}, separators=(",", ":"))
    return prefix + "." + b64(payload).rstrip("=") + "." + rs(22, URLSAFE)


def okta():
    return "00" + rs(40, URLSAFE)


def openai_proj():
    return "sk-proj-" + rs(74, URLSAFE) + "T3BlbkFJ" + rs(74, URLSAFE)


def openai_legacy():
    return "sk-" + rs(20) + "T3BlbkFJ" + rs(20)


def openai_svc():
    return "sk-svcacct-" + rs(74, URLSAFE) + "T3BlbkFJ" + rs(74, URLSAFE)


def anthropic():
    return "sk-ant-api03-" + rs(93, URLSAFE) + "AA"


def anthropic_admin():
    return "sk-ant-admin01-" + rs(93, URLSAFE) + "AA"


def hf():
    return "hf_" + rs(34, UP + LO)


def replicate():
    return "r8_" + rs(37)


def groq():
    return "gsk_" + rs(52)


def pplx():
    return "pplx-" + rs(48)


def openrouter():
    return "sk-or-v1-" + hx(64)


def xai():
    return "xai-" + rs(80)


def langsmith():
    return "lsv2_pt_" + hx(32) + "_" + hx(10)


def google_api():
    return "AIza" + "Sy" + rs(33, URLSAFE)


def gocspx():
    return "GOCSPX-" + rs(28, URLSAFE)


def google_client_id():
    return dg(12) + "-" + rs(32, LO + DG) + ".apps.googleusercontent.com"


def azure_storage_key():
    return b64(rb(64))


def azure_sas_sig():
    return b64(rb(32)).replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")


def azure_ad_secret():
    return rs(3, ALNUM) + "8Q~" + rs(34, ALNUM + "_.~-")


def azdo_pat():
    return rs(52, B32L)


def azdo_pat_new():
    return rs(76, ALNUM) + "AZDO" + rs(4, ALNUM)


def azure_sb_key():
    return b64(rb(32))


def do_pat():
    return "dop_v1_" + hx(64)


def heroku_new():
    return "HRKU-AA" + rs(58, URLSAFE)


def cf_token():
    return rs(40, URLSAFE)


def cf_global():
    return hx(37)


def cf_origin_ca():
    return "v1.0-" + hx(24) + "-" + hx(146)


def dapi():
    return "dapi" + hx(32)


def sbp():
    return "sbp_" + hx(40)


def pscale_tkn():
    return "pscale_tkn_" + rs(43, URLSAFE)


def pscale_pw():
    return "pscale_pw_" + rs(43, URLSAFE)


def hvs():
    return "hvs." + rs(24)


def hvs_long():
    return "hvs.CAESI" + rs(43, URLSAFE) + "Gh4KHGh2cy4" + rs(24)


def tfc():
    return rs(14) + ".atlasv1." + rs(67)


def pulumi():
    return "pul-" + hx(40)


def doppler():
    return "dp.pt." + rs(43)


def doppler_st():
    return "dp.st.prd." + rs(43)


def jfrog_key():
    return "AKCp8" + rs(68)


def jfrog_ref():
    return "cmVmdGtuOjAxOjE3" + rs(48)


def dckr():
    return "dckr_pat_" + rs(27, URLSAFE)


def pypi():
    return "pypi-AgEIcHlwaS5vcmcCJD" + rs(36, URLSAFE) + "AAIqWzMsIn" + rs(110, URLSAFE)


def testpypi():
    return "pypi-AgENdGVzdC5weXBpLm9yZwIkM" + rs(150, URLSAFE)


def rubygems():
    return "rubygems_" + hx(48)


def nuget():
    return "oy2" + rs(43, LO + DG)


def crates():
    return "cio" + rs(32)


def atlassian():
    return "ATATT3xFfGF0" + rs(170, URLSAFE) + "=" + HX(8)


def bitbucket():
    return "ATBB" + rs(32)


def asana():
    return f"2/{dg(16)}/{dg(16)}:{hx(32)}"


def contentful():
    return "CFPAT-" + rs(43, URLSAFE)


def dropbox():
    return "sl.B" + rs(135, URLSAFE)


def buildkite():
    return "bkua_" + hx(40)


def sonar():
    return "sqp_" + hx(40)


def hubspot():
    return "pat-na1-" + uid()


def age_key():
    return "AGE-SECRET-KEY-1" + rs(58, "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L")


def tailscale():
    return "tskey-auth-k" + rs(11) + "CNTRL-" + rs(33)


def alibaba_id():
    return "LTAI5t" + rs(18)


def fcm_key():
    return "AAAA" + rs(7, URLSAFE) + ":APA91b" + rs(134, URLSAFE)


def dynatrace():
    return "dt0c01." + rs(24, UP + DG) + "." + rs(64, UP + DG)


def shippo():
    return "shippo_live_" + hx(40)


def easypost():
    return "EZAK" + hx(54)


def flutterwave():
    return "FLWSECK-" + hx(32) + "-X"


def prefect():
    return "pnu_" + rs(36)


def readme():
    return "rdme_" + hx(70)


def render_key():
    return "rnd_" + rs(32)


def ngrok():
    return "2" + rs(26) + "_" + rs(21)


def gcs_hmac_id():
    return "GOOG1E" + rs(55, UP + DG)


def intercom():
    return "dG9rOj" + b64(uid() + ":" + uid() + ":1:0").rstrip("=")[6:]


def launchdarkly_sdk():
    return "sdk-" + uid()


def codecov():
    return uid()


def clerk():
    return "sk_live_" + rs(42)


def resend():
    return "re_" + rs(8) + "_" + rs(24)


def lob():
    return "live_" + hx(35)


def pagerduty():
    return rs(32, LO + DG)


def elevenlabs():
    return "sk_" + hx(48)


def pinecone():
    return "pcsk_" + rs(6) + "_" + rs(63)


def netlify():
    return "nfp_" + rs(36)


def laravel_key():
    return "base64:" + b64(rb(32))


def fernet():
    return b64u(rb(32)) + "="


def django_key():
    return rs(50, LO + DG + "!@%^*(-_=+)")


def rails_master():
    return hx(32)


def jwt(payload, alg="HS256", sigbytes=None):
    header = b64u(json.dumps({"alg": alg, "typ": "JWT"}, separators=(",", ":")))
    body = b64u(json.dumps(payload, separators=(",", ":")))
    sigbytes = sigbytes or (256 if alg.startswith("RS") else 32)
    return header + "." + body + "." + b64u(rb(sigbytes))


def ts():
    return R.randint(1704067200, 1735689600)


def user_jwt():
    t = ts()
    return jwt({"sub": uid(), "email": R.choice(["ops-bot", "svc-reports", "integration"]) + "@acme-corp.com",
                "iss": "https://auth.acme-corp.com/", "aud": "api.acme-corp.com", "scope": "read:orders write:orders",
                "iat": t, "exp": t + 31536000})


def k8s_sa_jwt(ns="ci", sa="deployer"):
    header = b64u(json.dumps({"alg": "RS256", "kid": rs(43, URLSAFE)}, separators=(",", ":")))
    t = ts()
    body = b64u(json.dumps({"aud": ["https://kubernetes.default.svc.cluster.local"], "exp": t + 315360000, "iat": t,
                            "iss": "https://kubernetes.default.svc.cluster.local",
                            "kubernetes.io": {"namespace": ns, "serviceaccount": {"name": sa, "uid": uid()}},
                            "nbf": t, "sub": f"system:serviceaccount:{ns}:{sa}"}, separators=(",", ":")))
    return header + "." + body + "." + b64u(rb(256))


def supabase_jwt(role, ref):
    t = ts()
    return jwt({"iss": "supabase", "ref": ref, "role": role, "iat": t, "exp": t + 315360000})


# --------------------------------------------------------------------------------------
# key material
# --------------------------------------------------------------------------------------
def wrap(s, n=64):
    return "\n".join(s[i:i + n] for i in range(0, len(s), n))


def der_b64(prefix, nbytes):
    raw = b64(rb(nbytes))
    return prefix + raw[len(prefix):]


def pem(kind, label, prefix, nbytes, width=64, sep="\n"):
    body = wrap(der_b64(prefix, nbytes), width)
    if sep != "\n":
        body = body.replace("\n", sep)
    return P(kind, f"-----BEGIN {label}-----") + sep + body + sep + f"-----END {label}-----"


def rsa_key():
    return pem("private-key-rsa", "RSA PRIVATE KEY", "MIIEowIBAAKCAQEA", 1191)


def pkcs8_key(sep="\n", kind="private-key-pkcs8"):
    return pem(kind, "PRIVATE KEY", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQ", 1217, sep=sep)


def ec_key():
    return pem("private-key-ec", "EC PRIVATE KEY", "MHcCAQEEI", 121)


def ec_pkcs8_key():
    return pem("private-key-pkcs8", "PRIVATE KEY", "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg", 138)


def openssh_key():
    return pem("private-key-openssh", "OPENSSH PRIVATE KEY",
               "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZWQyNTUxOQAAACA", 399, width=70)


def openssh_rsa_key():
    return pem("private-key-openssh", "OPENSSH PRIVATE KEY",
               "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAABlwAAAAdzc2gtcnNhAAAAAwEAAQAAAYEA", 1823, width=70)


def pgp_private():
    body = wrap(der_b64("lQVYBG", 1400), 64)
    return (P("private-key-pgp", "-----BEGIN PGP PRIVATE KEY BLOCK-----") + "\n\n" + body + "\n=" + rs(4, B64CS) +
            "\n-----END PGP PRIVATE KEY BLOCK-----")


def pgp_public():
    body = wrap(der_b64("mQINBG", 1100), 64)
    return (N("pgp-public-key", "-----BEGIN PGP PUBLIC KEY BLOCK-----") + "\n\n" + body + "\n=" + rs(4, B64CS) +
            "\n-----END PGP PUBLIC KEY BLOCK-----")


def putty_key(comment):
    pub = b64(struct.pack(">I", 11) + b"ssh-ed25519" + struct.pack(">I", 32) + rb(32))
    priv = b64(struct.pack(">I", 32) + rb(32))
    return (P("private-key-putty", "PuTTY-User-Key-File-3: ssh-ed25519") + "\nEncryption: none\n" +
            f"Comment: {comment}\nPublic-Lines: 2\n{wrap(pub)}\nPrivate-Lines: 1\n{priv}\nPrivate-MAC: {hx(64)}\n")


def certificate(cat="certificate"):
    body = wrap(der_b64("MIIDdzCCAl+gAwIBAgIU", 891), 64)
    return N(cat, "-----BEGIN CERTIFICATE-----") + "\n" + body + "\n-----END CERTIFICATE-----"


def public_key_pem():
    body = wrap(der_b64("MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA", 294), 64)
    return N("public-key", "-----BEGIN PUBLIC KEY-----") + "\n" + body + "\n-----END PUBLIC KEY-----"


def ssh_ed_pub():
    return "ssh-ed25519 " + b64(struct.pack(">I", 11) + b"ssh-ed25519" + struct.pack(">I", 32) + rb(32))


def ssh_rsa_pub():
    return "ssh-rsa " + b64(struct.pack(">I", 7) + b"ssh-rsa" + struct.pack(">I", 3) + b"\x01\x00\x01" +
                            struct.pack(">I", 385) + b"\x00" + rb(384))


# --------------------------------------------------------------------------------------
# negative look-alike helpers
# --------------------------------------------------------------------------------------
def sri():
    return "sha512-" + b64(rb(64))


def sri384():
    return "sha384-" + b64(rb(48))


def bcrypt():
    return "$2b$12$" + rs(53, ALNUM + "./")


def argon2():
    return "$argon2id$v=19$m=65536,t=3,p=4$" + b64(rb(16)).rstrip("=") + "$" + b64(rb(32)).rstrip("=")


def sha512crypt():
    return "$6$" + rs(16, ALNUM + "./") + "$" + rs(86, ALNUM + "./")


def apr1():
    return "$apr1$" + rs(8, ALNUM + "./") + "$" + rs(22, ALNUM + "./")


def pbkdf2_django():
    return "pbkdf2_sha256$720000$" + rs(22) + "$" + b64(rb(32))


def digest():
    return "sha256:" + hx(64)


def ansible_vault(lines=6):
    body = "\n".join(rs(80, HEXL) for _ in range(lines))
    return N("ansible-vault", "$ANSIBLE_VAULT;1.1;AES256") + "\n" + body


def sops(kind="str", n=None):
    n = n or R.randint(20, 60)
    return N("sops-encrypted", f"ENC[AES256_GCM,data:{b64(rb(n))},iv:{b64(rb(32))},tag:{b64(rb(16))},type:{kind}]")


def sealed():
    return N("sealed-secret", "AgB" + rs(R.choice([600, 664, 728]), B64CS) + "==")


def b64_png(n=900):
    return "iVBORw0KGgoAAAANSUhEUgAA" + rs(n, B64CS) + "AAAAAElFTkSuQmCC"


def b64_woff2(n=1400):
    return "d09GMgABAAAAA" + rs(n, B64CS) + "=="


def gitsha():
    return hx(40)


# ======================================================================================
# lockfile generators (negatives: integrity hashes, checksums, git SHAs)
# ======================================================================================
NPM_PKGS = [("express", "4.19.2"), ("body-parser", "1.20.2"), ("cookie", "0.6.0"), ("debug", "2.6.9"),
            ("ms", "2.0.0"), ("stripe", "14.25.0"), ("qs", "6.11.0"), ("pg", "8.11.5"), ("pg-pool", "3.6.2"),
            ("pg-protocol", "1.6.1"), ("ioredis", "5.4.1"), ("jsonwebtoken", "9.0.2"), ("jws", "3.2.2"),
            ("lodash.includes", "4.3.0"), ("semver", "7.6.2"), ("zod", "3.23.8"), ("pino", "9.1.0"),
            ("pino-std-serializers", "7.0.0"), ("@sendgrid/mail", "8.1.3"), ("@sendgrid/client", "8.1.3"),
            ("axios", "1.7.2"), ("follow-redirects", "1.15.6"), ("form-data", "4.0.0"), ("dotenv", "16.4.5"),
            ("helmet", "7.1.0"), ("cors", "2.8.5"), ("uuid", "9.0.1"), ("typescript", "5.4.5"),
            ("@types/node", "20.14.2"), ("undici-types", "5.26.5"), ("vitest", "1.6.0"), ("tinypool", "0.8.4")]


def package_lock(name, version, pkgs):
    lines = ['{', f'  "name": "{name}",', f'  "version": "{version}",', '  "lockfileVersion": 3,',
             '  "requires": true,', '  "packages": {', '    "": {', f'      "name": "{name}",',
             f'      "version": "{version}",', '      "license": "UNLICENSED"', '    },']
    for i, (p, v) in enumerate(pkgs):
        base = p.split("/")[-1]
        lines += [f'    "node_modules/{p}": {{', f'      "version": "{v}",',
                  f'      "resolved": "https://registry.npmjs.org/{p}/-/{base}-{v}.tgz",',
                  f'      "integrity": "{N("lockfile-integrity", sri())}",']
        if i % 5 == 2:
            lines.append('      "dev": true,')
        lines.append('      "engines": {\n        "node": ">= 0.10"\n      }')
        lines.append('    }' + ("," if i < len(pkgs) - 1 else ""))
    lines += ['  }', '}', '']
    return "\n".join(lines)


def yarn_lock(pkgs):
    out = ["# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.", "# yarn lockfile v1", ""]
    for p, v in pkgs:
        base = p.split("/")[-1]
        out += ["", f'"{p}@^{v}":', f'  version "{v}"',
                f'  resolved "https://registry.yarnpkg.com/{p}/-/{base}-{v}.tgz#{N("lockfile-sha1", hx(40))}"',
                f'  integrity {N("lockfile-integrity", sri())}']
    return "\n".join(out) + "\n"


def go_sum(mods):
    out = []
    for m, v in mods:
        out.append(f"{m} {v} h1:{N('go-sum-hash', b64(rb(32)))}")
        out.append(f"{m} {v}/go.mod h1:{N('go-sum-hash', b64(rb(32)))}")
    return "\n".join(out) + "\n"


def cargo_lock(pkgs):
    out = ["# This file is automatically @generated by Cargo.", "# It is not intended for manual editing.",
           "version = 3", ""]
    for p, v in pkgs:
        out += ["[[package]]", f'name = "{p}"', f'version = "{v}"',
                'source = "registry+https://github.com/rust-lang/crates.io-index"',
                f'checksum = "{N("cargo-checksum", hx(64))}"', ""]
    return "\n".join(out)


# ======================================================================================
# repo: shop-api (Node / TypeScript)
# ======================================================================================
def shop_api():
    d = "shop-api/"
    W(d + "package.json", """
{
  "name": "@acme/shop-api",
  "version": "3.14.2",
  "private": true,
  "description": "Checkout, cart and order API for the Acme storefront",
  "main": "dist/index.js",
  "scripts": {
    "build": "tsc -p tsconfig.build.json",
    "dev": "tsx watch src/index.ts",
    "start": "node dist/index.js",
    "test": "vitest run",
    "lint": "eslint . --ext .ts",
    "migrate": "node-pg-migrate -m migrations up"
  },
  "repository": {
    "type": "git",
    "url": "git+https://github.com/acme-corp/shop-api.git"
  },
  "engines": {
    "node": ">=20.11"
  },
  "dependencies": {
    "@sendgrid/mail": "^8.1.3",
    "axios": "^1.7.2",
    "cors": "^2.8.5",
    "dotenv": "^16.4.5",
    "express": "^4.19.2",
    "helmet": "^7.1.0",
    "ioredis": "^5.4.1",
    "jsonwebtoken": "^9.0.2",
    "pg": "^8.11.5",
    "pino": "^9.1.0",
    "stripe": "^14.25.0",
    "uuid": "^9.0.1",
    "zod": "^3.23.8"
  },
  "devDependencies": {
    "@types/node": "^20.14.2",
    "typescript": "^5.4.5",
    "vitest": "^1.6.0"
  },
  "gitHead": "«N('git-sha', gitsha())»"
}
""")
    emit(d + "package-lock.json", package_lock("@acme/shop-api", "3.14.2", NPM_PKGS))

    W(d + ".env.example", """
# Copy this file to .env and fill in real values. NEVER commit .env
NODE_ENV=development
PORT=3000
LOG_LEVEL=debug

# local docker-compose services
DATABASE_URL=«N('localhost-dev-uri', 'postgres://postgres:postgres@localhost:5432/shop_dev')»
REDIS_URL=redis://localhost:6379/0

# Stripe (use TEST keys locally!)
STRIPE_SECRET_KEY=«N('doc-example-key', 'sk_test_4eC39HqLyjWDarjtT1zdp7dc')»
STRIPE_PUBLISHABLE_KEY=«N('doc-example-key', 'pk_test_TYooMQauvdEDq54NiTphI7jx')»
STRIPE_WEBHOOK_SECRET=«N('placeholder', 'whsec_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx')»

SENDGRID_API_KEY=«N('placeholder', 'SG.xxxxxxxxxxxxxxxxxxxxxx.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx')»
MAIL_FROM=orders@acme-shop.test

JWT_SECRET=«N('placeholder', 'changeme')»
JWT_EXPIRES_IN=15m
SESSION_COOKIE_NAME=acme_sid

AWS_REGION=eu-west-1
AWS_ACCESS_KEY_ID=«N('doc-example-key', 'AKIAIOSFODNN7EXAMPLE')»
AWS_SECRET_ACCESS_KEY=«N('doc-example-key', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY')»
S3_BUCKET=acme-shop-dev-uploads

SLACK_WEBHOOK_URL=«N('placeholder', 'https://hooks.slack.com/services/XXXXXXXXX/XXXXXXXXX/XXXXXXXXXXXXXXXXXXXXXXXX')»
SENTRY_DSN=
OPENAI_API_KEY=«N('placeholder', '<your-openai-key>')»
""")

    W(d + ".env", """
NODE_ENV=development
PORT=3000
LOG_LEVEL=info

DATABASE_URL=postgres://shop_app:«P('postgres-uri-password', upw())»@shop-db.cluster-c8x2kq1lz9ab.eu-west-1.rds.amazonaws.com:5432/shop
REDIS_URL=rediss://default:«P('redis-uri-password', upw(32))»@shop-cache.x7kq2m.ng.0001.euw1.cache.amazonaws.com:6379/0

STRIPE_SECRET_KEY=«P('stripe-live-secret', stripe_sk())»
STRIPE_PUBLISHABLE_KEY=«N('public-by-design', stripe_pk())»
STRIPE_WEBHOOK_SECRET=«P('stripe-webhook-secret', whsec())»

SENDGRID_API_KEY=«P('sendgrid', sendgrid())»
MAIL_FROM=orders@acme-shop.com

JWT_SECRET=«P('generic-secret', rand_secret(48))»
JWT_EXPIRES_IN=15m

AWS_REGION=eu-west-1
AWS_ACCESS_KEY_ID=«P('aws-access-key-id', aws_id())»
AWS_SECRET_ACCESS_KEY=«P('aws-secret-key', aws_secret())»
S3_BUCKET=acme-shop-prod-uploads

SLACK_WEBHOOK_URL=«P('slack-webhook', slack_hook())»
SENTRY_DSN=https://«P('sentry-dsn', hx(32))»@o«dg(6)».ingest.us.sentry.io/«dg(7)»
OPENAI_API_KEY=«P('openai-api-key', openai_proj())»
""")

    W(d + ".env.production", """
# Rendered by deploy/render-env.sh from the ops vault -- do not edit by hand
NODE_ENV=production
PORT=8080
TRUST_PROXY=1

DATABASE_URL="postgresql://shop_rw:«P('postgres-uri-password', upw())»@10.40.12.7:5432/shop?sslmode=require"
DATABASE_POOL_MAX=20

STRIPE_SECRET_KEY=«P('stripe-restricted-key', stripe_rk())»

MAILGUN_DOMAIN=mg.acme-shop.com
MAILGUN_API_KEY=«P('mailgun-api-key', mailgun())»

TWILIO_ACCOUNT_SID=«N('identifier', twilio_sid())»
TWILIO_AUTH_TOKEN=«P('twilio-auth-token', hx(32))»
TWILIO_API_KEY=«P('twilio-api-key', twilio_sk())»
TWILIO_API_SECRET=«P('twilio-api-secret', rs(32))»
TWILIO_FROM_NUMBER=+14155550123

DD_API_KEY=«P('datadog-api-key', hx(32))»
DD_SITE=datadoghq.eu
NEW_RELIC_LICENSE_KEY=«P('newrelic-license-key', nr_license())»
NEW_RELIC_APP_NAME=shop-api-prod

ALGOLIA_APP_ID=«N('identifier', rs(10, UP + DG))»
ALGOLIA_ADMIN_API_KEY=«P('algolia-admin-key', hx(32))»
ALGOLIA_SEARCH_ONLY_KEY=«N('public-by-design', hx(32))»

CLOUDINARY_URL=cloudinary://«dg(15)»:«P('cloudinary-secret', rs(27, URLSAFE))»@acme-shop
LAUNCHDARKLY_SDK_KEY=«P('launchdarkly-sdk-key', launchdarkly_sdk())»
LAUNCHDARKLY_CLIENT_SIDE_ID=«N('public-by-design', hx(24))»
FEATURE_NEW_CHECKOUT=true
""")

    W(d + "src/config.ts", """
import "dotenv/config";
import { z } from "zod";

/**
 * Central configuration. Everything sensitive comes from the environment;
 * see .env.example for the list of variables.
 */
const schema = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  PORT: z.coerce.number().default(3000),
  DATABASE_URL: z.string().url(),
  REDIS_URL: z.string().default("«N('localhost-dev-uri', 'redis://localhost:6379/0')»"),
  STRIPE_SECRET_KEY: z.string().startsWith("sk_"),
  JWT_SECRET: z.string().min(32),
});

const env = schema.parse(process.env);

export const config = {
  env: env.NODE_ENV,
  port: env.PORT,
  db: { url: «N('env-lookup', 'process.env.DATABASE_URL')»!, poolMax: Number(process.env.DATABASE_POOL_MAX ?? 10) },
  stripe: {
    secretKey: env.STRIPE_SECRET_KEY,
    apiVersion: "2024-04-10" as const,
  },
  auth: {
    // fallback only used by the legacy admin panel, TODO remove after migration (SHOP-1182)
    jwtSecret: env.JWT_SECRET ?? "«P('generic-secret', rand_secret(40))»",
    jwtAlgorithm: "HS256",
    apiKeyHeader: "«N('field-name', 'x-api-key')»",
    passwordMinLength: 12,
  },
  internal: {
    // shared secret for the warehouse callback (set on both sides)
    warehouseHmacKey: "«P('generic-secret', hx(64))»",
  },
};
""")

    W(d + "src/payments/stripe.ts", """
import Stripe from "stripe";
import { config } from "../config";
import { logger } from "../lib/logger";

export const stripe = new Stripe(config.stripe.secretKey, {
  apiVersion: config.stripe.apiVersion,
  maxNetworkRetries: 2,
});

// Publishable key is safe to expose; it is injected into the checkout page.
export const STRIPE_PUBLISHABLE_KEY = "«N('public-by-design', stripe_pk())»";

// NOTE: the key that leaked in #412 («N('truncated-token', 'sk_live_51Hx…')») was rolled on 2024-02-03.

export async function createPaymentIntent(orderId: string, amountCents: number, currency = "eur") {
  const intent = await stripe.paymentIntents.create(
    {
      amount: amountCents,
      currency,
      metadata: { orderId },
      automatic_payment_methods: { enabled: true },
    },
    { idempotencyKey: `pi-${orderId}` },
  );
  logger.info({ orderId, intent: intent.id }, "payment intent created");
  return intent;
}

export function verifyWebhook(rawBody: Buffer, signature: string): Stripe.Event {
  const secret = «N('env-lookup', 'process.env.STRIPE_WEBHOOK_SECRET')»;
  if (!secret) throw new Error("STRIPE_WEBHOOK_SECRET not configured");
  return stripe.webhooks.constructEvent(rawBody, signature, secret);
}
""")

    W(d + "src/lib/mailer.ts", """
import nodemailer from "nodemailer";

// SendGrid SMTP relay. username is literally "apikey".
const transport = nodemailer.createTransport({
  host: "smtp.sendgrid.net",
  port: 587,
  secure: false,
  auth: {
    user: "apikey",
    pass: "«P('sendgrid', sendgrid())»",
  },
});

export async function sendOrderConfirmation(to: string, orderId: string, html: string) {
  await transport.sendMail({
    from: '"Acme Shop" <orders@acme-shop.com>',
    to,
    subject: `Your order ${orderId}`,
    html,
  });
}
""")

    W(d + "src/integrations/slack.ts", """
import { WebClient } from "@slack/web-api";

const token = process.env.SLACK_BOT_TOKEN || "«P('slack-bot-token', slack_bot())»";
const slack = new WebClient(token);

const CHANNELS = {
  orders: "C04QX8Z1L2M",
  alerts: "C05A7B2KPQR",
} as const;

export async function notifyLargeOrder(orderId: string, total: number) {
  if (total < 1000_00) return;
  await slack.chat.postMessage({
    channel: CHANNELS.orders,
    text: `:moneybag: Large order ${orderId} (${(total / 100).toFixed(2)} EUR)`,
  });
}
""")

    W(d + "src/__tests__/auth.test.ts", """
import { describe, it, expect } from "vitest";
import jwt from "jsonwebtoken";
import { hashPassword, verifyPassword } from "../lib/password";

// Fixtures below are FAKE and only valid against the test secret.
const TEST_SECRET = "«N('test-fixture', 'test-secret-not-used-in-prod')»";
const FAKE_EXPIRED_JWT =
  "«N('test-fixture', jwt({'sub': 'fake-user', 'name': 'Fake User', 'iat': 978307200, 'exp': 978310800}))»";
const FIXED_NONCE = "«N('high-entropy-test-value', hx(32))»";
const KNOWN_HASH = "«N('password-hash', bcrypt())»";
const CSRF_SAMPLE = "«N('high-entropy-test-value', b64u(rb(24)))»";
const ARGON_HASH = "«N('password-hash', argon2())»";

describe("auth", () => {
  it("rejects expired tokens", () => {
    expect(() => jwt.verify(FAKE_EXPIRED_JWT, TEST_SECRET)).toThrow();
  });

  it("hashes and verifies", async () => {
    const h = await hashPassword("correct horse battery staple");
    expect(await verifyPassword("correct horse battery staple", h)).toBe(true);
    expect(KNOWN_HASH.startsWith("$2b$12$")).toBe(true);
  });

  it("accepts a dummy api key in test mode", () => {
    const apiKey = "«N('test-fixture', 'dummy_api_key_for_tests')»";
    expect(apiKey).toMatch(/dummy/);
    expect(FIXED_NONCE).toHaveLength(32);
    expect(CSRF_SAMPLE).not.toEqual(ARGON_HASH);
  });

  it("does not leak the password field", () => {
    const user = { email: "a@example.com", password: "" };
    expect(JSON.stringify({ ...user, password: "«N('redacted', '[REDACTED]')»" })).not.toContain("hunter2");
  });
});
""")

    W(d + "Dockerfile", """
# syntax=docker/dockerfile:1.7
FROM node:20.14-alpine@«N('image-digest', digest())» AS build
WORKDIR /app
ARG NPM_TOKEN
COPY package.json package-lock.json .npmrc ./
RUN --mount=type=secret,id=npm_token \\
    NPM_TOKEN=$(cat /run/secrets/npm_token) npm ci --ignore-scripts
COPY tsconfig*.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20.14-alpine@«N('image-digest', digest())»
WORKDIR /app
ENV NODE_ENV=production \\
    PORT=8080
# sentry-cli needs this to upload source maps at container start (SHOP-977)
ENV SENTRY_AUTH_TOKEN=«P('sentry-auth-token', sentry_org_token())»
ENV SENTRY_ORG=acme-corp SENTRY_PROJECT=shop-api
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
EXPOSE 8080
CMD ["node", "dist/index.js"]
""")

    W(d + "docker-compose.yml", """
services:
  api:
    build: .
    ports:
      - "3000:3000"
    env_file: .env
    environment:
      DATABASE_URL: «N('localhost-dev-uri', 'postgres://postgres:postgres@db:5432/shop_dev')»
      STRIPE_SECRET_KEY: «N('interpolation', '${STRIPE_SECRET_KEY}')»
      REDIS_URL: redis://cache:6379/0
    depends_on:
      - db
      - cache

  db:
    image: postgres:16.3
    environment:
      POSTGRES_USER: postgres
      POSTGRES_PASSWORD: «N('dev-default', 'postgres')»
      POSTGRES_DB: shop_dev
    volumes:
      - pgdata:/var/lib/postgresql/data

  cache:
    image: redis:7.2-alpine

  minio:
    image: minio/minio:RELEASE.2024-05-10T01-41-38Z
    command: server /data --console-address ":9001"
    environment:
      MINIO_ROOT_USER: minioadmin
      MINIO_ROOT_PASSWORD: «N('dev-default', 'minioadmin')»

  metabase:
    image: metabase/metabase:v0.49.13
    ports:
      - "3001:3000"
    environment:
      MB_DB_TYPE: postgres
      MB_DB_HOST: reporting-db.internal.acme-corp.net
      MB_DB_USER: metabase
      MB_DB_PASS: "«P('generic-password', pw())»"
      MB_ENCRYPTION_SECRET_KEY: «P('generic-secret', rand_secret(32))»

volumes:
  pgdata:
""")

    W(d + ".github/workflows/ci.yml", """
name: ci

on:
  pull_request:
  push:
    branches: [main]

permissions:
  contents: read

jobs:
  test:
    runs-on: ubuntu-latest
    services:
      postgres:
        image: postgres:16
        env:
          POSTGRES_PASSWORD: «N('dev-default', 'postgres')»
        ports: ["5432:5432"]
        options: >-
          --health-cmd pg_isready --health-interval 5s --health-timeout 5s --health-retries 10
    env:
      DATABASE_URL: «N('localhost-dev-uri', 'postgres://postgres:postgres@localhost:5432/postgres')»
      STRIPE_SECRET_KEY: «N('ci-secret-ref', '${{ secrets.STRIPE_TEST_KEY }}')»
      JWT_SECRET: test-secret-not-used-in-prod-0000000000
      CODECOV_TOKEN: «P('codecov-token', codecov())»
    steps:
      - uses: actions/checkout@«N('git-sha', gitsha())» # v4.1.6
      - uses: actions/setup-node@«N('git-sha', gitsha())» # v4.0.2
        with:
          node-version: 20
          cache: npm
      - run: npm ci
        env:
          NODE_AUTH_TOKEN: «N('ci-secret-ref', '${{ secrets.NPM_TOKEN }}')»
      - run: npm run lint
      - run: npm test -- --coverage
      - uses: codecov/codecov-action@«N('git-sha', gitsha())» # v4.5.0
        with:
          token: ${{ env.CODECOV_TOKEN }}
""")

    W(d + ".github/workflows/deploy.yml", """
name: deploy

on:
  workflow_dispatch:
  push:
    tags: ["v*"]

jobs:
  deploy:
    runs-on: ubuntu-latest
    permissions:
      id-token: write
      contents: read
    environment: production
    steps:
      - uses: actions/checkout@v4
      - uses: aws-actions/configure-aws-credentials@v4
        with:
          role-to-assume: «N('identifier', 'arn:aws:iam::' + dg(12) + ':role/gha-shop-api-deploy')»
          aws-region: eu-west-1
      - name: Build and push
        run: |
          aws ecr get-login-password | docker login --username AWS --password-stdin $ECR_REGISTRY
          docker build -t $ECR_REGISTRY/shop-api:${GITHUB_REF_NAME} .
          docker push $ECR_REGISTRY/shop-api:${GITHUB_REF_NAME}
        env:
          ECR_REGISTRY: «dg(12)».dkr.ecr.eu-west-1.amazonaws.com
      - name: Notify
        if: always()
        run: |
          curl -sS -X POST -H 'Content-type: application/json' \\
            --data "{\\"text\\":\\"shop-api ${GITHUB_REF_NAME}: ${{ job.status }}\\"}" \\
            «P('slack-webhook', slack_hook())»
      - name: Release notes
        env:
          GH_TOKEN: «N('ci-secret-ref', '${{ secrets.GITHUB_TOKEN }}')»
        run: gh release create "$GITHUB_REF_NAME" --generate-notes
""")

    W(d + ".npmrc", """
@acme:registry=https://npm.pkg.github.com
//npm.pkg.github.com/:_authToken=«N('interpolation', '${GITHUB_PACKAGES_TOKEN}')»
//registry.npmjs.org/:_authToken=«P('npm-token', npm_tok())»
engine-strict=true
save-exact=true
""")

    W(d + "README.md", """
# shop-api

Checkout, cart and order API behind `shop.acme.com`.

## Running locally

```bash
cp .env.example .env
docker compose up -d db cache
npm ci
npm run migrate
npm run dev
```

You need a Stripe **test** key. Grab one from the dashboard and put it in `.env`:

```
STRIPE_SECRET_KEY=«N('placeholder', 'sk_test_...')»
```

Never use an `«N('truncated-token', 'sk_live_')»` key locally.

## Calling the API

```bash
curl -H "Authorization: Bearer «N('placeholder', '<token>')»" https://shop.acme.com/api/v2/orders
curl -H "X-API-Key: «N('placeholder', 'YOUR_API_KEY')»" https://shop.acme.com/api/v2/products
```

Tokens are issued by `auth.acme.com`; for local work use `npm run token:dev`
which signs a token with the value of `JWT_SECRET` from your `.env`.

## Webhooks

Stripe sends events to `/webhooks/stripe`. The signing secret (`whsec_…`) lives in
the `shop-api/prod` secret in AWS Secrets Manager, never in this repo.
""")

    W(d + "CHANGELOG.md", """
# Changelog

## [3.14.2] - 2024-06-03
### Fixed
- Idempotency key collision on retried payment intents («N('git-sha', hx(7))»)
- Webhook handler now returns 400 on bad signature instead of 500 («N('git-sha', hx(40))»)

## [3.14.0] - 2024-05-21
### Added
- Klarna payment method behind `FEATURE_KLARNA`
- Order export to the reporting warehouse
### Security
- Rotated the Stripe restricted key after it was printed in CI logs. The old key
  (`«N('truncated-token', 'rk_live_51Hx' + rs(6) + '...')»`) is revoked.
- Bumped `jsonwebtoken` to 9.0.2 (CVE-2022-23529)

## [3.13.1] - 2024-04-30
### Fixed
- Merge «N('git-sha', hx(40))» broke the cart TTL; reverted in «N('git-sha', hx(12))»

## [3.13.0] - 2024-04-11
- Upgrade to Node 20 (image digest «N('image-digest', digest())»)
""")


# ======================================================================================
# repo: billing-service (Java / Spring Boot / Maven)
# ======================================================================================
def billing_service():
    d = "billing-service/"
    W(d + "pom.xml", """
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0"
         xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd">
  <modelVersion>4.0.0</modelVersion>
  <parent>
    <groupId>org.springframework.boot</groupId>
    <artifactId>spring-boot-starter-parent</artifactId>
    <version>3.2.5</version>
    <relativePath/>
  </parent>
  <groupId>com.acme.billing</groupId>
  <artifactId>billing-service</artifactId>
  <version>2.7.0-SNAPSHOT</version>
  <name>billing-service</name>

  <properties>
    <java.version>21</java.version>
    <braintree.version>3.32.0</braintree.version>
    <sonar.host.url>https://sonar.acme-corp.net</sonar.host.url>
    <sonar.projectKey>acme_billing-service</sonar.projectKey>
    <!-- TODO move to CI variable -->
    <sonar.token>«P('sonarqube-token', sonar())»</sonar.token>
    <jacoco.version>0.8.12</jacoco.version>
  </properties>

  <dependencies>
    <dependency>
      <groupId>org.springframework.boot</groupId>
      <artifactId>spring-boot-starter-web</artifactId>
    </dependency>
    <dependency>
      <groupId>org.springframework.boot</groupId>
      <artifactId>spring-boot-starter-data-jpa</artifactId>
    </dependency>
    <dependency>
      <groupId>org.postgresql</groupId>
      <artifactId>postgresql</artifactId>
      <scope>runtime</scope>
    </dependency>
    <dependency>
      <groupId>com.braintreepayments.gateway</groupId>
      <artifactId>braintree-java</artifactId>
      <version>${braintree.version}</version>
    </dependency>
    <dependency>
      <groupId>com.github.ulisesbocchio</groupId>
      <artifactId>jasypt-spring-boot-starter</artifactId>
      <version>3.0.5</version>
    </dependency>
    <dependency>
      <groupId>io.jsonwebtoken</groupId>
      <artifactId>jjwt-api</artifactId>
      <version>0.12.5</version>
    </dependency>
    <dependency>
      <groupId>org.springframework.boot</groupId>
      <artifactId>spring-boot-starter-test</artifactId>
      <scope>test</scope>
    </dependency>
  </dependencies>

  <distributionManagement>
    <repository>
      <id>acme-releases</id>
      <url>https://nexus.acme-corp.net/repository/maven-releases/</url>
    </repository>
    <snapshotRepository>
      <id>acme-snapshots</id>
      <url>https://nexus.acme-corp.net/repository/maven-snapshots/</url>
    </snapshotRepository>
  </distributionManagement>
</project>
""")

    W(d + "src/main/resources/application.properties", """
spring.application.name=billing-service
server.port=8081
server.shutdown=graceful

# ---- datasource ----
spring.datasource.url=jdbc:postgresql://billing-db.prod.acme-corp.net:5432/billing?ssl=true&sslmode=verify-full
spring.datasource.username=billing_app
spring.datasource.password=«P('generic-password', pw())»
spring.datasource.hikari.maximum-pool-size=15
spring.jpa.open-in-view=false

# ---- reporting replica (read only) ----
reporting.datasource.url=jdbc:mysql://reporting.acme-corp.net:3306/reports?user=report_ro&password=«P('jdbc-password', upw())»&useSSL=true

# ---- mail ----
spring.mail.host=smtp.office365.com
spring.mail.port=587
spring.mail.username=billing-noreply@acme-corp.com
spring.mail.password=«P('generic-password', pw())»
spring.mail.properties.mail.smtp.starttls.enable=true

# ---- payment providers ----
stripe.api-key=«N('interpolation', '${STRIPE_API_KEY}')»
stripe.webhook-secret=«N('interpolation', '${STRIPE_WEBHOOK_SECRET:}')»
braintree.environment=production
braintree.merchant-id=«N('identifier', rs(16, LO + DG))»
braintree.public-key=«N('identifier', rs(16, LO + DG))»
braintree.private-key=«P('braintree-private-key', hx(32))»

# ---- security ----
security.jwt.secret=«P('generic-secret', b64(rb(64)))»
security.jwt.expiration=PT30M
security.password.encoder=bcrypt
security.password.min-length=12
server.ssl.key-store=classpath:keystore.p12
server.ssl.key-store-password=«N('dev-default', 'changeit')»

management.endpoints.web.exposure.include=health,info,prometheus
""")

    W(d + "src/main/resources/application-prod.yml", """
spring:
  datasource:
    url: jdbc:postgresql://billing-db.prod.acme-corp.net:5432/billing
    username: billing_app
    password: «N('encrypted', 'ENC(' + b64(rb(48)) + ')')»
  kafka:
    bootstrap-servers: pkc-4r297.europe-west1.gcp.confluent.cloud:9092
    properties:
      security.protocol: SASL_SSL
      sasl.mechanism: PLAIN
      sasl.jaas.config: org.apache.kafka.common.security.plain.PlainLoginModule required username="«N('identifier', rs(16, UP + DG))»" password="«P('confluent-api-secret', rs(64, B64CS))»";

jasypt:
  encryptor:
    password: «N('env-lookup', '${JASYPT_ENCRYPTOR_PASSWORD}')»

paypal:
  mode: live
  client-id: «N('identifier', 'A' + rs(79, URLSAFE))»
  client-secret: «P('paypal-client-secret', paypal_secret())»

braintree:
  access-token: "«P('braintree-access-token', braintree())»"

logging:
  level:
    root: INFO
    com.acme.billing: DEBUG
""")

    W(d + "src/main/java/com/acme/billing/config/PaymentGatewayConfig.java", """
package com.acme.billing.config;

import com.braintreegateway.BraintreeGateway;
import com.braintreegateway.Environment;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration
public class PaymentGatewayConfig {

    @Value("«N('interpolation', '${braintree.merchant-id}')»")
    private String merchantId;

    @Value("${braintree.public-key}")
    private String publicKey;

    @Value("${braintree.private-key}")
    private String privateKey;

    // Sandbox credentials for the local profile only.
    private static final String SANDBOX_MERCHANT = "«N('identifier', rs(16, LO + DG))»";
    private static final String SANDBOX_PRIVATE_KEY_PROPERTY = "«N('field-name', 'braintree.sandbox.private-key')»";

    // Fallback used by the nightly reconciliation job when config server is down.
    private static final String RECON_API_TOKEN = "«P('generic-api-key', rand_secret(40))»";

    @Bean
    public BraintreeGateway braintreeGateway() {
        return new BraintreeGateway(Environment.PRODUCTION, merchantId, publicKey, privateKey);
    }

    public static String reconToken() {
        String fromEnv = «N('env-lookup', 'System.getenv("RECON_API_TOKEN")')»;
        return fromEnv != null ? fromEnv : RECON_API_TOKEN;
    }
}
""")

    W(d + "src/main/java/com/acme/billing/notify/SlackNotifier.java", """
package com.acme.billing.notify;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

public final class SlackNotifier {
    private static final String WEBHOOK =
        "«P('slack-webhook', slack_hook())»";
    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    private SlackNotifier() {}

    public static void post(String text) throws Exception {
        String body = "{\\"text\\":\\"" + text.replace("\\"", "'") + "\\"}";
        HttpRequest req = HttpRequest.newBuilder(URI.create(WEBHOOK))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build();
        CLIENT.send(req, HttpResponse.BodyHandlers.discarding());
    }
}
""")

    W(d + "src/test/java/com/acme/billing/security/JwtServiceTest.java", """
package com.acme.billing.security;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class JwtServiceTest {

    // 64 bytes of zeros, base64 -- obviously not a real key
    private static final String TEST_KEY = "«N('test-fixture', b64(bytes(64)))»";
    private static final String EXAMPLE_JWT = "«N('doc-example-key', 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c')»";
    private static final String CORRELATION_ID = "«N('uuid', uid())»";

    @Test
    void parsesSubject() {
        JwtService svc = new JwtService(TEST_KEY);
        assertThat(svc.subjectOf(svc.issue("user-42"))).isEqualTo("user-42");
    }

    @Test
    void rejectsForeignSignature() {
        JwtService svc = new JwtService(TEST_KEY);
        assertThat(svc.isValid(EXAMPLE_JWT)).isFalse();
    }
}
""")


# ======================================================================================
# repo: data-platform (Python, Django, Airflow, notebooks)
# ======================================================================================
def notebook(cells):
    nb = {"cells": [], "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                                                   "name": "python3"},
                                    "language_info": {"name": "python", "version": "3.11.7"}},
          "nbformat": 4, "nbformat_minor": 5}
    n = 1
    for c in cells:
        kind, src = c[0], c[1]
        src = render(src)
        lines = src.split("\n")
        lines = [l + "\n" for l in lines[:-1]] + [lines[-1]]
        cell = {"cell_type": kind, "id": hx(8), "metadata": {}, "source": lines}
        if kind == "code":
            cell["execution_count"] = n
            outs = []
            if len(c) > 2:
                for o in c[2]:
                    if o[0] == "stream":
                        txt = render(o[1]).split("\n")
                        outs.append({"name": "stdout", "output_type": "stream",
                                     "text": [l + "\n" for l in txt[:-1]] + [txt[-1]]})
                    elif o[0] == "png":
                        outs.append({"data": {"image/png": N("base64-image", b64_png(1200)),
                                              "text/plain": ["<Figure size 800x400 with 1 Axes>"]},
                                     "metadata": {}, "output_type": "display_data"})
                    elif o[0] == "result":
                        outs.append({"data": {"text/plain": [render(o[1])]}, "execution_count": n,
                                     "metadata": {}, "output_type": "execute_result"})
            cell["outputs"] = outs
            n += 1
        nb["cells"].append(cell)
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


PY_REQS = [("boto3", "1.34.122"), ("botocore", "1.34.122"), ("pandas", "2.2.2"), ("numpy", "1.26.4"),
           ("psycopg2-binary", "2.9.9"), ("sqlalchemy", "2.0.30"), ("snowflake-connector-python", "3.10.1"),
           ("requests", "2.32.3"), ("urllib3", "2.2.1"), ("pyarrow", "16.1.0")]


def data_platform():
    d = "data-platform/"
    W(d + "requirements.txt", """
# generated by pip-compile --generate-hashes
--extra-index-url https://ci-reader:«P('https-basic-auth-password', upw())»@nexus.acme-corp.net/repository/pypi-internal/simple
«chr(10).join(f"{p}=={v} \\\\{chr(10)}    --hash=sha256:{N('lockfile-integrity', hx(64))} \\\\{chr(10)}    --hash=sha256:{N('lockfile-integrity', hx(64))}" for p, v in PY_REQS)»
acme-etl-common==0.9.3
""")

    W(d + "pyproject.toml", """
[tool.poetry]
name = "data-platform"
version = "0.31.0"
description = "Batch ETL jobs and analytics notebooks"
authors = ["Data Engineering <data-eng@acme-corp.com>"]
packages = [{ include = "etl" }]

[tool.poetry.dependencies]
python = "^3.11"
pandas = "^2.2"
sqlalchemy = "^2.0"
snowflake-connector-python = "^3.10"
apache-airflow = { version = "2.9.1", optional = true }

[[tool.poetry.source]]
name = "acme-internal"
url = "https://nexus.acme-corp.net/repository/pypi-internal/simple"
priority = "supplemental"

[tool.ruff]
line-length = 110

[tool.pytest.ini_options]
addopts = "-q --strict-markers"
env = ["DATABASE_URL=«N('localhost-dev-uri', 'postgresql://etl:etl@localhost:5432/etl_test')»"]
""")

    W(d + "analytics_site/settings/base.py", """
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = «N('env-lookup', 'os.environ["DJANGO_SECRET_KEY"]')»
DEBUG = os.environ.get("DJANGO_DEBUG", "0") == "1"
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost").split(",")

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.getenv("DB_NAME", "analytics"),
        "USER": os.getenv("DB_USER", "analytics"),
        "PASSWORD": «N('env-lookup', 'os.getenv("DB_PASSWORD")')»,
        "HOST": os.getenv("DB_HOST", "localhost"),
        "PORT": "5432",
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
PASSWORD_RESET_TIMEOUT = 3600
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_NAME = "«N('field-name', 'csrftoken')»"
""")

    W(d + "analytics_site/settings/prod.py", """
from .base import *  # noqa

DEBUG = False
ALLOWED_HOSTS = ["analytics.acme-corp.net"]

# FIXME: pulled out of env because the k8s secret kept getting clobbered (DATA-311)
SECRET_KEY = "«P('django-secret-key', django_key())»"

DATABASES["default"].update(
    {
        "HOST": "analytics-db.prod.acme-corp.net",
        "USER": "analytics_web",
        "PASSWORD": "«P('generic-password', pw())»",
    }
)

EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "email-smtp.eu-west-1.amazonaws.com"
EMAIL_HOST_USER = "«P('aws-access-key-id', aws_id())»"
EMAIL_HOST_PASSWORD = "«P('aws-ses-smtp-password', 'B' + rs(43, B64CS))»"
EMAIL_USE_TLS = True

AWS_STORAGE_BUCKET_NAME = "acme-analytics-static"
AWS_S3_REGION_NAME = "eu-west-1"
""")

    W(d + "etl/connections.py", '''
"""Connection helpers shared by the batch jobs."""
import os

import boto3
import psycopg2
import snowflake.connector

WAREHOUSE_DSN = "host=dwh.prod.acme-corp.net port=5432 dbname=dwh user=etl_loader password=«P('postgres-dsn-password', upw())» sslmode=require"


def warehouse():
    return psycopg2.connect(os.environ.get("WAREHOUSE_DSN", WAREHOUSE_DSN))


def snowflake_conn():
    return snowflake.connector.connect(
        account="acme-eu1",
        user="ETL_SERVICE",
        password="«P('generic-password', pw())»",
        warehouse="LOAD_WH",
        database="RAW",
        role="LOADER",
    )


def s3():
    # legacy IAM user etl-export; the role-based path is in s3_assumed()
    return boto3.client(
        "s3",
        aws_access_key_id="«P('aws-access-key-id', aws_id())»",
        aws_secret_access_key="«P('aws-secret-key', aws_secret())»",
        region_name="eu-west-1",
    )


def s3_assumed(role_arn: str):
    sts = boto3.client("sts")
    creds = sts.assume_role(RoleArn=role_arn, RoleSessionName="etl")["Credentials"]
    return boto3.client(
        "s3",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=«N('field-name', 'creds["SecretAccessKey"]')»,
        aws_session_token=creds["SessionToken"],
    )
''')

    W(d + "etl/jobs/backfill_orders.py", '''
"""One-off backfill of the orders fact table (DATA-402). Safe to delete after Q3."""
import argparse
import logging

import pandas as pd
from sqlalchemy import create_engine

log = logging.getLogger(__name__)

SOURCE = "mysql+pymysql://legacy_ro:«P('mysql-uri-password', upw())»@legacy-shop-db.acme-corp.net:3306/shop"
TARGET = "postgresql+psycopg2://etl_loader:%(password)s@dwh.prod.acme-corp.net:5432/dwh"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--since", required=True)
    ap.add_argument("--password", help="warehouse password (or set PGPASSWORD)")
    args = ap.parse_args()

    src = create_engine(SOURCE)
    dst = create_engine(TARGET % {"password": args.password})
    for chunk in pd.read_sql(f"select * from orders where created_at >= '{args.since}'", src, chunksize=50_000):
        chunk.to_sql("fact_orders_backfill", dst, if_exists="append", index=False)
        log.info("loaded %d rows", len(chunk))


if __name__ == "__main__":
    main()
''')

    W(d + "airflow/airflow.cfg", """
[core]
dags_folder = /opt/airflow/dags
executor = CeleryExecutor
load_examples = False
fernet_key = «P('airflow-fernet-key', fernet())»

[database]
sql_alchemy_conn = postgresql+psycopg2://airflow:«P('postgres-uri-password', upw())»@airflow-meta.internal:5432/airflow

[celery]
broker_url = redis://:«P('redis-uri-password', upw())»@airflow-redis.internal:6379/0
result_backend = «N('localhost-dev-uri', 'db+postgresql://airflow:airflow@localhost/airflow')»

[webserver]
base_url = https://airflow.acme-corp.net
secret_key = «P('generic-secret', hx(32))»
expose_config = False

[smtp]
smtp_host = smtp.office365.com
smtp_starttls = True
smtp_user = airflow@acme-corp.com
smtp_password =
smtp_port = 587

[secrets]
backend = airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend
backend_kwargs = {"connections_prefix": "airflow/connections", "variables_prefix": "airflow/variables"}
""")

    W(d + "airflow/dags/sync_salesforce.py", '''
from datetime import datetime, timedelta

from airflow import DAG
from airflow.models import Variable
from airflow.operators.python import PythonOperator
from simple_salesforce import Salesforce

DEFAULT_ARGS = {"owner": "data-eng", "retries": 2, "retry_delay": timedelta(minutes=10)}


def _client():
    # TODO(DATA-377): move to a Connection once the integration user is migrated
    return Salesforce(
        username="integration@acme-corp.com",
        password="«P('generic-password', pw())»",
        security_token="«P('salesforce-security-token', rs(25))»",
        domain="login",
    )


def _hubspot_token():
    return Variable.get("hubspot_private_app_token")  # stored in Secrets Manager


def sync_accounts(**_):
    sf = _client()
    rows = sf.query_all("SELECT Id, Name, AnnualRevenue FROM Account WHERE IsDeleted = false")["records"]
    print(f"fetched {len(rows)} accounts")


with DAG(
    dag_id="sync_salesforce",
    start_date=datetime(2024, 1, 1),
    schedule="0 3 * * *",
    catchup=False,
    default_args=DEFAULT_ARGS,
    tags=["crm"],
) as dag:
    PythonOperator(task_id="sync_accounts", python_callable=sync_accounts)
''')

    W(d + "airflow/dags/hubspot_export.py", '''
import requests
from airflow.decorators import dag, task
from pendulum import datetime

HUBSPOT_TOKEN = "«P('hubspot-private-app-token', hubspot())»"
HEADERS = {"Authorization": f"Bearer {HUBSPOT_TOKEN}", "Content-Type": "application/json"}


@dag(schedule="@daily", start_date=datetime(2024, 3, 1), catchup=False, tags=["crm"])
def hubspot_export():
    @task
    def contacts():
        url = "https://api.hubapi.com/crm/v3/objects/contacts?limit=100"
        out = []
        while url:
            r = requests.get(url, headers=HEADERS, timeout=30)
            r.raise_for_status()
            body = r.json()
            out.extend(body["results"])
            url = body.get("paging", {}).get("next", {}).get("link")
        return len(out)

    contacts()


hubspot_export()
''')

    W(d + "alembic.ini", """
[alembic]
script_location = migrations
prepend_sys_path = .
# credentials come from the environment; see env.py
sqlalchemy.url = «N('interpolation', 'postgresql://%%(DB_USER)s:%%(DB_PASS)s@%%(DB_HOST)s/analytics')»

[loggers]
keys = root,sqlalchemy,alembic

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARN
handlers = console

[logger_sqlalchemy]
level = WARN
handlers =
qualname = sqlalchemy.engine

[logger_alembic]
level = INFO
handlers =
qualname = alembic

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[formatter_generic]
format = %%(levelname)-5.5s [%%(name)s] %%(message)s
""")

    emit(d + "notebooks/churn_exploration.ipynb", notebook([
        ("markdown", "# Churn exploration\n\nQuick look at Q2 cancellations. Uses the LLM to cluster free-text cancel reasons."),
        ("code", "import os\nimport pandas as pd\nimport matplotlib.pyplot as plt\nfrom openai import OpenAI\n\n"
                 "client = OpenAI(api_key=\"«P('openai-api-key', openai_proj())»\")\n"
                 "HF_TOKEN = \"«P('huggingface-token', hf())»\"  # for the sentence-transformers download",
         [("stream", "")]),
        ("code", "df = pd.read_parquet(\"s3://acme-analytics-raw/cancellations/2024-q2.parquet\")\ndf.head()",
         [("result", "   account_id                               reason  mrr\n0  «N('uuid', uid())»  too expensive   49\n1  «N('uuid', uid())»  missing SSO  499")]),
        ("code", "df.groupby('plan')['mrr'].sum().plot(kind='bar')", [("png",)]),
        ("code", "resp = client.chat.completions.create(model=\"gpt-4o-mini\", messages=[{\"role\": \"user\", \"content\": \"Cluster these reasons\"}])\n"
                 "print(resp.id)",
         [("stream", "chatcmpl-«rs(29)»")]),
        ("markdown", "Row hash used for dedupe: `«N('sha256-digest', hx(64))»`"),
    ]))

    emit(d + "notebooks/bigquery_load.ipynb", notebook([
        ("markdown", "## Load GA4 export into BigQuery\nRun on the analytics VM only."),
        ("code", "from google.cloud import bigquery\nfrom google.oauth2 import service_account\n\n"
                 "info = {\n"
                 "    \"type\": \"service_account\",\n"
                 "    \"project_id\": \"acme-analytics-prod\",\n"
                 "    \"private_key_id\": \"«hx(40)»\",\n"
                 "    \"private_key\": \"«pkcs8_key(sep=chr(92) + 'n', kind='gcp-service-account')»\\n\",\n"
                 "    \"client_email\": \"bq-loader@acme-analytics-prod.iam.gserviceaccount.com\",\n"
                 "    \"client_id\": \"«dg(21)»\",\n"
                 "    \"token_uri\": \"https://oauth2.googleapis.com/token\",\n"
                 "}\n"
                 "creds = service_account.Credentials.from_service_account_info(info)\n"
                 "bq = bigquery.Client(credentials=creds, project=info[\"project_id\"])"),
        ("code", "job = bq.load_table_from_uri('gs://acme-ga4-export/events_*.avro', 'raw.ga4_events')\njob.result()\nprint(job.job_id)",
         [("stream", "«uid()»")]),
        ("code", "# Gemini for labelling\nimport google.generativeai as genai\ngenai.configure(api_key=\"«P('google-api-key', google_api())»\")"),
    ]))

    W(d + "tests/test_crypto_utils.py", '''
import hashlib
import hmac

import pytest

from etl.crypto import sign_payload, verify_signature

# RFC 4231 test case 2
RFC4231_KEY = b"Jefe"
RFC4231_DATA = b"what do ya want for nothing?"
RFC4231_SHA256 = "«N('test-vector', '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843')»"

FIXED_NONCE = "«N('high-entropy-test-value', hx(48))»"
# NIST SP 800-38A F.5.1 (AES-128 CTR)
NIST_KEY = "«N('test-vector', '2b7e151628aed2a6abf7158809cf4f3c')»"
NIST_IV = "«N('test-vector', 'f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff')»"
RANDOM_SALT_B64 = "«N('high-entropy-test-value', b64(rb(16)))»"
SESSION_ID_SAMPLE = "«N('high-entropy-test-value', b64u(rb(32)))»"
FAKE_SIGNING_KEY = "«N('test-fixture', 'fake-signing-key-' + '0' * 24)»"


def test_rfc4231_vector():
    mac = hmac.new(RFC4231_KEY, RFC4231_DATA, hashlib.sha256).hexdigest()
    assert mac == RFC4231_SHA256


@pytest.mark.parametrize("payload", [b"{}", b'{"a":1}'])
def test_roundtrip(payload):
    sig = sign_payload(payload, FAKE_SIGNING_KEY, nonce=FIXED_NONCE)
    assert verify_signature(payload, sig, FAKE_SIGNING_KEY)


def test_aws_example_keys_are_rejected():
    from etl.connections_check import looks_real

    assert not looks_real("«N('doc-example-key', 'AKIAIOSFODNN7EXAMPLE')»", "«N('doc-example-key', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY')»")
''')

    W(d + "tests/fixtures/users.csv", """
id,email,password_hash,api_key_id,created_at,is_staff
«chr(10).join(','.join([uid(), f'user{i}@example.org', N('password-hash', R.choice([bcrypt, argon2, pbkdf2_django])()), N('uuid', uid()), f'2023-1{i % 3}-0{i % 9 + 1}', R.choice(['t', 'f'])]) for i in range(12))»
""")

    W(d + "exports/integrations_2024-05-02.csv", """
id,workspace,provider,token,created_by,status
«uid()»,acme-marketing,slack,«P('slack-bot-token', slack_bot())»,j.doe,active
«uid()»,acme-marketing,linear,«P('linear-api-key', linear())»,k.ito,active
«uid()»,acme-product,notion,«P('notion-token', notion_new())»,p.kumar,active
«uid()»,acme-product,notion,«N('redacted', '********')»,p.kumar,revoked
«uid()»,acme-sales,hubspot,«N('redacted', '[REDACTED]')»,m.ruiz,revoked
«uid()»,acme-ops,airtable,«P('airtable-pat', airtable())»,a.novak,active
«uid()»,acme-ops,asana,«P('asana-pat', asana())»,a.novak,active
«uid()»,acme-design,figma,«N('redacted', 'figd_****')»,l.chen,revoked
""")


# ======================================================================================
# repo: infra (Terraform, Pulumi, Packer, scripts)
# ======================================================================================
def infra():
    d = "infra/"
    W(d + "main.tf", """
terraform {
  required_version = ">= 1.6"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.50"
    }
    cloudflare = {
      source  = "cloudflare/cloudflare"
      version = "~> 4.34"
    }
    datadog = {
      source = "DataDog/datadog"
    }
  }
}

provider "aws" {
  region = var.region
  # temporary: the CI role is broken in eu-central-1, see INFRA-2231
  access_key = "«P('aws-access-key-id', aws_id())»"
  secret_key = "«P('aws-secret-key', aws_secret())»"
}

provider "cloudflare" {
  api_token = var.cloudflare_api_token
}

provider "datadog" {
  api_key = «N('terraform-ref', 'var.datadog_api_key')»
  app_key = var.datadog_app_key
  api_url = "https://api.datadoghq.eu/"
}

module "vpc" {
  source = "git::https://github.com/acme-corp/terraform-modules.git//vpc?ref=«N('git-sha', gitsha())»"
  cidr   = "10.40.0.0/16"
  azs    = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
}

resource "random_password" "shop_db" {
  length           = 32
  special          = true
  override_special = "!#%&*()-_=+[]{}<>:?"
}

resource "aws_db_instance" "shop" {
  identifier              = "shop-prod"
  engine                  = "postgres"
  engine_version          = "16.3"
  instance_class          = "db.r6g.large"
  allocated_storage       = 200
  username                = "shop_admin"
  password                = «N('terraform-ref', 'random_password.shop_db.result')»
  db_subnet_group_name    = module.vpc.database_subnet_group
  backup_retention_period = 14
  deletion_protection     = true
  storage_encrypted       = true
  kms_key_id              = "arn:aws:kms:eu-west-1:«dg(12)»:key/«N('uuid', uid())»"
}

resource "aws_db_instance" "reporting" {
  identifier     = "reporting-prod"
  engine         = "mysql"
  instance_class = "db.t4g.medium"
  username       = "admin"
  password       = «N('terraform-ref', 'var.db_password')»
}

resource "aws_secretsmanager_secret" "shop_db" {
  name = "«N('field-name', 'prod/shop/db_password')»"
}

resource "aws_secretsmanager_secret_version" "shop_db" {
  secret_id     = aws_secretsmanager_secret.shop_db.id
  secret_string = random_password.shop_db.result
}
""")

    W(d + "variables.tf", """
variable "region" {
  type    = string
  default = "eu-west-1"
}

variable "db_password" {
  description = "Master password for the reporting MySQL instance"
  type        = string
  sensitive   = true
  default     = "«P('generic-password', pw())»"
}

variable "cloudflare_api_token" {
  type      = string
  sensitive = true
}

variable "datadog_api_key" {
  type      = string
  sensitive = true
}

variable "datadog_app_key" {
  type      = string
  sensitive = true
}

variable "github_token" {
  description = "PAT used by the github provider (set TF_VAR_github_token)"
  type        = string
  default     = «N('field-name', '""')»
}

variable "pagerduty_integration_key" {
  type    = string
  default = "«P('pagerduty-integration-key', pagerduty())»"
}

variable "admin_password_length" {
  type    = number
  default = 24
}
""")

    W(d + "terraform.tfvars", """
region = "eu-west-1"

cloudflare_api_token = "«P('cloudflare-api-token', cf_token())»"
datadog_api_key      = "«P('datadog-api-key', hx(32))»"
datadog_app_key      = "«P('datadog-app-key', hx(40))»"

alert_emails = ["oncall@acme-corp.com"]
""")

    W(d + "envs/staging/terraform.tfvars", """
environment = "staging"
location    = "westeurope"

tenant_id       = "«N('uuid', uid())»"
subscription_id = "«N('uuid', uid())»"
client_id       = "«N('uuid', uid())»"
client_secret   = "«P('azure-ad-client-secret', azure_ad_secret())»"

storage_account_name = "acmestagingdiag"
storage_account_key  = "«P('azure-storage-key', azure_storage_key())»"

sql_admin_login    = "sqladmin"
sql_admin_password = "«P('generic-password', pw())»"
""")

    W(d + "envs/prod/prod.auto.tfvars", """
environment          = "prod"
instance_count       = 6
enable_deletion_lock = true

# Cloudflare origin certificates
cloudflare_origin_ca_key = "«P('cloudflare-origin-ca-key', cf_origin_ca())»"
cloudflare_zone_id       = "«N('identifier', hx(32))»"
cloudflare_account_id    = "«N('identifier', hx(32))»"

# legacy global key, still needed by the page-rules module
cloudflare_email   = "ops@acme-corp.com"
cloudflare_api_key = "«P('cloudflare-global-api-key', cf_global())»"

digitalocean_token = "«P('digitalocean-pat', do_pat())»"
""")

    hcl = []
    for prov, ver in [("hashicorp/aws", "5.52.0"), ("cloudflare/cloudflare", "4.34.0"), ("datadog/datadog", "3.39.0"),
                      ("hashicorp/random", "3.6.2")]:
        hcl.append(f'provider "registry.terraform.io/{prov}" {{\n  version     = "{ver}"\n  constraints = "~> {ver.rsplit(".", 1)[0]}"\n  hashes = [')
        for _ in range(2):
            hcl.append(f'    "h1:{N("lockfile-integrity", b64(rb(32)))}",')
        for _ in range(6):
            hcl.append(f'    "zh:{N("lockfile-integrity", hx(64))}",')
        hcl.append("  ]\n}\n")
    emit(d + ".terraform.lock.hcl", "# This file is maintained automatically by \"terraform init\".\n# Manual edits may be lost in future updates.\n\n" + "\n".join(hcl))

    W(d + "modules/monitoring/alerts.tf", """
resource "datadog_monitor" "api_5xx" {
  name    = "shop-api 5xx rate"
  type    = "query alert"
  query   = "sum(last_5m):sum:trace.express.request.errors{service:shop-api}.as_rate() > 5"
  message = <<-EOT
    5xx rate is high. Runbook: https://wiki.acme-corp.net/runbooks/shop-api-5xx
    @slack-alerts @pagerduty-shop
  EOT
}

resource "datadog_integration_slack_channel" "alerts" {
  account_name = "acme"
  channel_name = "#alerts"
  display {
    message = true
  }
}

resource "datadog_webhook" "opsgenie" {
  name = "opsgenie"
  url  = "https://api.eu.opsgenie.com/v1/json/datadog?apiKey=«P('opsgenie-api-key', uid())»"
}
""")

    W(d + "scripts/bootstrap.sh", """
#!/usr/bin/env bash
# Bootstrap a fresh ops workstation / CI runner for the infra repo.
set -euo pipefail

export AWS_PROFILE="${AWS_PROFILE:-acme-prod}"
export VAULT_ADDR=https://vault.acme-corp.net:8200
export VAULT_TOKEN=«P('vault-token', hvs())»
export TF_TOKEN_app_terraform_io=«P('terraform-cloud-token', tfc())»
export PULUMI_ACCESS_TOKEN=«P('pulumi-token', pulumi())»
export DOPPLER_TOKEN=«P('doppler-token', doppler_st())»
export TS_AUTHKEY=«P('tailscale-auth-key', tailscale())»
export GITHUB_TOKEN="${GITHUB_TOKEN:-}"
export DB_PASSWORD="$(vault kv get -field=password secret/infra/reporting-db)"

if ! command -v tailscale >/dev/null; then
  curl -fsSL https://tailscale.com/install.sh | sh
fi
sudo tailscale up --authkey "$TS_AUTHKEY" --ssh --hostname "runner-$(hostname -s)"

terraform -chdir=envs/prod init -upgrade
echo "bootstrap done"
""")

    W(d + "pulumi/Pulumi.prod.yaml", """
secretsprovider: awskms://alias/pulumi-prod?region=eu-west-1
encryptedkey: «N('encrypted', b64(rb(180)))»
config:
  aws:region: eu-west-1
  acme-edge:domain: edge.acme-corp.com
  acme-edge:minReplicas: "3"
  acme-edge:dbPassword:
    secure: «N('encrypted', 'v1:' + b64(rb(12)) + ':' + b64(rb(48)))»
  acme-edge:stripeKey:
    secure: «N('encrypted', 'v1:' + b64(rb(12)) + ':' + b64(rb(120)))»
  acme-edge:fastlyApiToken: «P('fastly-api-token', rs(32, URLSAFE))»
""")

    W(d + "packer/ubuntu-base.pkr.hcl", """
packer {
  required_plugins {
    amazon = {
      version = ">= 1.3.0"
      source  = "github.com/hashicorp/amazon"
    }
  }
}

variable "ssh_password" {
  type      = string
  sensitive = true
  default   = «N('field-name', '""')»
}

source "amazon-ebs" "ubuntu" {
  ami_name      = "acme-base-{{timestamp}}"
  instance_type = "t3.small"
  region        = "eu-west-1"
  source_ami_filter {
    filters = {
      name = "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-*"
    }
    owners      = ["099720109477"]
    most_recent = true
  }
  ssh_username = "ubuntu"
  ssh_password = «N('terraform-ref', 'var.ssh_password')»
}

build {
  sources = ["source.amazon-ebs.ubuntu"]
  provisioner "shell" {
    environment_vars = ["DD_API_KEY=«P('datadog-api-key', hx(32))»", "DD_SITE=datadoghq.eu"]
    inline = [
      "curl -fsSL https://install.datadoghq.com/scripts/install_script_agent7.sh | sudo -E bash",
    ]
  }
}
""")


# ======================================================================================
# repo: platform-k8s (manifests, kustomize, helm)
# ======================================================================================
def k8s():
    d = "platform-k8s/"
    W(d + "base/shop-api/deployment.yaml", """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop-api
  labels:
    app.kubernetes.io/name: shop-api
spec:
  replicas: 3
  selector:
    matchLabels:
      app.kubernetes.io/name: shop-api
  template:
    metadata:
      labels:
        app.kubernetes.io/name: shop-api
      annotations:
        checksum/config: «N('sha256-digest', hx(64))»
        checksum/secret: «N('sha256-digest', hx(64))»
        vault.hashicorp.com/agent-inject-secret-db: «N('secret-manager-ref', 'database/creds/shop-api')»
    spec:
      serviceAccountName: shop-api
      containers:
        - name: api
          image: «dg(12)».dkr.ecr.eu-west-1.amazonaws.com/shop-api@«N('image-digest', digest())»
          ports:
            - containerPort: 8080
          env:
            - name: NODE_ENV
              value: production
            - name: DATABASE_URL
              valueFrom:
                secretKeyRef:
                  name: «N('k8s-secret-ref', 'shop-api-db')»
                  key: url
            - name: STRIPE_SECRET_KEY
              valueFrom:
                secretKeyRef:
                  name: shop-api-stripe
                  key: secret-key
            - name: NEW_RELIC_LICENSE_KEY
              value: "«P('newrelic-license-key', nr_license())»"
            - name: NEW_RELIC_APP_NAME
              value: shop-api
          envFrom:
            - configMapRef:
                name: shop-api-config
          resources:
            requests:
              cpu: 250m
              memory: 384Mi
            limits:
              memory: 768Mi
""")

    W(d + "base/shop-api/secret-db.yaml", """
apiVersion: v1
kind: Secret
metadata:
  name: shop-api-db
  namespace: shop
type: Opaque
data:
  username: «N('k8s-nonsecret-field', b64('shop_app'))»
  host: «N('k8s-nonsecret-field', b64('shop-db.cluster-c8x2kq1lz9ab.eu-west-1.rds.amazonaws.com'))»
  password: «P('k8s-secret-value', b64(upw()))»
  url: «P('k8s-secret-value', b64('postgres://shop_app:' + upw() + '@shop-db.internal:5432/shop'))»
""")

    W(d + "base/shop-api/secret-stripe.yaml", """
apiVersion: v1
kind: Secret
metadata:
  name: shop-api-stripe
  namespace: shop
  annotations:
    owner: payments-team
type: Opaque
stringData:
  secret-key: «P('stripe-live-secret', stripe_sk())»
  webhook-secret: «P('stripe-webhook-secret', whsec())»
  publishable-key: «N('public-by-design', stripe_pk())»
""")

    W(d + "base/ingress/tls-secret.yaml", """
apiVersion: v1
kind: Secret
metadata:
  name: shop-acme-com-tls
  namespace: ingress
type: kubernetes.io/tls
data:
  tls.crt: «N('certificate', b64('-----BEGIN CERTIFICATE-----' + chr(10) + wrap(b64(rb(900))) + chr(10) + '-----END CERTIFICATE-----' + chr(10)))»
  tls.key: «P('k8s-secret-value', b64('-----BEGIN PRIVATE KEY-----' + chr(10) + wrap(b64(rb(1217))) + chr(10) + '-----END PRIVATE KEY-----' + chr(10)))»
""")

    dockercfg = json.dumps({"auths": {"ghcr.io": {"auth": b64("acme-bot:" + gh("ghp_"))}}}, separators=(",", ":"))
    W(d + "base/registry/ghcr-pull-secret.yaml", """
apiVersion: v1
kind: Secret
metadata:
  name: ghcr-pull
  namespace: shop
type: kubernetes.io/dockerconfigjson
data:
  .dockerconfigjson: «P('k8s-secret-value', b64(dockercfg))»
""", locals())

    W(d + "base/shop-api/sealed-secret.yaml", """
apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata:
  name: shop-api-mail
  namespace: shop
spec:
  encryptedData:
    SENDGRID_API_KEY: «sealed()»
    MAILGUN_API_KEY: «sealed()»
  template:
    metadata:
      name: shop-api-mail
      namespace: shop
    type: Opaque
""")

    W(d + "base/shop-api/configmap.yaml", """
apiVersion: v1
kind: ConfigMap
metadata:
  name: shop-api-config
  namespace: shop
data:
  LOG_LEVEL: info
  FEATURE_NEW_CHECKOUT: "true"
  STRIPE_PUBLISHABLE_KEY: «N('public-by-design', stripe_pk())»
  RECAPTCHA_SITE_KEY: «N('public-by-design', '6L' + rs(38, URLSAFE))»
  GOOGLE_OAUTH_CLIENT_ID: «N('public-by-design', google_client_id())»
  PASSWORD_MIN_LENGTH: "12"
  TOKEN_TTL_SECONDS: "900"
  SECRET_NAME: «N('field-name', 'shop-api-stripe')»
  BUILD_SHA: «N('git-sha', gitsha())»
""")

    W(d + "overlays/prod/kustomization.yaml", """
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: shop
resources:
  - ../../base/shop-api
  - ../../base/ingress
images:
  - name: shop-api
    newTag: v3.14.2
    digest: «N('image-digest', digest())»
secretGenerator:
  - name: reporting-db
    literals:
      - DB_USER=reporting
      - DB_PASSWORD=«P('generic-password', pw())»
  - name: google-oauth
    literals:
      - GOOGLE_CLIENT_ID=«N('public-by-design', google_client_id())»
      - GOOGLE_CLIENT_SECRET=«P('google-oauth-client-secret', gocspx())»
generatorOptions:
  disableNameSuffixHash: false
""")

    W(d + "overlays/prod/secrets.enc.yaml", """
apiVersion: v1
kind: Secret
metadata:
  name: analytics-db
  namespace: analytics
type: Opaque
stringData:
  password: «sops()»
  api-token: «sops()»
sops:
  kms:
    - arn: arn:aws:kms:eu-west-1:«dg(12)»:key/«uid()»
      created_at: "2024-05-14T09:12:44Z"
      enc: «N('encrypted', 'AQICAH' + rs(180, B64CS) + '==')»
      aws_profile: ""
  lastmodified: "2024-05-14T09:12:45Z"
  mac: «sops('str', 32)»
  encrypted_regex: ^(data|stringData)$
  version: 3.8.1
""")

    W(d + "clusters/ci-kubeconfig.yaml", """
apiVersion: v1
kind: Config
clusters:
  - name: prod-eu
    cluster:
      server: https://«HX(32)».gr7.eu-west-1.eks.amazonaws.com
      certificate-authority-data: «N('certificate', b64('-----BEGIN CERTIFICATE-----' + chr(10) + wrap(b64(rb(700))) + chr(10) + '-----END CERTIFICATE-----' + chr(10)))»
contexts:
  - name: ci@prod-eu
    context:
      cluster: prod-eu
      user: ci-deployer
      namespace: shop
current-context: ci@prod-eu
users:
  - name: ci-deployer
    user:
      token: «P('k8s-service-account-token', k8s_sa_jwt('ci', 'deployer'))»
""")

    c = "platform-k8s/charts/shop-api/"
    W(c + "values.yaml", """
replicaCount: 2
image:
  repository: ghcr.io/acme-corp/shop-api
  tag: ""
  pullPolicy: IfNotPresent

db:
  host: ""
  user: shop_app
  # Leave empty and set existingSecret in production
  password: «N('field-name', '""')»
  existingSecret: ""
  existingSecretPasswordKey: password

stripe:
  secretKey: «N('placeholder', '<set-in-values-prod>')»

sentry:
  dsn: ""

redis:
  auth:
    enabled: true
    password: «N('placeholder', 'changeme')»
""")
    W(c + "values-prod.yaml", """
replicaCount: 4
image:
  tag: v3.14.2

db:
  host: shop-db.internal
  password: "«P('generic-password', pw())»"

stripe:
  secretKey: «P('stripe-live-secret', stripe_sk_short())»

sentry:
  dsn: https://«P('sentry-dsn', hx(32))»@o«dg(6)».ingest.sentry.io/«dg(7)»

redis:
  auth:
    password: «P('generic-password', upw(24))»
""")
    W(c + "templates/secret.yaml", """
apiVersion: v1
kind: Secret
metadata:
  name: {{ include "shop-api.fullname" . }}
type: Opaque
data:
  db-password: «N('template-expr', '{{ .Values.db.password | b64enc | quote }}')»
  stripe-secret-key: {{ .Values.stripe.secretKey | b64enc | quote }}
  {{- with .Values.sentry.dsn }}
  sentry-dsn: {{ . | b64enc | quote }}
  {{- end }}
""")


# ======================================================================================
# repo: ansible
# ======================================================================================
def ansible():
    d = "ansible/"
    W(d + "inventory/prod.ini", """
[web]
web-01.prod.acme-corp.net ansible_host=10.40.1.11
web-02.prod.acme-corp.net ansible_host=10.40.1.12

[db]
db-01.prod.acme-corp.net ansible_host=10.40.3.11 ansible_user=deploy ansible_password=«P('generic-password', pw())»

[legacy_windows]
erp-01.corp.acme-corp.net ansible_user=ACME\\svc_ansible ansible_password=«P('generic-password', pw())» ansible_connection=winrm ansible_winrm_transport=ntlm

[all:vars]
ansible_python_interpreter=/usr/bin/python3
ansible_become_password=«N('template-expr', '{{ vault_become_password }}')»
""")
    W(d + "group_vars/all/vault.yml", """
«ansible_vault(14)»
""")
    W(d + "roles/app/defaults/main.yml", """
---
app_port: 8080
app_secret_key: «N('placeholder', 'changeme')»
app_admin_password: «N('placeholder', 'REPLACE_ME')»
app_log_level: info
""")
    W(d + "playbooks/mysql.yml", """
---
- name: Provision reporting MySQL users
  hosts: db
  become: true
  vars:
    mysql_root_password: «N('template-expr', '"{{ vault_mysql_root_password }}"')»
  tasks:
    - name: Create metabase user
      community.mysql.mysql_user:
        login_user: root
        login_password: "{{ mysql_root_password }}"
        name: metabase
        host: "10.40.%"
        password: "«P('generic-password', pw())»"
        priv: "reports.*:SELECT"
        state: present

    - name: Create backup user
      community.mysql.mysql_user:
        login_user: root
        login_password: "{{ mysql_root_password }}"
        name: xtrabackup
        password: "{{ lookup('community.hashi_vault.hashi_vault', 'secret=secret/data/mysql/backup:password') }}"
        priv: "*.*:RELOAD,LOCK TABLES,PROCESS,REPLICATION CLIENT"
""")


# ======================================================================================
# repo: go-gateway (Go)
# ======================================================================================
GO_MODS = [("github.com/go-chi/chi/v5", "v5.0.12"), ("github.com/golang-jwt/jwt/v5", "v5.2.1"),
           ("github.com/jackc/pgx/v5", "v5.6.0"), ("github.com/redis/go-redis/v9", "v9.5.3"),
           ("github.com/BurntSushi/toml", "v1.4.0"), ("go.uber.org/zap", "v1.27.0"),
           ("golang.org/x/crypto", "v0.24.0"), ("golang.org/x/sync", "v0.7.0"),
           ("github.com/bwmarrin/discordgo", "v0.28.1"), ("github.com/stretchr/testify", "v1.9.0")]


def go_gateway():
    d = "go-gateway/"
    W(d + "go.mod", """
module github.com/acme-corp/go-gateway

go 1.22.4

require (
«chr(10).join(f'	{m} {v}' for m, v in GO_MODS)»
	github.com/acme-corp/go-common v0.0.0-20240511093312-«N('git-sha', hx(12))»
)
""")
    emit(d + "go.sum", go_sum(GO_MODS))
    W(d + "cmd/gateway/main.go", """
package main

import (
	"context"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/acme-corp/go-gateway/internal/config"
	"github.com/acme-corp/go-gateway/internal/server"
)

// defaultDSN is only used when DATABASE_URL is unset (local smoke tests against staging).
const defaultDSN = "postgres://gateway:«P('postgres-uri-password', upw())»@gw-db.staging.acme-corp.net:5432/gateway?sslmode=require"

func main() {
	cfgPath := os.Getenv("GATEWAY_CONFIG")
	if cfgPath == "" {
		cfgPath = "config/config.toml"
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		log.Fatalf("config: %v", err)
	}
	dsn := «N('env-lookup', 'os.Getenv("DATABASE_URL")')»
	if dsn == "" {
		dsn = defaultDSN
	}
	srv, err := server.New(context.Background(), cfg, dsn)
	if err != nil {
		log.Fatal(err)
	}
	httpSrv := &http.Server{Addr: cfg.Listen, Handler: srv, ReadHeaderTimeout: 5 * time.Second}
	log.Printf("listening on %s", cfg.Listen)
	log.Fatal(httpSrv.ListenAndServe())
}
""")
    W(d + "internal/auth/jwt.go", """
package auth

import (
	"errors"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// signingKey must match shop-api's JWT_SECRET.
var signingKey = []byte("«P('generic-secret', rand_secret(44))»")

var ErrExpired = errors.New("token expired")

type Claims struct {
	Scope string `json:"scope"`
	jwt.RegisteredClaims
}

func Issue(sub, scope string, ttl time.Duration) (string, error) {
	c := Claims{Scope: scope, RegisteredClaims: jwt.RegisteredClaims{
		Subject:   sub,
		ExpiresAt: jwt.NewNumericDate(time.Now().Add(ttl)),
	}}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(signingKey)
}

func Parse(tok string) (*Claims, error) {
	var c Claims
	_, err := jwt.ParseWithClaims(tok, &c, func(*jwt.Token) (any, error) { return signingKey, nil })
	return &c, err
}
""")
    W(d + "internal/auth/jwt_test.go", """
package auth

import "testing"

// These fixtures are deliberately fake; the checksum on the GitHub-style token is wrong.
const (
	fakeGitHubToken = "«N('github-bad-checksum', gh_badsum('ghp_'))»"
	fakeNpmToken    = "«N('github-bad-checksum', gh_badsum('npm_'))»"
	truncatedToken  = "«N('truncated-token', gh('ghp_')[:14])»"
	requestID       = "«N('uuid', uid())»"
)

// invalidTokens must all be rejected by tokenlooksvalid.Check.
var invalidTokens = []string{
	"«N('github-bad-checksum', gh_badsum('gho_'))»",
	"«N('github-bad-checksum', gh_badsum('ghs_'))»",
	"«N('github-bad-checksum', gh_badsum('ghu_'))»",
	"«N('github-bad-checksum', gh_badsum('ghp_'))»",
	"«N('truncated-token', gh('ghp_')[:30])»",
	"«N('placeholder', 'ghp_' + '0' * 36)»",
	"«N('placeholder', 'github_pat_<redacted>')»",
	"«N('doc-example-key', 'AKIAIOSFODNN7EXAMPLE')»",
	"«N('placeholder', 'xoxb-0000000000-0000000000000-XXXXXXXXXXXXXXXXXXXXXXXX')»",
}

func TestIssueParse(t *testing.T) {
	tok, err := Issue("user-1", "read", 60_000_000_000)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(tok)
	if err != nil || c.Subject != "user-1" {
		t.Fatalf("unexpected: %v %v", c, err)
	}
	_ = fakeGitHubToken
	_ = fakeNpmToken
	_ = truncatedToken
	_ = requestID
	for _, tok := range invalidTokens {
		if len(tok) == 0 {
			t.Fatal("empty fixture")
		}
	}
}
""")
    W(d + "internal/clients/github.go", """
package clients

import (
	"context"
	"net/http"
	"os"

	"golang.org/x/oauth2"
)

// GitHub returns an authenticated client. The token needs repo:status only.
// Generate one at https://github.com/settings/tokens and export GITHUB_TOKEN=«N('placeholder', 'ghp_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX')».
func GitHub(ctx context.Context) *http.Client {
	tok := os.Getenv("GITHUB_TOKEN")
	if tok == "" {
		// status-bot account; TODO rotate and remove (GW-88)
		tok = "«P('github-fine-grained-pat', gh_fine())»"
	}
	return oauth2.NewClient(ctx, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: tok}))
}
""")
    W(d + "internal/clients/geocode.go", """
package clients

import (
	"fmt"
	"net/http"
	"net/url"
)

const mapsKey = "«P('google-api-key', google_api())»"

func Geocode(addr string) (*http.Response, error) {
	u := fmt.Sprintf("https://maps.googleapis.com/maps/api/geocode/json?address=%s&key=%s", url.QueryEscape(addr), mapsKey)
	return http.Get(u)
}
""")
    W(d + "config/config.toml", """
listen = ":8443"
log_level = "info"

[database]
host = "gw-db.prod.acme-corp.net"
port = 5432
user = "gateway"
password = "«P('generic-password', pw())»"
max_conns = 40

[redis]
addr = "gw-redis.prod.acme-corp.net:6379"
password = "«P('generic-password', upw(32))»"

[upstreams.shop]
url = "http://shop-api.shop.svc.cluster.local:8080"
timeout = "5s"

[alerts]
telegram_bot_token = "«P('telegram-bot-token', telegram())»"
telegram_chat_id = -100«dg(10)»
discord_webhook = "«P('discord-webhook', discord_hook())»"

[tls]
cert_file = "/etc/gateway/tls.crt"
key_file = "/etc/gateway/tls.key"
""")

# ======================================================================================
# repo: rust-worker
# ======================================================================================
CRATES = [("tokio", "1.38.0"), ("serde", "1.0.203"), ("serde_json", "1.0.117"), ("reqwest", "0.12.4"),
          ("lapin", "2.3.4"), ("redis", "0.25.4"), ("aws-sdk-s3", "1.36.0"), ("aws-credential-types", "1.2.0"),
          ("sentry", "0.34.0"), ("tracing", "0.1.40"), ("anyhow", "1.0.86"), ("config", "0.14.0")]


def rust_worker():
    d = "rust-worker/"
    W(d + "Cargo.toml", """
[package]
name = "thumbnail-worker"
version = "0.6.1"
edition = "2021"
publish = false

[dependencies]
«chr(10).join(f'{p} = "{v}"' for p, v in CRATES)»
image = { version = "0.25", default-features = false, features = ["jpeg", "png", "webp"] }
""")
    emit(d + "Cargo.lock", cargo_lock(CRATES + [("image", "0.25.1"), ("bytes", "1.6.0"), ("mio", "0.8.11")]))
    W(d + "src/main.rs", """
use anyhow::Result;
use tracing::info;

mod queue;
mod storage;

const SENTRY_DSN: &str = "https://«P('sentry-dsn', hx(32))»@o«dg(6)».ingest.sentry.io/«dg(7)»";

#[tokio::main]
async fn main() -> Result<()> {
    let _guard = sentry::init((SENTRY_DSN, sentry::ClientOptions {
        release: sentry::release_name!(),
        traces_sample_rate: 0.05,
        ..Default::default()
    }));
    tracing_subscriber::fmt::init();

    let settings = config::Config::builder()
        .add_source(config::File::with_name("config/default"))
        .add_source(config::Environment::with_prefix("WORKER"))
        .build()?;

    let amqp_url = «N('env-lookup', 'std::env::var("AMQP_URL")')».unwrap_or(settings.get_string("amqp.url")?);
    info!("connecting to broker");
    queue::run(&amqp_url, storage::client()).await
}
""")
    W(d + "src/storage.rs", """
use aws_credential_types::Credentials;
use aws_sdk_s3::{config::Region, Client, Config};

/// Static credentials for the thumbnails bucket (IAM user svc-thumbnailer).
pub fn client() -> Client {
    let creds = Credentials::new(
        "«P('aws-access-key-id', aws_id())»",
        "«P('aws-secret-key', aws_secret())»",
        None,
        None,
        "static",
    );
    let conf = Config::builder()
        .region(Region::new("eu-west-1"))
        .credentials_provider(creds)
        .behavior_version_latest()
        .build();
    Client::from_conf(conf)
}

#[cfg(test)]
mod tests {
    // example values from the AWS docs, never valid
    const EXAMPLE_ID: &str = "«N('doc-example-key', 'AKIAI44QH8DHBEXAMPLE')»";
    const EXAMPLE_SECRET: &str = "«N('doc-example-key', 'je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY')»";

    #[test]
    fn example_keys_have_expected_len() {
        assert_eq!(EXAMPLE_ID.len(), 20);
        assert_eq!(EXAMPLE_SECRET.len(), 40);
    }
}
""")
    W(d + "config/default.toml", """
[amqp]
url = "amqps://thumbs:«P('amqp-uri-password', upw())»@rabbit.prod.acme-corp.net:5671/media"
prefetch = 8

[redis]
url = "redis://:«P('redis-uri-password', upw())»@media-cache.prod.acme-corp.net:6379/2"

[output]
bucket = "acme-media-thumbs"
sizes = [64, 256, 1024]
""")

# ======================================================================================
# repo: dotnet-portal (C# / ASP.NET Core)
# ======================================================================================
def dotnet_portal():
    d = "dotnet-portal/"
    W(d + "src/Portal.Web/appsettings.json", """
{
  "Logging": {
    "LogLevel": {
      "Default": "Information",
      "Microsoft.AspNetCore": "Warning"
    }
  },
  "AllowedHosts": "*",
  "ConnectionStrings": {
    "DefaultConnection": "Server=tcp:acme-portal-sql.database.windows.net,1433;Initial Catalog=portal;Persist Security Info=False;User ID=portal_app;Password=«P('mssql-connection-password', xpw())»;MultipleActiveResultSets=False;Encrypt=True;TrustServerCertificate=False;Connection Timeout=30;",
    "Storage": "DefaultEndpointsProtocol=https;AccountName=acmeportalfiles;AccountKey=«P('azure-storage-key', azure_storage_key())»;EndpointSuffix=core.windows.net",
    "ServiceBus": "Endpoint=sb://acme-portal.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=«P('azure-servicebus-key', azure_sb_key())»"
  },
  "AzureAd": {
    "Instance": "https://login.microsoftonline.com/",
    "Domain": "acmecorp.onmicrosoft.com",
    "TenantId": "«N('uuid', uid())»",
    "ClientId": "«N('uuid', uid())»",
    "ClientSecret": "«P('azure-ad-client-secret', azure_ad_secret())»",
    "CallbackPath": "/signin-oidc"
  },
  "ApplicationInsights": {
    "ConnectionString": "InstrumentationKey=«N('uuid', uid())»;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/"
  },
  "SendGrid": {
    "ApiKey": "«P('sendgrid', sendgrid())»",
    "FromAddress": "portal@acme-corp.com"
  },
  "Features": {
    "PasswordMinLength": 12,
    "PasswordResetTokenLifetimeMinutes": 30
  }
}
""")
    W(d + "src/Portal.Web/appsettings.Development.json", """
{
  "ConnectionStrings": {
    "DefaultConnection": "«N('localhost-dev-uri', 'Server=(localdb)' + chr(92) + chr(92) + 'mssqllocaldb;Database=portal_dev;Trusted_Connection=True;MultipleActiveResultSets=true')»",
    "Storage": "«N('localhost-dev-uri', 'UseDevelopmentStorage=true')»",
    "Azurite": "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=«N('public-by-design', 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==')»;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;"
  },
  "AzureAd": {
    "ClientSecret": «N('field-name', '""')»
  },
  "SendGrid": {
    "ApiKey": "«N('placeholder', 'SG.your-key-here')»"
  }
}
""")
    W(d + "src/Portal.Web/web.config", """
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <connectionStrings>
    <add name="LegacyErp" connectionString="Data Source=erp-sql01.corp.acme-corp.net;Initial Catalog=ERP;User Id=portal_reader;Password=«P('mssql-connection-password', xpw())»;" providerName="System.Data.SqlClient" />
  </connectionStrings>
  <appSettings>
    <add key="webpages:Version" value="3.0.0.0" />
    <add key="SmtpUser" value="portal@acme-corp.com" />
    <add key="SmtpPassword" value="«P('generic-password', xpw())»" />
    <add key="RecaptchaSiteKey" value="«N('public-by-design', '6L' + rs(38, URLSAFE))»" />
    <add key="PasswordResetUrl" value="https://portal.acme-corp.com/account/reset" />
  </appSettings>
  <system.web>
    <compilation debug="false" targetFramework="4.8" />
    <machineKey validationKey="«P('aspnet-machine-key', HX(128))»" decryptionKey="«P('aspnet-machine-key', HX(64))»" validation="HMACSHA256" decryption="AES" />
  </system.web>
  <system.webServer>
    <aspNetCore processPath="dotnet" arguments=".\\Portal.Web.dll" stdoutLogEnabled="false" hostingModel="inprocess" />
  </system.webServer>
</configuration>
""")
    W(d + "src/Portal.Web/Program.cs", """
using Azure.Storage.Blobs;
using Microsoft.Identity.Web;

var builder = WebApplication.CreateBuilder(args);

builder.Services.AddMicrosoftIdentityWebAppAuthentication(builder.Configuration, "AzureAd");
builder.Services.AddControllersWithViews();
builder.Services.AddSingleton(_ =>
    new BlobServiceClient(builder.Configuration.GetConnectionString("Storage")));

var stripeKey = «N('env-lookup', 'builder.Configuration["Stripe:SecretKey"]')»;
var dbPassword = «N('env-lookup', 'Environment.GetEnvironmentVariable("PORTAL_DB_PASSWORD")')»;

// Read-only SAS for the public downloads container (expires end of year)
const string DownloadsSasUrl =
    "https://acmeportalfiles.blob.core.windows.net/downloads?sv=2022-11-02&ss=b&srt=co&sp=rl&se=2025-12-31T23:59:59Z&st=2024-01-01T00:00:00Z&spr=https&sig=«P('azure-sas', azure_sas_sig())»";

builder.Services.AddSingleton(new Uri(DownloadsSasUrl));

var app = builder.Build();
if (!app.Environment.IsDevelopment())
{
    app.UseExceptionHandler("/Home/Error");
    app.UseHsts();
}
app.UseHttpsRedirection();
app.UseStaticFiles();
app.UseAuthentication();
app.UseAuthorization();
app.MapDefaultControllerRoute();
app.Run();
""")
    W(d + "src/Portal.Web/Services/EmailService.cs", """
using System.Net;
using System.Net.Mail;

namespace Portal.Web.Services;

public sealed class EmailService
{
    private readonly SmtpClient _client = new("smtp.sendgrid.net", 587)
    {
        EnableSsl = true,
        Credentials = new NetworkCredential("apikey", "«P('sendgrid', sendgrid())»"),
    };

    public Task SendAsync(string to, string subject, string body) =>
        _client.SendMailAsync(new MailMessage("portal@acme-corp.com", to, subject, body) { IsBodyHtml = true });
}
""")
    W(d + "src/Portal.Web/Services/PasswordPolicy.cs", """
namespace Portal.Web.Services;

public static class PasswordPolicy
{
    public const string PasswordFieldName = "«N('field-name', 'Password')»";
    public const string ConfirmPasswordFieldName = "ConfirmPassword";
    public const int MinLength = 12;

    // Hash of the seeded admin account's password (PBKDF2, ASP.NET Identity v3 format)
    public const string SeedAdminHash = "«N('password-hash', 'AQAAAAIAAYagAAAAE' + rs(67, B64CS) + '==')»";
    public const string LegacyMd5Hash = "«N('password-hash', hx(32))»"; // pre-2019 accounts, forced reset on login

    public static bool IsStrong(string password) =>
        password.Length >= MinLength && password.Any(char.IsDigit) && password.Any(char.IsUpper);
}
""")
    W(d + "nuget.config", """
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
    <add key="acme" value="https://pkgs.dev.azure.com/acme-corp/_packaging/acme/nuget/v3/index.json" />
  </packageSources>
  <packageSourceCredentials>
    <acme>
      <add key="Username" value="build" />
      <add key="ClearTextPassword" value="«P('azure-devops-pat', azdo_pat())»" />
    </acme>
  </packageSourceCredentials>
  <apikeys>
    <add key="https://www.nuget.org" value="«P('nuget-api-key', nuget())»" />
  </apikeys>
</configuration>
""")
    W(d + "azure-pipelines.yml", """
trigger:
  branches:
    include: [main]

pool:
  vmImage: ubuntu-latest

variables:
  - group: portal-prod
  - name: buildConfiguration
    value: Release

steps:
  - task: UseDotNet@2
    inputs:
      version: 8.0.x
  - script: dotnet restore --configfile nuget.config
    env:
      SYSTEM_ACCESSTOKEN: «N('ci-secret-ref', '$(System.AccessToken)')»
  - script: dotnet publish src/Portal.Web -c $(buildConfiguration) -o $(Build.ArtifactStagingDirectory)
  - script: |
      az devops configure --defaults organization=https://dev.azure.com/acme-corp project=Portal
      az pipelines variable-group variable list --group-id 12
    env:
      AZURE_DEVOPS_EXT_PAT: «P('azure-devops-pat', azdo_pat_new())»
  - task: AzureWebApp@1
    inputs:
      azureSubscription: acme-prod-sc
      appName: acme-portal
      package: $(Build.ArtifactStagingDirectory)
""")


# ======================================================================================
# repo: rails-app (Ruby on Rails)
# ======================================================================================
def rails_app():
    d = "rails-app/"
    W(d + "config/database.yml", """
default: &default
  adapter: postgresql
  encoding: unicode
  pool: <%= ENV.fetch("RAILS_MAX_THREADS") { 5 } %>

development:
  <<: *default
  database: helpdesk_development
  username: postgres
  password: «N('dev-default', 'postgres')»
  host: localhost

test:
  <<: *default
  database: helpdesk_test

staging:
  <<: *default
  database: helpdesk_staging
  host: helpdesk-staging.cluster-ro-c2k9.eu-west-1.rds.amazonaws.com
  username: helpdesk
  password: «P('generic-password', pw())»

production:
  <<: *default
  url: «N('template-expr', '<%= ENV["DATABASE_URL"] %>')»
  password: <%= ENV["HELPDESK_DATABASE_PASSWORD"] %>
""")
    W(d + "config/master.key", "«P('rails-master-key', rails_master())»")
    W(d + "config/credentials.yml.enc", "«N('encrypted', b64(rb(420)) + '--' + b64(rb(12)) + '--' + b64(rb(16)))»")
    W(d + "config/secrets.yml", """
# Legacy secrets file kept for the Rails 5 engine; new code uses credentials.
production:
  secret_key_base: «P('rails-secret-key-base', hx(128))»
  intercom_access_token: «P('intercom-access-token', intercom())»

development:
  secret_key_base: <%= ENV["SECRET_KEY_BASE"] %>
""")
    W(d + "config/storage.yml", """
local:
  service: Disk
  root: <%= Rails.root.join("storage") %>

amazon:
  service: S3
  access_key_id: «N('template-expr', '<%= Rails.application.credentials.dig(:aws, :access_key_id) %>')»
  secret_access_key: <%= Rails.application.credentials.dig(:aws, :secret_access_key) %>
  region: eu-west-1
  bucket: acme-helpdesk-attachments

backup:
  service: S3
  endpoint: https://«hx(32)».r2.cloudflarestorage.com
  access_key_id: «P('cloudflare-r2-access-key-id', hx(32))»
  secret_access_key: «P('cloudflare-r2-secret-access-key', hx(64))»
  region: auto
  bucket: helpdesk-backup
""")
    W(d + "config/initializers/stripe.rb", """
Rails.configuration.stripe = {
  publishable_key: ENV.fetch("STRIPE_PUBLISHABLE_KEY", "«N('public-by-design', stripe_pk())»"),
  secret_key: «N('env-lookup', 'ENV.fetch("STRIPE_SECRET_KEY")')»
}

Stripe.api_key = Rails.configuration.stripe[:secret_key]
# Stripe.api_key = "«P('stripe-live-secret', stripe_sk_short())»"  # old account, pre-migration
Stripe.max_network_retries = 2
""")
    W(d + "app/services/github_sync.rb", """
# frozen_string_literal: true

class GithubSync
  REPO = "acme-corp/helpdesk-issues"

  def initialize(token: ENV["GITHUB_TOKEN"])
    @client = Octokit::Client.new(access_token: token || "«P('github-pat', gh('ghp_'))»")
  end

  def mirror_ticket(ticket)
    @client.create_issue(REPO, "[HD-#{ticket.id}] #{ticket.subject}", ticket.body, labels: ["helpdesk"])
  end
end
""")
    W(d + "app/jobs/sms_notification_job.rb", """
class SmsNotificationJob < ApplicationJob
  queue_as :notifications

  ACCOUNT_SID = "«N('identifier', twilio_sid())»"
  AUTH_TOKEN  = "«P('twilio-auth-token', hx(32))»"

  def perform(phone, message)
    client = Twilio::REST::Client.new(ACCOUNT_SID, AUTH_TOKEN)
    client.messages.create(from: "+14155550199", to: phone, body: message)
  end
end
""")
    W(d + "spec/fixtures/files/stripe_webhook.json", """
{
  "id": "evt_«rs(24)»",
  "object": "event",
  "api_version": "2024-04-10",
  "created": 1717405200,
  "data": {
    "object": {
      "id": "pi_«rs(24)»",
      "object": "payment_intent",
      "amount": 4900,
      "client_secret": "«N('test-fixture', 'pi_fake_secret_' + '0' * 24)»",
      "currency": "eur",
      "customer": "cus_«rs(14)»",
      "livemode": false,
      "status": "succeeded"
    }
  },
  "livemode": false,
  "request": { "id": "req_«rs(14)»", "idempotency_key": "«N('uuid', uid())»" },
  "type": "payment_intent.succeeded"
}
""")
    gems = [("actionpack", "7.1.3.4"), ("activerecord", "7.1.3.4"), ("octokit", "9.1.0"), ("pg", "1.5.6"),
            ("stripe", "11.6.0"), ("twilio-ruby", "7.1.1"), ("puma", "6.4.2"), ("sidekiq", "7.2.4")]
    W(d + "Gemfile.lock", """
GEM
  remote: https://rubygems.org/
  specs:
«chr(10).join(f'    {g} ({v})' for g, v in gems)»

PLATFORMS
  x86_64-linux

DEPENDENCIES
«chr(10).join(f'  {g}' for g, v in gems)»

CHECKSUMS
«chr(10).join(f'  {g} ({v}) sha256={N("lockfile-integrity", hx(64))}' for g, v in gems)»

RUBY VERSION
   ruby 3.3.2p78

BUNDLED WITH
   2.5.11
""", locals())

# ======================================================================================
# repo: php-site (WordPress + Laravel)
# ======================================================================================
def php_site():
    d = "php-site/"
    salts = ["AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY", "AUTH_SALT", "SECURE_AUTH_SALT",
             "LOGGED_IN_SALT", "NONCE_SALT"]
    salt_cs = ALNUM + "!@#%^&*()-_[]{}<>~+=,.;:/?|"
    W(d + "blog/wp-config.php", """
<?php
/**
 * The base configuration for WordPress
 */

// ** Database settings ** //
define( 'DB_NAME', 'acme_blog' );
define( 'DB_USER', 'blog_wp' );
define( 'DB_PASSWORD', '«P('generic-password', pw())»' );
define( 'DB_HOST', 'blog-db.internal.acme-corp.net' );
define( 'DB_CHARSET', 'utf8mb4' );
define( 'DB_COLLATE', '' );

/**#@+
 * Authentication unique keys and salts.
 */
«chr(10).join(f"define( '{k}',{' ' * (17 - len(k))}'{P('wordpress-salt', rs(64, salt_cs))}' );" for k in salts)»
/**#@-*/

$table_prefix = 'wp_';

define( 'WP_DEBUG', false );
define( 'WP_REDIS_PASSWORD', '«P('generic-password', pw())»' );
define( 'WPMS_SMTP_PASS', '«P('mailgun-smtp-password', hx(32) + '-' + hx(8) + '-' + hx(8))»' );

if ( ! defined( 'ABSPATH' ) ) {
	define( 'ABSPATH', __DIR__ . '/' );
}
require_once ABSPATH . 'wp-settings.php';
""", locals())
    W(d + "blog/wp-config-sample.php", """
<?php
define( 'DB_NAME', 'database_name_here' );
define( 'DB_USER', 'username_here' );
define( 'DB_PASSWORD', '«N('placeholder', 'password_here')»' );
define( 'DB_HOST', 'localhost' );

«chr(10).join(f"define( '{k}',{' ' * (17 - len(k))}'{N('placeholder', 'put your unique phrase here')}' );" for k in salts)»

$table_prefix = 'wp_';
define( 'WP_DEBUG', false );
""", locals())
    W(d + "app/.env", """
APP_NAME="Acme Partners"
APP_ENV=production
APP_KEY=«P('laravel-app-key', laravel_key())»
APP_DEBUG=false
APP_URL=https://partners.acme-corp.com

LOG_CHANNEL=stack

DB_CONNECTION=mysql
DB_HOST=partners-db.internal
DB_PORT=3306
DB_DATABASE=partners
DB_USERNAME=partners
DB_PASSWORD=«P('generic-password', pw())»

MAIL_MAILER=smtp
MAIL_HOST=smtp-relay.brevo.com
MAIL_PORT=587
MAIL_USERNAME=partners@acme-corp.com
MAIL_PASSWORD=«P('brevo-smtp-key', 'xsmtpsib-' + hx(64) + '-' + rs(16))»

BREVO_API_KEY=«P('brevo-api-key', brevo())»
MAILCHIMP_API_KEY=«P('mailchimp-api-key', mailchimp())»

PUSHER_APP_ID=«dg(7)»
PUSHER_APP_KEY=«N('public-by-design', hx(20))»
PUSHER_APP_SECRET=«P('pusher-app-secret', hx(20))»
PUSHER_APP_CLUSTER=eu

SHOPIFY_SHOP=acme-partners.myshopify.com
SHOPIFY_ACCESS_TOKEN=«P('shopify-access-token', shopify('shpat_'))»
SHOPIFY_API_SECRET=«P('shopify-shared-secret', shopify('shpss_'))»
""")
    W(d + "app/config/services.php", """
<?php

return [
    'mailgun' => [
        'domain' => env('MAILGUN_DOMAIN', 'mg.acme-corp.com'),
        'secret' => env('MAILGUN_SECRET', '«P('mailgun-api-key', mailgun())»'),
        'endpoint' => env('MAILGUN_ENDPOINT', 'api.eu.mailgun.net'),
        'scheme' => 'https',
    ],

    'stripe' => [
        'key' => «N('env-lookup', "env('STRIPE_KEY')")»,
        'secret' => env('STRIPE_SECRET'),
    ],

    'square' => [
        'environment' => 'production',
        'access_token' => '«P('square-access-token', square_access())»',
        'application_secret' => '«P('square-oauth-secret', square_secret())»',
    ],

    'shippo' => [
        'token' => env('SHIPPO_TOKEN', '«P('shippo-api-token', shippo())»'),
    ],
];
""")
    W(d + "app/auth.json", """
{
    "github-oauth": {
        "github.com": "«P('github-oauth-token', gh('gho_'))»"
    },
    "http-basic": {
        "repo.packagist.com": {
            "username": "token",
            "password": "«P('packagist-token', hx(64))»"
        }
    }
}
""")

# ======================================================================================
# repo: storefront (frontend, Vite/React)
# ======================================================================================
YARN_PKGS = [("react", "18.3.1"), ("react-dom", "18.3.1"), ("scheduler", "0.23.2"), ("loose-envify", "1.4.0"),
             ("js-tokens", "4.0.0"), ("@stripe/stripe-js", "3.4.1"), ("mapbox-gl", "3.4.0"),
             ("@supabase/supabase-js", "2.43.4"), ("vite", "5.2.12"), ("esbuild", "0.20.2"), ("rollup", "4.18.0"),
             ("postcss", "8.4.38"), ("nanoid", "3.3.7"), ("picocolors", "1.0.1"), ("source-map-js", "1.2.0")]


def minified_bundle():
    ids = ["__vite__mapDeps", "useSyncExternalStoreWithSelector", "createElementNS", "unstable_scheduleCallback",
           "getDerivedStateFromProps", "dangerouslySetInnerHTML", "MapboxGeolocateControl",
           "confirmCardPaymentWithRedirect"]
    parts = ['/*! storefront v2.9.0 | (c) Acme Corp | built ' + hx(10) + ' */']
    chunks = []
    for i in range(10):
        a, b = rs(2, LO), rs(2, LO)
        chunks.append(f'function {a}({b}){{return {b}&&{b}.__esModule&&Object.prototype.hasOwnProperty.call({b},"default")?{b}.default:{b}}}')
        chunks.append(f'var {rs(2, LO)}="{N("minified-js-identifier", rs(48, ALNUM + "_$"))}";')
        chunks.append(f'const {rs(1, LO)}{i}=e=>e.{R.choice(ids)}?.call(null,"{hx(8)}");')
    chunks.append(f'const Zt={{stripeKey:"{N("public-by-design", stripe_pk())}",mapboxToken:"{N("public-by-design", mapbox("pk"))}",'
                  f'supabaseUrl:"https://{rs(20, LO)}.supabase.co",supabaseAnonKey:"{N("public-by-design", supabase_jwt("anon", rs(20, LO)))}",'
                  f'recaptcha:"{N("public-by-design", "6L" + rs(38, URLSAFE))}",'
                  f'openaiKey:"{P("openai-api-key", openai_proj())}",buildId:"{N("git-sha", gitsha())}"}};')
    chunks.append(f'var Qf="data:font/woff2;base64,{N("base64-font", b64_woff2(2000))}";')
    chunks.append(f'const En={{algoliaAppId:"{rs(10, UP + DG)}",algoliaSearchKey:"{N("public-by-design", hx(32))}",'
                  f'release:"{N("git-sha", gitsha())}",chunkHash:"{N("sha256-digest", hx(64))}"}};')
    for i in range(6):
        chunks.append(f'var {rs(2, LO)}=["{N("minified-js-identifier", rs(40, B64CS))}","{rs(12, ALNUM)}"].map(t=>atob(t));')
    R.shuffle(chunks)
    parts.append("".join(chunks))
    parts.append("//# sourceMappingURL=index-" + hx(8) + ".js.map")
    return "\n".join(parts) + "\n"


def storefront():
    d = "storefront/"
    emit(d + "yarn.lock", yarn_lock(YARN_PKGS))
    W(d + ".env.local", """
VITE_API_URL=https://shop.acme.com/api
VITE_STRIPE_PUBLISHABLE_KEY=«N('public-by-design', stripe_pk())»
VITE_MAPBOX_TOKEN=«N('public-by-design', mapbox('pk'))»
VITE_SUPABASE_URL=https://«(ref := rs(20, LO))».supabase.co
VITE_SUPABASE_ANON_KEY=«N('public-by-design', supabase_jwt('anon', ref))»
# server-side only -- used by scripts/seed.ts, NOT exposed to the bundle
SUPABASE_SERVICE_ROLE_KEY=«P('supabase-service-role-jwt', supabase_jwt('service_role', ref))»
SUPABASE_ACCESS_TOKEN=«P('supabase-access-token', sbp())»
MAPBOX_UPLOAD_TOKEN=«P('mapbox-secret-token', mapbox('sk'))»
""")
    W(d + "src/components/LoginForm.tsx", """
import { useState } from "react";

export function LoginForm({ onSubmit }: { onSubmit: (email: string, password: string) => void }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState(«N('field-name', '""')»);
  const [showPassword, setShowPassword] = useState(false);

  return (
    <form onSubmit={(e) => { e.preventDefault(); onSubmit(email, password); }}>
      <label htmlFor="email">Email</label>
      <input id="email" type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} />
      <label htmlFor="password">Password</label>
      <input
        id="password"
        name="«N('field-name', 'password')»"
        type={showPassword ? "text" : "password"}
        autoComplete="current-password"
        placeholder="«N('placeholder', '••••••••')»"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
      />
      <button type="button" onClick={() => setShowPassword((s) => !s)}>Show</button>
      <button type="submit">Sign in</button>
    </form>
  );
}
""")
    W(d + "index.html", """
<!doctype html>
<html lang="en">
  <head>
    <meta charset="UTF-8" />
    <meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'self' '«N('csp-hash', 'sha256-' + b64(rb(32)))»' https://js.stripe.com https://www.google.com/recaptcha/; style-src 'self' '«N('csp-hash', 'sha256-' + b64(rb(32)))»'" />
    <link rel="icon" type="image/png" href="data:image/png;base64,«N('base64-image', b64_png(600))»" />
    <meta name="google-signin-client_id" content="«N('public-by-design', google_client_id())»" />
    <title>Acme Store</title>
    <script src="https://js.stripe.com/v3/" integrity="«N('subresource-integrity', sri384())»" crossorigin="anonymous"></script>
    <script src="https://www.google.com/recaptcha/api.js?render=«N('public-by-design', '6L' + rs(38, URLSAFE))»" async defer></script>
    <script type="module" crossorigin src="/assets/index-«hx(8)».js" integrity="«N('subresource-integrity', sri384())»"></script>
    <link rel="stylesheet" href="/assets/index-«hx(8)».css" integrity="«N('subresource-integrity', sri())»" />
  </head>
  <body>
    <div id="root"></div>
    <noscript>You need to enable JavaScript to run this app.</noscript>
  </body>
</html>
""")
    emit(d + "dist/assets/index-" + hx(8) + ".js", minified_bundle())
    W(d + "src/assets/logo.svg", """
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="160" height="40" viewBox="0 0 160 40">
  <defs>
    <linearGradient id="g" x1="0" x2="1"><stop offset="0" stop-color="#ff5a36"/><stop offset="1" stop-color="#ffb347"/></linearGradient>
  </defs>
  <image width="40" height="40" xlink:href="data:image/png;base64,«N('base64-image', b64_png(1600))»"/>
  <path fill="url(#g)" d="M52 30 60 10h4l8 20h-4.5l-1.7-4.5h-8.6L55.5 30zm7.5-8.2h5.8L62.4 14z"/>
</svg>
""")

# ======================================================================================
# repo: mobile-android
# ======================================================================================
def android():
    d = "mobile-android/"
    W(d + "gradle.properties", """
org.gradle.jvmargs=-Xmx4g -Dfile.encoding=UTF-8
android.useAndroidX=true
kotlin.code.style=official
android.nonTransitiveRClass=true

# release signing (CI overrides these from the keystore secret)
RELEASE_STORE_FILE=../keystore/acme-release.jks
RELEASE_STORE_PASSWORD=«P('generic-password', pw())»
RELEASE_KEY_ALIAS=acme
RELEASE_KEY_PASSWORD=«P('generic-password', pw())»

# crash reporting upload
SENTRY_AUTH_TOKEN=«P('sentry-auth-token', sentry_user_token())»
""")
    W(d + "fastlane/.env.default", """
# Play Console upload
SUPPLY_JSON_KEY=fastlane/play-service-account.json
FIREBASE_APP_ID=1:«dg(12)»:android:«hx(16)»
FIREBASE_CLI_TOKEN=«P('firebase-cli-token', '1//0' + rs(99, URLSAFE))»
SLACK_URL=«P('slack-webhook', slack_hook())»
""")
    W(d + "fastlane/play-service-account.json", """
{
  "type": "service_account",
  "project_id": "acme-store-android",
  "private_key_id": "«hx(40)»",
  "private_key": "«pkcs8_key(sep=chr(92) + 'n', kind='gcp-service-account')»\\n",
  "client_email": "fastlane-upload@acme-store-android.iam.gserviceaccount.com",
  "client_id": "«dg(21)»",
  "auth_uri": "https://accounts.google.com/o/oauth2/auth",
  "token_uri": "https://oauth2.googleapis.com/token",
  "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
  "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/fastlane-upload%40acme-store-android.iam.gserviceaccount.com",
  "universe_domain": "googleapis.com"
}
""")


# ======================================================================================
# repo: dotfiles (an engineer's backed-up home directory)
# ======================================================================================
def dotfiles():
    d = "dotfiles/"
    W(d + ".netrc", """
machine github.com
  login mkowalski
  password «P('netrc-password', gh('ghp_'))»

machine api.heroku.com
  login m.kowalski@acme-corp.com
  password «P('heroku-api-key', heroku_new())»

machine git.heroku.com
  login m.kowalski@acme-corp.com
  password «P('netrc-password', uid())»

machine artifactory.acme-corp.net login deployer password «P('netrc-password', pw())»
""")
    W(d + ".git-credentials", """
https://mkowalski:«P('git-credentials', gh('ghp_'))»@github.com
https://oauth2:«P('git-credentials', glpat())»@gitlab.acme-corp.net
https://mkowalski:«P('git-credentials', bitbucket())»@bitbucket.org
""")
    W(d + ".docker/config.json", """
{
  "auths": {
    "https://index.docker.io/v1/": {
      "auth": "«P('docker-config-auth', b64('mkowalski:' + dckr()))»"
    },
    "«dg(12)».dkr.ecr.eu-west-1.amazonaws.com": {},
    "registry.acme-corp.net": {
      "auth": "«P('docker-config-auth', b64('ci-push:' + pw()))»"
    },
    "acme.jfrog.io": {
      "auth": "«P('docker-config-auth', b64('m.kowalski@acme-corp.com:' + jfrog_ref()))»"
    }
  },
  "credsStore": "desktop",
  "credHelpers": {
    "«dg(12)».dkr.ecr.eu-west-1.amazonaws.com": "ecr-login"
  },
  "currentContext": "desktop-linux"
}
""")
    W(d + ".aws/credentials", """
[default]
aws_access_key_id = «P('aws-access-key-id', aws_id())»
aws_secret_access_key = «P('aws-secret-key', aws_secret())»

[acme-prod]
aws_access_key_id = «P('aws-access-key-id', aws_id('ASIA'))»
aws_secret_access_key = «P('aws-secret-key', aws_secret())»
aws_session_token = «P('aws-session-token', aws_session())»

[legacy-backup]
aws_access_key_id = «P('aws-access-key-id', aws_id())»
aws_secret_access_key = «P('aws-secret-key', aws_secret())»
aws_session_token = «P('aws-session-token', aws_session_old())»

[docs-example]
aws_access_key_id = «N('doc-example-key', 'AKIAIOSFODNN7EXAMPLE')»
aws_secret_access_key = «N('doc-example-key', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY')»
""")
    W(d + ".kube/config", """
apiVersion: v1
kind: Config
preferences: {}
current-context: kind-dev
clusters:
- cluster:
    certificate-authority-data: «N('certificate', b64('-----BEGIN CERTIFICATE-----' + chr(10) + wrap(b64(rb(700))) + chr(10) + '-----END CERTIFICATE-----' + chr(10)))»
    server: https://127.0.0.1:38231
  name: kind-dev
- cluster:
    certificate-authority-data: «N('certificate', b64('-----BEGIN CERTIFICATE-----' + chr(10) + wrap(b64(rb(700))) + chr(10) + '-----END CERTIFICATE-----' + chr(10)))»
    server: https://k8s-staging.acme-corp.net:6443
  name: staging
contexts:
- context:
    cluster: kind-dev
    user: kind-dev
  name: kind-dev
- context:
    cluster: staging
    user: mkowalski-staging
  name: staging
users:
- name: kind-dev
  user:
    client-certificate-data: «N('certificate', b64('-----BEGIN CERTIFICATE-----' + chr(10) + wrap(b64(rb(700))) + chr(10) + '-----END CERTIFICATE-----' + chr(10)))»
    client-key-data: «P('kubeconfig-client-key', b64('-----BEGIN RSA PRIVATE KEY-----' + chr(10) + wrap(b64(rb(1191))) + chr(10) + '-----END RSA PRIVATE KEY-----' + chr(10)))»
- name: mkowalski-staging
  user:
    token: «P('k8s-service-account-token', k8s_sa_jwt('platform', 'mkowalski'))»
""")
    W(d + ".ssh/id_rsa", "«rsa_key()»\n")
    W(d + ".ssh/id_ed25519", "«openssh_key()»\n")
    W(d + ".ssh/id_ed25519.pub", "«N('ssh-public-key', ssh_ed_pub())» mkowalski@acme-laptop\n")
    W(d + ".ssh/deploy_legacy", "«openssh_rsa_key()»\n")
    W(d + ".ssh/known_hosts", """
github.com «N('ssh-public-key', ssh_ed_pub())»
|1|«N('hashed-hostname', b64(rb(20)))»|«b64(rb(20))» «ssh_ed_pub()»
|1|«N('hashed-hostname', b64(rb(20)))»|«b64(rb(20))» «ssh_rsa_pub()»
gitlab.acme-corp.net,10.40.0.5 «N('ssh-public-key', ssh_ed_pub())»
bastion.acme-corp.net «N('ssh-public-key', ssh_ed_pub())»
[bastion.acme-corp.net]:2222 «N('ssh-public-key', ssh_rsa_pub())»
bitbucket.org «N('ssh-public-key', ssh_rsa_pub())»
""")
    W(d + ".ssh/bastion.ppk", "«putty_key('mkowalski@bastion-2023')»")
    W(d + ".gnupg/backup-secret-key.asc", "«pgp_private()»\n")
    W(d + ".gnupg/pubkey.asc", "«pgp_public()»\n")
    W(d + ".pgpass", """
# hostname:port:database:username:password
localhost:5432:*:postgres:«N('dev-default', 'postgres')»
shop-db.cluster-c8x2kq1lz9ab.eu-west-1.rds.amazonaws.com:5432:shop:shop_admin:«P('pgpass-password', upw())»
dwh.prod.acme-corp.net:5432:dwh:mkowalski:«P('pgpass-password', upw())»
""")
    W(d + ".my.cnf", """
[client]
user=mkowalski
password="«P('generic-password', pw())»"
host=reporting.acme-corp.net
ssl-mode=REQUIRED

[mysql]
prompt="\\u@\\h [\\d]> "
""")
    W(d + ".pypirc", """
[distutils]
index-servers =
    pypi
    testpypi
    acme

[pypi]
username = __token__
password = «P('pypi-token', pypi())»

[testpypi]
repository = https://test.pypi.org/legacy/
username = __token__
password = «P('pypi-token', testpypi())»

[acme]
repository = https://nexus.acme-corp.net/repository/pypi-internal/
username = mkowalski
password = «P('pypirc-password', pw())»
""")
    W(d + ".npmrc", """
//registry.npmjs.org/:_authToken=«P('npm-token', npm_tok())»
//npm.pkg.github.com/:_authToken=«P('github-pat', gh('ghp_'))»
//nexus.acme-corp.net/repository/npm-internal/:_auth=«P('npmrc-auth', b64('mkowalski:' + pw()))»
//nexus.acme-corp.net/repository/npm-internal/:always-auth=true
init-author-name=Marta Kowalski
""")
    W(d + ".m2/settings.xml", """
<?xml version="1.0" encoding="UTF-8"?>
<settings xmlns="http://maven.apache.org/SETTINGS/1.2.0"
          xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
          xsi:schemaLocation="http://maven.apache.org/SETTINGS/1.2.0 https://maven.apache.org/xsd/settings-1.2.0.xsd">
  <servers>
    <server>
      <id>acme-releases</id>
      <username>deploy</username>
      <password>«P('generic-password', xpw())»</password>
    </server>
    <server>
      <id>acme-snapshots</id>
      <username>deploy</username>
      <password>«N('encrypted', '{' + b64(rb(32)) + '}')»</password>
    </server>
    <server>
      <id>github</id>
      <username>mkowalski</username>
      <password>«P('github-pat', gh('ghp_'))»</password>
    </server>
    <server>
      <id>ci-nexus</id>
      <username>«N('interpolation', '${env.NEXUS_USER}')»</username>
      <password>${env.NEXUS_PASSWORD}</password>
    </server>
    <server>
      <id>ossrh</id>
      <username>mkowalski</username>
      <password>«P('generic-password', xpw())»</password>
    </server>
  </servers>
  <mirrors>
    <mirror>
      <id>acme-central</id>
      <mirrorOf>central</mirrorOf>
      <url>https://nexus.acme-corp.net/repository/maven-public/</url>
    </mirror>
  </mirrors>
  <profiles>
    <profile>
      <id>sign</id>
      <properties>
        <gpg.keyname>«N('identifier', HX(16))»</gpg.keyname>
        <gpg.passphrase>«P('generic-password', xpw())»</gpg.passphrase>
      </properties>
    </profile>
  </profiles>
</settings>
""")
    W(d + ".gem/credentials", """
---
:rubygems_api_key: «P('rubygems-api-key', rubygems())»
""")
    W(d + ".cargo/credentials.toml", """
[registry]
token = "«P('crates-io-token', crates())»"
""")
    W(d + ".config/gh/hosts.yml", """
github.com:
    users:
        mkowalski:
            oauth_token: «P('github-oauth-token', gh('gho_'))»
    git_protocol: ssh
    oauth_token: «P('github-oauth-token', gh('gho_'))»
    user: mkowalski
""")
    W(d + ".terraform.d/credentials.tfrc.json", """
{
  "credentials": {
    "app.terraform.io": {
      "token": "«P('terraform-cloud-token', tfc())»"
    }
  }
}
""")
    W(d + ".vault-token", "«P('vault-token', hvs_long())»")
    W(d + ".databrickscfg", """
[DEFAULT]
host = https://adb-«dg(16)».«R.randint(1, 19)».azuredatabricks.net
token = «P('databricks-token', dapi())»

[staging]
host = https://dbc-«hx(8)»-«hx(4)».cloud.databricks.com
token = «P('databricks-token', dapi() + '-2')»
""")
    W(d + ".config/pulumi/credentials.json", """
{
    "current": "https://api.pulumi.com",
    "accessTokens": {
        "https://api.pulumi.com": "«P('pulumi-token', pulumi())»"
    },
    "accounts": {
        "https://api.pulumi.com": {
            "accessToken": "",
            "username": "mkowalski",
            "lastValidatedAt": "2024-05-30T08:11:02.118Z"
        }
    }
}
""")
    W(d + ".config/ngrok/ngrok.yml", """
version: "2"
authtoken: «P('ngrok-authtoken', ngrok())»
tunnels:
  webhooks:
    proto: http
    addr: 3000
""")
    W(d + ".config/rclone/rclone.conf", """
[spaces]
type = s3
provider = DigitalOcean
access_key_id = «P('digitalocean-spaces-key-id', 'DO00' + rs(16, UP + DG))»
secret_access_key = «P('digitalocean-spaces-secret', rs(43, B64CS))»
endpoint = ams3.digitaloceanspaces.com

[gdrive]
type = drive
scope = drive
token = {"access_token":"«P('google-oauth-access-token', 'ya29.a0' + rs(150, URLSAFE))»","token_type":"Bearer","refresh_token":"«P('google-oauth-refresh-token', '1//0' + rs(99, URLSAFE))»","expiry":"2024-05-30T10:12:33.5+02:00"}

[crypt]
type = crypt
remote = spaces:backups
password = «N('encrypted', rs(43, URLSAFE))»
""")
    W(d + ".zshrc", """
export ZSH="$HOME/.oh-my-zsh"
ZSH_THEME="robbyrussell"
plugins=(git docker kubectl aws terraform)
source $ZSH/oh-my-zsh.sh

export EDITOR=nvim
export GOPATH="$HOME/go"
export PATH="$HOME/.local/bin:$GOPATH/bin:$PATH"

# --- AI tooling ---
export OPENAI_API_KEY="«P('openai-api-key', openai_legacy())»"
export ANTHROPIC_API_KEY="«P('anthropic-api-key', anthropic())»"
export GROQ_API_KEY=«P('groq-api-key', groq())»
export HF_TOKEN=«P('huggingface-token', hf())»
export REPLICATE_API_TOKEN=«P('replicate-api-token', replicate())»
export PERPLEXITY_API_KEY=«P('perplexity-api-key', pplx())»
# pulled from 1Password at shell start instead of hardcoding
export MISTRAL_API_KEY="$(op read «N('secret-manager-ref', "'op://Private/Mistral/credential'")» 2>/dev/null)"

export GITHUB_TOKEN=«P('github-pat', gh('ghp_'))»
export HOMEBREW_GITHUB_API_TOKEN="$GITHUB_TOKEN"
export SNYK_TOKEN=«P('snyk-token', uid())»

alias k=kubectl
alias tf=terraform
alias gs='git status -sb'
""")
    W(d + ".bash_history", """
cd ~/src/shop-api
git pull --rebase
npm ci
docker login -u mkowalski -p «P('generic-password', pw())» registry.acme-corp.net
psql "postgresql://shop_admin:«P('postgres-uri-password', upw())»@shop-db.cluster-c8x2kq1lz9ab.eu-west-1.rds.amazonaws.com:5432/shop"
kubectl -n shop get pods
curl -H "Authorization: Bearer «P('jwt', user_jwt())»" https://api.acme-corp.com/v2/orders?limit=5
curl -u admin:«P('https-basic-auth-password', upw())» https://jenkins.acme-corp.net/api/json
mysql -h reporting.acme-corp.net -u admin -p'«P('generic-password', pw())»' reports
export AWS_PROFILE=acme-prod
aws sso login
aws s3 ls s3://acme-shop-prod-uploads/
history | grep token
vault login -method=oidc
gh auth status
""")


# ======================================================================================
# docs
# ======================================================================================
def docs():
    d = "docs/"
    W(d + "runbooks/2023-11-db-failover.md", """
# Postmortem: shop DB failover (2023-11-14)

**Status:** resolved · **Severity:** SEV-2 · **Author:** platform on-call

## Timeline (UTC)

| time  | event |
|-------|-------|
| 02:11 | RDS event `RDS-EVENT-0049` multi-AZ failover started |
| 02:13 | shop-api pods crash-looping: `password authentication failed for user "shop_app"` |
| 02:31 | identified stale DSN in the `reporting` cron |
| 02:40 | manually restarted the cron with the right DSN (below) |

The cron was run by hand with:

```
DATABASE_URL=postgres://reporting:«P('postgres-uri-password', upw())»@shop-db.cluster-ro-c8x2kq1lz9ab.eu-west-1.rds.amazonaws.com:5432/shop \\
  node dist/jobs/report.js --since 2023-11-13
```

Grafana dashboard used during the incident was provisioned through the API with

```
curl -H "Authorization: Bearer «P('grafana-service-account-token', grafana_sa())»" \\
  https://grafana.acme-corp.net/api/dashboards/db -d @dashboard.json
```

## Follow-ups

- [x] Rotate `shop_app` password (done; new one is in Secrets Manager, value `«N('redacted', '********')»`)
- [ ] Move cron credentials to IRSA
- [ ] Alert on `FATAL: password authentication failed` in CloudWatch Logs Insights
""")
    W(d + "api/authentication.md", """
# Authenticating to the Acme API

All requests need a bearer token:

```http
GET /v2/orders HTTP/1.1
Host: api.acme-corp.com
Authorization: Bearer «N('placeholder', '<YOUR_ACCESS_TOKEN>')»
```

A token is a JWT such as (example from jwt.io, not valid for our API):

```
«N('doc-example-key', 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c')»
```

## API keys

Server-to-server integrations may use an API key instead:

```bash
curl https://api.acme-corp.com/v2/products \\
  -H "X-API-Key: «N('placeholder', 'ak_live_xxxxxxxxxxxxxxxxxxxxxxxx')»"
```

## Payments sandbox

Our payment endpoints proxy to Stripe. In the sandbox you can use Stripe's documented test key:

```bash
curl https://api.stripe.com/v1/charges -u «N('doc-example-key', 'sk_test_4eC39HqLyjWDarjtT1zdp7dc')»:
```

## Webhooks

We sign webhook payloads with HMAC-SHA256. The `Acme-Signature` header looks like
`t=1717405200,v1=«N('high-entropy-test-value', hx(64))»`.

Set the secret in your integration settings; it starts with `«N('truncated-token', 'whsec_')»`.
""")
    W(d + "onboarding.md", """
# Engineering onboarding

Welcome! Work through this list during your first week.

1. Get added to the `acme-corp` GitHub org (ask in `#it-help`).
2. Create a **fine-grained** PAT with `contents:read` on the repos you need and put it in your shell:
   `export GITHUB_TOKEN=«N('placeholder', 'github_pat_<your token>')»`
3. Install the AWS CLI and run `aws configure sso` (start URL `https://acme-corp.awsapps.com/start`).
4. Ask platform for VPN access. Until your personal certificate is issued you can use the shared
   onboarding profile; the pre-shared key is `«P('generic-password', pw())»` (rotated monthly).
5. Staging Grafana: https://grafana.staging.acme-corp.net, login `onboarding` / `«P('generic-password', pw())»`.

## Secrets

Never paste secrets into Slack or tickets. Use 1Password shares. If you do leak something,
post in `#security` with the *type* of the credential, e.g. "GitHub PAT «N('truncated-token', 'ghp_4f…')»",
never the full value.

Values like `${DB_PASSWORD}`, `{{ .Values.db.password }}` or `«N('interpolation', '%(password)s')»` in config
files are templates, not secrets.
""")
    W(d + "security/secret-formats.md", """
# Recognising credential formats

This page helps reviewers spot credentials in PRs. All examples are **masked** or **invalid**.

| Provider | Looks like | Example (masked) |
|----------|-----------|------------------|
| GitHub classic PAT | `ghp_` + 36 chars | `«N('redacted', 'ghp_' + '*' * 36)»` |
| GitHub fine-grained | `github_pat_` + 82 chars | `github_pat_11AAAA…` |
| AWS access key id | `AKIA` + 16 | `«N('redacted', 'AKIA' + '*' * 16)»` |
| Slack bot | `xoxb-…` | `«N('doc-example-key', 'xoxb-not-a-real-token-this-will-not-work')»` |
| Stripe secret | `sk_live_…` | `«N('redacted', 'sk_live_****************************')»` |
| OpenAI | `sk-proj-…` | `«N('truncated-token', 'sk-proj-abc…xyz')»` |
| AWS secret key | 40 chars | `«N('doc-example-key', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY')»` |
| GitLab PAT | `glpat-` + 20 | `«N('placeholder', 'glpat-xxxxxxxxxxxxxxxxxxxx')»` |
| Anthropic | `sk-ant-api03-…` | `«N('redacted', 'sk-ant-api03-****…****AA')»` |
| Google API key | `AIza` + 35 | `«N('placeholder', 'AIzaSyXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX')»` |
| Private key | PEM block | `-----BEGIN ... PRIVATE KEY-----` (never paste the body) |

A GitHub token whose checksum does not verify (the last six characters) is not a real token,
for example `«N('github-bad-checksum', gh_badsum('ghp_'))»`.

Encrypted values are fine to commit:

```yaml
db_password: !vault |
          «ansible_vault(4).replace(chr(10), chr(10) + '          ')»
```

```yaml
api_token: «sops()»
```

Password hashes are also fine (`«N('password-hash', bcrypt())»`, `«N('password-hash', argon2())»`).
""")

# ======================================================================================
# repo: community-bot (Discord / Telegram / Slack bot, Python)
# ======================================================================================
def community_bot():
    d = "community-bot/"
    W(d + "bot.py", '''
"""Community bot: mirrors announcements from Discord to Telegram and Slack."""
import asyncio
import logging
import os

import discord
from telegram import Bot

logging.basicConfig(level=logging.INFO)

DISCORD_TOKEN = os.getenv("DISCORD_TOKEN", "«P('discord-bot-token', discord_bot())»")
TELEGRAM_TOKEN = os.getenv("TELEGRAM_TOKEN")
ANNOUNCE_CHANNEL_ID = «dg(19)»
TELEGRAM_CHAT = "@acme_announcements"

intents = discord.Intents.default()
intents.message_content = True
client = discord.Client(intents=intents)
tg = Bot(TELEGRAM_TOKEN or "«P('telegram-bot-token', telegram())»")


@client.event
async def on_message(message: discord.Message):
    if message.channel.id != ANNOUNCE_CHANNEL_ID or message.author.bot:
        return
    await tg.send_message(chat_id=TELEGRAM_CHAT, text=message.content)


if __name__ == "__main__":
    client.run(DISCORD_TOKEN)
''')
    W(d + "config.yaml", """
discord:
  guild_id: «dg(19)»
  application_id: «dg(19)»
  public_key: «N('public-by-design', hx(64))»
  # interactions endpoint secret is the bot token; keep it in the env
  token: «N('interpolation', '${DISCORD_TOKEN}')»
  mod_log_webhook: «P('discord-webhook', discord_hook())»

slack:
  app_token: «P('slack-app-token', slack_app())»
  bot_token: «P('slack-bot-token', slack_bot())»
  signing_secret: «P('slack-signing-secret', hx(32))»
  user_token: «P('slack-user-token', slack_user())»

telegram:
  webhook_secret_token: «P('generic-secret', rs(40, URLSAFE))»
""")

# ======================================================================================
# repo: ml-service (FastAPI LLM gateway)
# ======================================================================================
def ml_service():
    d = "ml-service/"
    W(d + "app/providers.py", '''
"""Provider registry for the LLM gateway.

Keys are normally injected via the env; the hardcoded fallbacks were added during the
hackathon and still need to be cleaned up (ML-54).
"""
import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Provider:
    name: str
    base_url: str
    api_key: str


PROVIDERS = {
    "anthropic": Provider("anthropic", "https://api.anthropic.com", os.getenv("ANTHROPIC_API_KEY", "«P('anthropic-api-key', anthropic())»")),
    "openai": Provider("openai", "https://api.openai.com/v1", os.getenv("OPENAI_API_KEY", "«P('openai-api-key', openai_svc())»")),
    "groq": Provider("groq", "https://api.groq.com/openai/v1", os.environ.get("GROQ_API_KEY", "")),
    "openrouter": Provider("openrouter", "https://openrouter.ai/api/v1", "«P('openrouter-api-key', openrouter())»"),
    "xai": Provider("xai", "https://api.x.ai/v1", "«P('xai-api-key', xai())»"),
    "cohere": Provider("cohere", "https://api.cohere.com/v1", "«P('cohere-api-key', rs(40))»"),
    "mistral": Provider("mistral", "https://api.mistral.ai/v1", «N('env-lookup', 'os.environ["MISTRAL_API_KEY"]')»),
}

EMBEDDINGS_MODEL = "text-embedding-3-small"
''')
    W(d + "app/tracing.py", '''
import os

os.environ.setdefault("LANGCHAIN_TRACING_V2", "true")
os.environ.setdefault("LANGCHAIN_PROJECT", "support-copilot")
os.environ.setdefault("LANGCHAIN_API_KEY", "«P('langsmith-api-key', langsmith())»")
os.environ.setdefault("WANDB_API_KEY", "«P('wandb-api-key', hx(40))»")
''')
    W(d + ".env", """
ANTHROPIC_API_KEY=«P('anthropic-api-key', anthropic())»
ANTHROPIC_ADMIN_KEY=«P('anthropic-admin-key', anthropic_admin())»
GROQ_API_KEY=«P('groq-api-key', groq())»
ELEVENLABS_API_KEY=«P('elevenlabs-api-key', elevenlabs())»
HUGGINGFACEHUB_API_TOKEN=«P('huggingface-token', hf())»
REPLICATE_API_TOKEN=«P('replicate-api-token', replicate())»
PINECONE_API_KEY=«P('pinecone-api-key', pinecone())»
PINECONE_INDEX=support-articles
MODEL_CACHE_DIR=/mnt/models
MAX_TOKENS=4096
TOKENIZER=cl100k_base
""")
    W(d + "Dockerfile", """
FROM python:3.12-slim@«N('image-digest', digest())»
WORKDIR /srv
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY app ./app
ARG HF_TOKEN
ENV HF_HOME=/srv/.cache/huggingface \\
    TRANSFORMERS_OFFLINE=0
ENV HUGGING_FACE_HUB_TOKEN=«P('huggingface-token', hf())»
RUN python -c "from huggingface_hub import snapshot_download; snapshot_download('BAAI/bge-small-en-v1.5')"
CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000"]
""")

# ======================================================================================
# repo: support-tools (internal scripts, Node)
# ======================================================================================
def support_tools():
    d = "support-tools/"
    W(d + "scripts/jira-sync.js", """
#!/usr/bin/env node
// Copies Zendesk escalations into the SUP Jira project.
const axios = require("axios");

const JIRA_BASE = "https://acme-corp.atlassian.net";
const JIRA_EMAIL = "support-bot@acme-corp.com";
const JIRA_TOKEN = "«P('atlassian-api-token', atlassian())»";

const ZENDESK = {
  subdomain: "acmesupport",
  email: "support-bot@acme-corp.com/token",
  token: "«P('zendesk-api-token', rs(40))»",
};

const jira = axios.create({
  baseURL: JIRA_BASE,
  auth: { username: JIRA_EMAIL, password: JIRA_TOKEN },
});

async function main() {
  const { data } = await axios.get(`https://${ZENDESK.subdomain}.zendesk.com/api/v2/search.json`, {
    params: { query: "type:ticket tags:escalated status<solved" },
    auth: { username: ZENDESK.email, password: ZENDESK.token },
  });
  for (const t of data.results) {
    await jira.post("/rest/api/3/issue", {
      fields: { project: { key: "SUP" }, summary: `[ZD-${t.id}] ${t.subject}`, issuetype: { name: "Task" } },
    });
  }
}

main().catch((e) => { console.error(e.message); process.exit(1); });
""")
    W(d + "scripts/notion-export.ts", """
import { Client } from "@notionhq/client";
import { writeFileSync } from "node:fs";

const notion = new Client({ auth: process.env.NOTION_TOKEN ?? "«P('notion-token', notion_old())»" });
const DATABASE_ID = "«N('identifier', hx(32))»";

const pages = await notion.databases.query({ database_id: DATABASE_ID, page_size: 100 });
writeFileSync("kb-export.json", JSON.stringify(pages.results, null, 2));
console.log(`exported ${pages.results.length} pages`);
""")
    W(d + "scripts/figma-icons.mjs", """
import fetch from "node-fetch";

const FILE_KEY = "«N('identifier', rs(22))»";
const headers = { "X-Figma-Token": "«P('figma-pat', figma())»" };

const res = await fetch(`https://api.figma.com/v1/files/${FILE_KEY}/components`, { headers });
const { meta } = await res.json();
console.log(meta.components.map((c) => c.name).join("\\n"));
""")
    W(d + "scripts/linear-triage.py", '''
import requests

LINEAR_KEY = "«P('linear-api-key', linear())»"
QUERY = """
query { issues(filter: {state: {name: {eq: "Triage"}}}) { nodes { identifier title } } }
"""

r = requests.post("https://api.linear.app/graphql", json={"query": QUERY}, headers={"Authorization": LINEAR_KEY})
for n in r.json()["data"]["issues"]["nodes"]:
    print(n["identifier"], n["title"])
''')
    W(d + "postman/acme-prod.postman_environment.json", """
{
  "id": "«uid()»",
  "name": "acme-prod",
  "values": [
    { "key": "baseUrl", "value": "https://api.acme-corp.com", "type": "default", "enabled": true },
    { "key": "access_token", "value": "«P('jwt', user_jwt())»", "type": "secret", "enabled": true },
    { "key": "postman_api_key", "value": "«P('postman-api-key', postman())»", "type": "secret", "enabled": true },
    { "key": "okta_api_token", "value": "«P('okta-api-token', okta())»", "type": "secret", "enabled": true },
    { "key": "client_secret", "value": "", "type": "secret", "enabled": true },
    { "key": "request_id", "value": "«N('uuid', uid())»", "type": "default", "enabled": true }
  ],
  "_postman_variable_scope": "environment",
  "_postman_exported_at": "2024-05-22T14:03:11.927Z",
  "_postman_exported_using": "Postman/11.1.0"
}
""")
    W(d + "postman/acme-api.postman_collection.json", """
{
  "info": {
    "_postman_id": "«uid()»",
    "name": "Acme API",
    "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
  },
  "auth": {
    "type": "bearer",
    "bearer": [{ "key": "token", "value": «N('template-expr', '"{{access_token}}"')», "type": "string" }]
  },
  "item": [
    {
      "name": "List orders",
      "request": { "method": "GET", "url": "{{baseUrl}}/v2/orders?limit=20" }
    },
    {
      "name": "Airtable - sync inventory",
      "request": {
        "method": "GET",
        "header": [{ "key": "Authorization", "value": "Bearer «P('airtable-pat', airtable())»" }],
        "url": "https://api.airtable.com/v0/app«rs(14)»/Inventory"
      }
    },
    {
      "name": "Contentful - publish entry",
      "request": {
        "method": "PUT",
        "header": [{ "key": "Authorization", "value": "Bearer «P('contentful-pat', contentful())»" }],
        "url": "https://api.contentful.com/spaces/«rs(12, LO + DG)»/entries/{{entryId}}/published"
      }
    }
  ]
}
""")

# ======================================================================================
# CI configs in several flavours
# ======================================================================================
def ci_configs():
    d = "legacy-monolith/"
    W(d + ".gitlab-ci.yml", """
stages: [test, build, deploy]

variables:
  DOCKER_DRIVER: overlay2
  POSTGRES_PASSWORD: «N('dev-default', 'postgres')»
  DATABASE_URL: «N('localhost-dev-uri', 'postgres://postgres:postgres@postgres:5432/monolith_test')»
  # token for the internal package registry (TODO: move to CI/CD settings)
  ACME_REGISTRY_TOKEN: «P('gitlab-deploy-token', gldt())»

test:
  stage: test
  image: ruby:3.3
  services: [postgres:16]
  script:
    - bundle install
    - bundle exec rspec

build:
  stage: build
  image: docker:26
  services: [docker:26-dind]
  script:
    - docker login -u «N('ci-secret-ref', '$CI_REGISTRY_USER')» -p $CI_REGISTRY_PASSWORD $CI_REGISTRY
    - docker build -t $CI_REGISTRY_IMAGE:$CI_COMMIT_SHA .
    - docker push $CI_REGISTRY_IMAGE:$CI_COMMIT_SHA

trigger-downstream:
  stage: deploy
  script:
    - curl -X POST -F token=«P('gitlab-pipeline-trigger-token', glptt())» -F ref=main https://gitlab.acme-corp.net/api/v4/projects/412/trigger/pipeline
""")
    W(d + "Jenkinsfile", """
pipeline {
  agent { label 'docker' }
  environment {
    REGISTRY_CREDS = credentials('registry-acme')
    SONAR_TOKEN = «N('ci-secret-ref', "credentials('sonar-token')")»
  }
  stages {
    stage('Test') {
      steps { sh 'bundle exec rake test' }
    }
    stage('Deploy') {
      when { branch 'main' }
      steps {
        sh '''
          curl -fsS -u deploy:«P('https-basic-auth-password', upw())» \\
            -X POST https://deploy.acme-corp.net/api/releases -d "sha=${GIT_COMMIT}"
        '''
        sh 'curl -X POST -H "Authorization: Bearer «P('buildkite-token', buildkite())»" https://api.buildkite.com/v2/organizations/acme/pipelines/monolith-e2e/builds -d \\'{"commit":"HEAD","branch":"main"}\\''
      }
    }
  }
}
""")
    W(d + ".travis.yml", """
language: ruby
rvm:
  - 3.1
env:
  global:
    - secure: «N('encrypted', b64(rb(256)))»
    - secure: «N('encrypted', b64(rb(256)))»
deploy:
  provider: heroku
  api_key:
    secure: «N('encrypted', b64(rb(256)))»
  app: acme-monolith-legacy
""")
    W(d + ".circleci/config.yml", """
version: 2.1

orbs:
  slack: circleci/slack@4.13.3

jobs:
  e2e:
    docker:
      - image: cimg/ruby:3.3-browsers
        auth:
          username: acmeci
          password: «N('ci-secret-ref', '$DOCKERHUB_PASSWORD')»
      - image: cimg/postgres:16.2
        environment:
          POSTGRES_PASSWORD: «N('dev-default', 'postgres')»
    environment:
      PERCY_TOKEN: «P('percy-token', hx(64))»
      CYPRESS_RECORD_KEY: «P('cypress-record-key', uid())»
    steps:
      - checkout
      - run: bin/e2e
      - slack/notify:
          event: fail
          template: basic_fail_1

workflows:
  nightly:
    jobs: [e2e]
""")
    W(d + "bitbucket-pipelines.yml", """
image: atlassian/default-image:4

pipelines:
  branches:
    main:
      - step:
          name: Deploy docs
          script:
            - pipe: atlassian/rsync-deploy:0.12.0
              variables:
                USER: deploy
                SERVER: docs.acme-corp.net
                REMOTE_PATH: /var/www/docs
                LOCAL_PATH: build
            - curl -s -X POST -u "acme-bot:«P('bitbucket-app-password', bitbucket())»" https://api.bitbucket.org/2.0/repositories/acme/docs/refs/tags -d '{"name":"deployed"}'
""")
    W(d + "config/settings.ini", """
[app]
name = monolith
debug = false
secret_key = «P('generic-secret', rand_secret(50))»

[database]
host = legacy-db.internal.acme-corp.net
port = 5432
user = monolith
password = «P('generic-password', pw())»
pool_size = 10

[ldap]
uri = ldaps://ad.corp.acme-corp.net:636
bind_dn = CN=svc-monolith,OU=Service Accounts,DC=corp,DC=acme-corp,DC=net
bind_password = «P('ldap-bind-password', pw())»

[smtp]
host = smtp.office365.com
user = monolith@acme-corp.com
password = %(SMTP_PASSWORD)s

[paypal]
client_id = «N('identifier', 'A' + rs(79, URLSAFE))»
client_secret = «P('paypal-client-secret', paypal_secret())»
""")
    W(d + "config/newrelic.yml", """
common: &default_settings
  license_key: «P('newrelic-license-key', nr_license())»
  app_name: Legacy Monolith
  log_level: info

production:
  <<: *default_settings

development:
  <<: *default_settings
  app_name: Legacy Monolith (dev)
  monitor_mode: false
""")
    W(d + "deploy/heroku.sh", """
#!/bin/sh
set -e
export HEROKU_API_KEY=«P('heroku-api-key', uid())»
heroku container:login
heroku container:push web -a acme-monolith-legacy
heroku container:release web -a acme-monolith-legacy
""")


# ======================================================================================
# ops-configs: assorted server configs
# ======================================================================================
def ops_configs():
    d = "ops-configs/"
    W(d + "redis/redis.conf", """
bind 0.0.0.0
protected-mode yes
port 6379
tcp-keepalive 300
daemonize no
supervised systemd
loglevel notice

# Require clients to issue AUTH <PASSWORD> before processing any other commands.
# requirepass «N('doc-example-key', 'foobared')»
requirepass «P('redis-requirepass', rs(64, ALNUM))»

maxmemory 2gb
maxmemory-policy allkeys-lru
""")
    W(d + "haproxy/haproxy.cfg", """
global
    log stdout format raw local0
    maxconn 4096

defaults
    mode http
    timeout connect 5s
    timeout client  30s
    timeout server  30s

listen stats
    bind :8404
    stats enable
    stats uri /stats
    stats auth admin:«P('generic-password', xpw())»

frontend https-in
    bind :443 ssl crt /etc/haproxy/certs/acme.pem
    default_backend web

backend web
    balance roundrobin
    server web1 10.40.1.11:8080 check
    server web2 10.40.1.12:8080 check
""")
    W(d + "grafana/grafana.ini", """
[server]
root_url = https://grafana.acme-corp.net

[security]
admin_user = admin
admin_password = «P('generic-password', pw())»
secret_key = «N('dev-default', 'SW2YcwTIb9zpOOhoPsMm')»
cookie_secure = true

[auth.github]
enabled = true
client_id = «N('identifier', 'Iv1.' + hx(16))»
client_secret = «P('github-oauth-client-secret', hx(40))»
allowed_organizations = acme-corp

[smtp]
enabled = true
host = smtp.sendgrid.net:587
user = apikey
password = «P('sendgrid', sendgrid())»
""")
    W(d + "grafana/provisioning/datasources/prometheus.yaml", """
apiVersion: 1
datasources:
  - name: Prometheus
    type: prometheus
    url: http://prometheus:9090
    isDefault: true
  - name: Loki (Grafana Cloud)
    type: loki
    url: https://logs-prod-eu-west-0.grafana.net
    basicAuth: true
    basicAuthUser: "«dg(6)»"
    secureJsonData:
      basicAuthPassword: «P('grafana-cloud-token', grafana_cloud())»
  - name: Postgres
    type: postgres
    url: reporting.acme-corp.net:5432
    user: grafana_ro
    secureJsonData:
      password: «N('interpolation', '$__env{GRAFANA_PG_PASSWORD}')»
""")
    W(d + "alertmanager/alertmanager.yml", """
global:
  resolve_timeout: 5m
  slack_api_url: «P('slack-webhook', slack_hook())»
  smtp_smarthost: smtp.office365.com:587
  smtp_from: alerts@acme-corp.com
  smtp_auth_username: alerts@acme-corp.com
  smtp_auth_password: «P('generic-password', pw())»

route:
  receiver: slack-default
  routes:
    - matchers: [severity="critical"]
      receiver: pagerduty

receivers:
  - name: slack-default
    slack_configs:
      - channel: "#alerts"
        send_resolved: true
  - name: pagerduty
    pagerduty_configs:
      - routing_key: «P('pagerduty-integration-key', pagerduty())»
  - name: opsgenie
    opsgenie_configs:
      - api_key_file: /etc/alertmanager/secrets/opsgenie
""")
    W(d + "kibana/kibana.yml", """
server.host: "0.0.0.0"
server.publicBaseUrl: "https://kibana.acme-corp.net"
elasticsearch.hosts: ["https://es01.internal:9200", "https://es02.internal:9200"]
elasticsearch.username: "kibana_system"
elasticsearch.password: "«P('generic-password', pw())»"
xpack.encryptedSavedObjects.encryptionKey: "«P('generic-secret', hx(32))»"
xpack.security.encryptionKey: "«P('generic-secret', rs(32))»"
xpack.reporting.encryptionKey: "«N('placeholder', 'something_at_least_32_characters')»"
elasticsearch.ssl.certificateAuthorities: ["/etc/kibana/certs/ca.crt"]
""")
    W(d + "nginx/.htpasswd", """
admin:«N('password-hash', apr1())»
metrics:«N('password-hash', bcrypt().replace('$2b$', '$2y$'))»
""")
    W(d + "nginx/sites-enabled/shop.conf", """
server {
    listen 443 ssl http2;
    server_name shop.acme.com;

    ssl_certificate     /etc/letsencrypt/live/shop.acme.com/fullchain.pem;
    ssl_certificate_key /etc/letsencrypt/live/shop.acme.com/privkey.pem;

    add_header Content-Security-Policy "script-src 'self' '«N('csp-hash', 'sha256-' + b64(rb(32)))»'" always;

    location /admin/ {
        auth_basic "restricted";
        auth_basic_user_file /etc/nginx/.htpasswd;
        proxy_pass http://shop_admin;
    }

    location /internal/metrics {
        proxy_set_header Authorization "Basic «P('http-basic-auth-header', b64('metrics:' + pw()))»";
        proxy_pass http://10.40.1.20:9100/metrics;
    }

    location / {
        proxy_pass http://shop_upstream;
        proxy_set_header X-Request-Id $request_id;
    }
}
""")
    W(d + "tls/shop.acme.com.crt", """
«certificate()»
«certificate()»
""")
    W(d + "tls/shop.acme.com.key", "«ec_key()»\n")
    W(d + "tls/saml-idp.pem", """
# SAML signing key for the Okta app (prod). Cert is in saml-idp.crt.
«pkcs8_key()»
""")
    W(d + "tls/jwt-signing.pub", "«public_key_pem()»\n")
    W(d + "tls/apns-auth-key.p8", "«ec_pkcs8_key()»\n")
    W(d + "supervisor/supervisord.conf", """
[unix_http_server]
file=/var/run/supervisor.sock
chmod=0700

[inet_http_server]
port=127.0.0.1:9001
username=admin
password=«P('generic-password', pw())»

[program:worker]
command=/opt/acme/bin/worker --queue default
autorestart=true
environment=DATABASE_URL="postgres://worker:«P('postgres-uri-password', upw())»@legacy-db.internal:5432/monolith",RAILS_ENV="production"
""")
    W(d + "backup/restic.env", """
export RESTIC_REPOSITORY=s3:s3.eu-west-1.amazonaws.com/acme-backups-restic
export RESTIC_PASSWORD=«P('generic-password', pw())»
export AWS_ACCESS_KEY_ID=«P('aws-access-key-id', aws_id())»
export AWS_SECRET_ACCESS_KEY=«P('aws-secret-key', aws_secret())»
export AGE_RECIPIENT=«N('public-key', 'age1' + rs(58, 'qpzry9x8gf2tvdw0s3jn54khce6mua7l'))»
""")
    W(d + "backup/age-identity.txt", """
# created: 2024-02-11T09:14:51+01:00
# public key: «N('public-key', 'age1' + rs(58, 'qpzry9x8gf2tvdw0s3jn54khce6mua7l'))»
«P('age-secret-key', age_key())»
""")
    W(d + "backup/pg_dump_all.sh", """
#!/usr/bin/env bash
# nightly logical backup of the reporting DBs
set -euo pipefail
export PGPASSWORD='«P('generic-password', pw())»'
for db in reports metabase; do
  pg_dump -h reporting.acme-corp.net -U backup -Fc "$db" > "/backups/${db}-$(date +%F).dump"
done
mongodump --uri "mongodb+srv://backup:«P('mongodb-uri-password', upw())»@cluster0.«rs(5, LO + DG)».mongodb.net/events" --out /backups/mongo-$(date +%F)
aws s3 sync /backups s3://acme-backups-logical/ --storage-class STANDARD_IA
""")
    W(d + "monitoring/dynatrace/oneagent.env", """
DT_TENANT=«rs(8, LO + DG)»
DT_API_URL=https://«rs(8, LO + DG)».live.dynatrace.com/api
DT_API_TOKEN=«P('dynatrace-api-token', dynatrace())»
DT_PAAS_TOKEN=«N('placeholder', 'dt0c01.XXXXXXXXXXXXXXXXXXXXXXXX.XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX')»
""")


# ======================================================================================
# more repos: python SDK, marketing site, edge worker, ops scripts, runner config
# ======================================================================================
def python_sdk():
    d = "acme-python-sdk/"
    W(d + ".github/workflows/release.yml", """
name: release
on:
  release:
    types: [published]

jobs:
  pypi:
    runs-on: ubuntu-latest
    environment: pypi
    permissions:
      id-token: write
    steps:
      - uses: actions/checkout@«N('git-sha', gitsha())»
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - run: pipx run build
      - uses: pypa/gh-action-pypi-publish@«N('git-sha', gitsha())»

  docker:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Log in to Docker Hub
        run: echo "«P('dockerhub-pat', dckr())»" | docker login -u acmebuild --password-stdin
      - run: docker build -t acmecorp/acme-cli:${{ github.ref_name }} . && docker push acmecorp/acme-cli:${{ github.ref_name }}
      - name: Publish to internal Artifactory
        env:
          JFROG_API_KEY: «P('jfrog-api-key', jfrog_key())»
          NETLIFY_AUTH_TOKEN: «N('ci-secret-ref', '${{ secrets.NETLIFY_AUTH_TOKEN }}')»
        run: |
          curl -H "X-JFrog-Art-Api: $JFROG_API_KEY" -T dist/*.whl https://acme.jfrog.io/artifactory/pypi-local/acme-sdk/
""")
    W(d + "tests/cassettes/test_list_repos.yaml", """
interactions:
- request:
    body: null
    headers:
      Accept:
      - application/vnd.github+json
      Authorization:
      - token «P('github-user-to-server-token', gh('ghu_'))»
      User-Agent:
      - acme-sdk/1.11.0
    method: GET
    uri: https://api.github.com/user/repos?per_page=100
  response:
    body:
      string: '[{"id":«dg(9)»,"node_id":"«N('identifier', 'R_kgDO' + rs(8, URLSAFE))»","name":"acme-sdk","private":false}]'
    headers:
      ETag:
      - W/"«N('etag', hx(64))»"
      X-GitHub-Request-Id:
      - «HX(4)»:«HX(6)»:«HX(7)»:«HX(7)»:«HX(8)»
    status:
      code: 200
      message: OK
version: 1
""")
    W(d + "tests/cassettes/test_create_order.yaml", """
interactions:
- request:
    body: '{"sku": "TEE-001", "quantity": 2}'
    headers:
      Authorization:
      - «N('redacted', 'Bearer <REDACTED>')»
      Content-Type:
      - application/json
      Idempotency-Key:
      - «N('uuid', uid())»
    method: POST
    uri: https://api.acme-corp.com/v2/orders
  response:
    body:
      string: '{"id": "ord_«rs(20)»", "status": "pending", "client_secret": "«N('redacted', 'REDACTED')»"}'
    headers:
      Set-Cookie:
      - «N('redacted', 'session=FILTERED; Path=/; HttpOnly')»
    status:
      code: 201
      message: Created
version: 1
""")
    W(d + "tests/cassettes/test_github_app.yaml", """
interactions:
- request:
    body: '{}'
    headers:
      Authorization:
      - Bearer «P('github-app-installation-token', gh('ghs_'))»
      Accept:
      - application/vnd.github+json
    method: POST
    uri: https://api.github.com/repos/acme-corp/acme-sdk/check-runs
  response:
    body:
      string: '{"id":«dg(11)»,"head_sha":"«N('git-sha', gitsha())»","status":"queued"}'
    status:
      code: 201
      message: Created
version: 1
""")
    W(d + "dist/SHA256SUMS", """
«N('sha256-digest', hx(64))»  acme_sdk-1.12.0-py3-none-any.whl
«N('sha256-digest', hx(64))»  acme_sdk-1.12.0.tar.gz
""")


def marketing_site():
    d = "marketing-site/"
    W(d + ".env.local", """
NEXT_PUBLIC_SITE_URL=https://www.acme-corp.com
NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY=«N('public-by-design', 'pk_live_' + b64('clerk.acme-corp.com$'))»
CLERK_SECRET_KEY=«P('clerk-secret-key', clerk())»
CONTENTFUL_SPACE_ID=«rs(12, LO + DG)»
CONTENTFUL_DELIVERY_TOKEN=«P('contentful-delivery-token', rs(43, URLSAFE))»
CONTENTFUL_PREVIEW_TOKEN=«P('contentful-preview-token', rs(43, URLSAFE))»
RESEND_API_KEY=«P('resend-api-key', resend())»
NEXT_PUBLIC_POSTHOG_KEY=«N('public-by-design', 'phc_' + rs(43))»
NEXT_PUBLIC_GA_ID=«N('identifier', 'G-' + rs(10, UP + DG))»
README_API_KEY=«P('readme-api-key', readme())»
""")
    W(d + "netlify.toml", """
[build]
  command = "next build"
  publish = ".next"

[build.environment]
  NODE_VERSION = "20"
  NEXT_TELEMETRY_DISABLED = "1"
  # needed by the netlify-plugin-cache-purge; TODO move to UI env vars
  NETLIFY_AUTH_TOKEN = "«P('netlify-token', netlify())»"

[[plugins]]
  package = "@netlify/plugin-nextjs"
""")

def edge_worker():
    d = "edge-worker/"
    W(d + "wrangler.toml", """
name = "acme-edge"
main = "src/index.ts"
compatibility_date = "2024-05-29"
account_id = "«N('identifier', hx(32))»"

kv_namespaces = [
  { binding = "SESSIONS", id = "«N('identifier', hx(32))»", preview_id = "«N('identifier', hx(32))»" }
]

[vars]
ENVIRONMENT = "production"
ORIGIN = "https://origin.acme-corp.com"
# should be `wrangler secret put`, left here by mistake
UPSTASH_REDIS_REST_TOKEN = "«P('upstash-redis-token', 'A' + rs(3, UP) + 'ASQgN' + rs(60, URLSAFE))»"
TURNSTILE_SECRET_KEY = "«P('cloudflare-turnstile-secret', '0x4AAAAAAA' + rs(24, URLSAFE))»"
TURNSTILE_SITE_KEY = "«N('public-by-design', '0x4AAAAAAA' + rs(12, URLSAFE))»"
""")
    W(d + "src/index.ts", """
export interface Env {
  SESSIONS: KVNamespace;
  ORIGIN: string;
  TURNSTILE_SECRET_KEY: string;
  UPSTASH_REDIS_REST_TOKEN: string;
}

const PUSH_SERVER_KEY = "«P('firebase-fcm-server-key', fcm_key())»";

export default {
  async fetch(req: Request, env: Env): Promise<Response> {
    const url = new URL(req.url);
    if (url.pathname === "/notify") {
      const body = await req.text();
      return fetch("https://fcm.googleapis.com/fcm/send", {
        method: "POST",
        headers: { Authorization: `key=${PUSH_SERVER_KEY}`, "Content-Type": "application/json" },
        body,
      });
    }
    const session = req.headers.get("cookie")?.match(/sid=([^;]+)/)?.[1];
    if (session && !(await env.SESSIONS.get(session))) {
      return new Response("unauthorized", { status: 401 });
    }
    return fetch(new Request(env.ORIGIN + url.pathname + url.search, req));
  },
};
""")


def ops_scripts():
    d = "ops-scripts/"
    W(d + "oss_mirror.py", '''
#!/usr/bin/env python3
"""Mirror the China storefront assets bucket (Alibaba OSS) to S3."""
import oss2

ACCESS_KEY_ID = "«P('alibaba-access-key-id', alibaba_id())»"
ACCESS_KEY_SECRET = "«P('alibaba-access-key-secret', rs(30))»"
ENDPOINT = "https://oss-cn-shanghai.aliyuncs.com"

auth = oss2.Auth(ACCESS_KEY_ID, ACCESS_KEY_SECRET)
bucket = oss2.Bucket(auth, ENDPOINT, "acme-cn-assets")

for obj in oss2.ObjectIterator(bucket, prefix="img/"):
    print(obj.key, obj.etag)
''')
    W(d + "dropbox_archive.py", '''
import sys

import dropbox

# long-lived token for the finance archive app
dbx = dropbox.Dropbox("«P('dropbox-access-token', dropbox())»")

for path in sys.argv[1:]:
    with open(path, "rb") as fh:
        dbx.files_upload(fh.read(), f"/Finance/Archive/{path.rsplit('/', 1)[-1]}")
''')
    W(d + "newrelic_deploy_marker.sh", """
#!/usr/bin/env bash
# usage: newrelic_deploy_marker.sh <app-id> <revision>
set -euo pipefail
NEW_RELIC_API_KEY="${NEW_RELIC_API_KEY:-«P('newrelic-user-api-key', nrak())»}"
curl -sS https://api.eu.newrelic.com/graphql \\
  -H "API-Key: ${NEW_RELIC_API_KEY}" \\
  -H 'Content-Type: application/json' \\
  -d "{\\"query\\":\\"mutation { changeTrackingCreateDeployment(deployment: {version: \\\\\\"$2\\\\\\", entityGuid: \\\\\\"$1\\\\\\"}) { deploymentId } }\\"}"
""")
    W(d + "prefect/profiles.toml", """
active = "acme-cloud"

[profiles.local]
PREFECT_API_URL = "http://127.0.0.1:4200/api"

[profiles.acme-cloud]
PREFECT_API_URL = "https://api.prefect.cloud/api/accounts/«uid()»/workspaces/«uid()»"
PREFECT_API_KEY = "«P('prefect-api-key', prefect())»"
""")
    W(d + "render/deploy.sh", """
#!/bin/sh
# Trigger a deploy of the status page on Render
RENDER_API_KEY=«P('render-api-key', render_key())»
SERVICE_ID=srv-«rs(20, LO + DG)»
curl -s -X POST "https://api.render.com/v1/services/$SERVICE_ID/deploys" \\
  -H "Authorization: Bearer $RENDER_API_KEY" -H "Accept: application/json"
""")
    W(d + "planetscale/.env", """
DATABASE_HOST=aws.connect.psdb.cloud
DATABASE_USERNAME=«rs(12, LO + DG)»
DATABASE_PASSWORD=«P('planetscale-password', pscale_pw())»
DATABASE_URL=mysql://«rs(12, LO + DG)»:«P('planetscale-password', pscale_pw())»@aws.connect.psdb.cloud/inventory?sslaccept=strict
PLANETSCALE_SERVICE_TOKEN_ID=«rs(12, LO + DG)»
PLANETSCALE_SERVICE_TOKEN=«P('planetscale-service-token', pscale_tkn())»
""")
    W(d + "doppler/doppler.yaml", """
setup:
  - project: shop-api
    config: prd
    path: ../shop-api
# personal token used by the migration script; service tokens are per-config
token: «P('doppler-token', doppler())»
""")
    W(d + "shipping/labels.py", '''
import easypost
import requests

easypost_client = easypost.EasyPostClient("«P('easypost-api-key', easypost())»")
LOB_API_KEY = "«P('lob-api-key', lob())»"
FLUTTERWAVE_SECRET = "«P('flutterwave-secret-key', flutterwave())»"


def buy_label(shipment_id: str):
    shipment = easypost_client.shipment.retrieve(shipment_id)
    return easypost_client.shipment.buy(shipment.id, rate=shipment.lowest_rate())


def send_postcard(to_address: dict, front_html: str):
    return requests.post("https://api.lob.com/v1/postcards", auth=(LOB_API_KEY, ""),
                         data={"to": to_address, "front": front_html, "back": "<html>Thanks!</html>"})
''')
    W(d + "gitlab-runner/config.toml", """
concurrent = 8
check_interval = 0
shutdown_timeout = 0

[session_server]
  session_timeout = 1800

[[runners]]
  name = "k8s-runner-prod"
  url = "https://gitlab.acme-corp.net"
  id = 57
  token = "«P('gitlab-runner-token', glrt())»"
  token_obtained_at = 2024-03-02T10:22:41Z
  token_expires_at = 0001-01-01T00:00:00Z
  executor = "kubernetes"
  [runners.cache]
    Type = "gcs"
    Path = "runner-cache"
    Shared = true
    [runners.cache.s3]
      ServerAddress = "storage.googleapis.com"
      AccessKey = "«P('gcs-hmac-access-id', gcs_hmac_id())»"
      SecretKey = "«P('gcs-hmac-secret', rs(40, B64CS))»"
      BucketName = "acme-runner-cache"
  [runners.kubernetes]
    namespace = "gitlab-runner"
    image = "alpine:3.20"
""")
    W(d + "gitlab/feeds.md", """
# Subscribing to project activity in your reader

Use the Atom feed with your feed token, e.g. (mine, ops-bot):

    https://gitlab.acme-corp.net/acme/platform.atom?feed_token=«P('gitlab-feed-token', glft())»

Personal access tokens (`glpat-...`) must never be used in feed URLs.
Ops bot API token for the changelog generator: `«P('gitlab-pat', glpat())»`.
""")


NEG_WHY = {
    "lockfile-integrity": "sha512/sha256 integrity & hash pins in package-lock.json, yarn.lock, requirements.txt --hash, Gemfile.lock CHECKSUMS, .terraform.lock.hcl (h1:/zh:), composer content-hash",
    "lockfile-sha1": "yarn.lock resolved-URL #sha1 fragments",
    "go-sum-hash": "go.sum h1: module hashes (base64 of 32 bytes)",
    "cargo-checksum": "Cargo.lock checksum = 64 hex",
    "git-sha": "commit SHAs: pinned GitHub Actions, module ?ref=, gitHead, CHANGELOG references, build ids",
    "image-digest": "container image digests sha256:<64 hex>",
    "sha256-digest": "checksums / config checksums / SHA256SUMS / row hashes / Helm digests",
    "uuid": "request ids, tenant/client ids, UserSecretsId, KMS key ids",
    "identifier": "non-secret identifiers next to secrets: Twilio Account SID, Algolia app id, Braintree merchant/public key, PayPal client id, Cloudflare zone/account ids, GitHub App client id, AWS account ids/ARNs, KV namespace ids, GA ids",
    "public-by-design": "publishable/client-side values: Stripe pk_live_, Supabase anon JWT, Google OAuth client ids, reCAPTCHA/Turnstile site keys, Mapbox pk., Algolia search-only key, LaunchDarkly client-side id, Pusher key, Clerk publishable key, PostHog phc_, Discord app public key, Azurite devstoreaccount1 emulator key",
    "doc-example-key": "vendor documentation examples: AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, AKIAI44QH8DHBEXAMPLE, sk_test_4eC39HqLyjWDarjtT1zdp7dc, pk_test_TYooMQauvdEDq54NiTphI7jx, jwt.io sample token, Slack 'xoxb-not-a-real-token-this-will-not-work', redis.conf 'foobared'",
    "placeholder": "YOUR_API_KEY, <token>, xxxx..., changeme, REPLACE_ME, password_here, 'put your unique phrase here', ghp_000..., sk_test_..., etc.",
    "interpolation": "${SECRET}, ${STRIPE_SECRET_KEY}, %(password)s, $__env{...}",
    "template-expr": "{{ .Values.db.password | b64enc }}, {{ vault_db_password }}, <%= ENV[...] %>, Postman {{access_token}}",
    "env-lookup": "os.environ[...], os.getenv, process.env.X, System.getenv, ENV.fetch, Environment.GetEnvironmentVariable, std::env::var, os.Getenv, import.meta.env, Configuration[...]",
    "ci-secret-ref": "${{ secrets.X }}, $(System.AccessToken), credentials('id'), $CI_REGISTRY_USER, $DOCKERHUB_PASSWORD",
    "k8s-secret-ref": "secretKeyRef names",
    "secret-manager-ref": "1Password op:// references, Vault agent inject paths",
    "terraform-ref": "var.db_password, random_password.x.result, var.client_secret",
    "field-name": "password *names* without values: password: \"\", name=\"password\", i18n 'Password', CSRF cookie name, secret names/paths",
    "dev-default": "well-known local defaults: postgres/postgres, minioadmin, changeit, Grafana default secret_key, monolith",
    "localhost-dev-uri": "postgres://postgres:postgres@localhost..., redis://localhost, amqp://guest:guest@localhost, UseDevelopmentStorage=true, (localdb)",
    "redacted": "****, [REDACTED], <REDACTED>, masked tokens such as ghp_**** / AKIA****",
    "truncated-token": "token prefixes or shortened tokens in prose/logs (sk_live_51Hx…, ghp_4f…, first 14/30 chars of a ghp_ token)",
    "github-bad-checksum": "ghp_/gho_/ghs_/ghu_/npm_ tokens of correct shape whose last checksum character was altered",
    "encrypted": "jasypt ENC(...), Pulumi secure: v1:..., Travis secure:, Rails credentials.yml.enc, SOPS KMS blob, rclone crypt password",
    "sops-encrypted": "SOPS ENC[AES256_GCM,data:...,iv:...,tag:...,type:str]",
    "sealed-secret": "Bitnami SealedSecret encryptedData",
    "ansible-vault": "$ANSIBLE_VAULT;1.1;AES256 blocks",
    "password-hash": "bcrypt $2b$/$2y$, argon2id, Django pbkdf2_sha256, htpasswd $apr1$, ASP.NET Identity v3 hash, legacy MD5 hex",
    "certificate": "BEGIN CERTIFICATE blocks, base64 certs in kubeconfig/tls.crt",
    "public-key": "BEGIN PUBLIC KEY, age1... recipients",
    "pgp-public-key": "BEGIN PGP PUBLIC KEY BLOCK",
    "ssh-public-key": "ssh-ed25519 / ssh-rsa public keys in .pub and known_hosts",
    "hashed-hostname": "known_hosts |1|salt|hash entries",
    "k8s-nonsecret-field": "base64 username/host inside a Secret (not credentials)",
    "test-fixture": "values explicitly named fake/dummy/test in tests, zero-filled keys, whsec_test_000...",
    "test-vector": "published crypto test vectors (RFC 4231, NIST SP 800-38A)",
    "high-entropy-test-value": "nonces, CSRF/session samples, salts, webhook signature examples",
    "minified-js-identifier": "random-looking identifiers and base64 strings in a minified bundle (some have the exact shape of a 40-char AWS secret)",
    "base64-image": "data:image/png;base64 URIs (favicon, SVG, notebook output)",
    "base64-font": "data:font/woff2;base64 URIs",
    "csp-hash": "Content-Security-Policy 'sha256-...'/'sha384-...' sources",
    "subresource-integrity": "<script integrity=\"sha384-...\"> SRI attributes",
    "etag": "ETag header in a VCR cassette",
}


def write_notes(kinds, cats):
    by_dir = collections.Counter(f.split("/")[0] for f in FILES)
    pos_files = {r["path"] for r in MANIFEST}
    lines = []
    a = lines.append
    a("# keytrail evaluation corpus")
    a("")
    a(f"* `tree/`: **{len(FILES)} files** laid out as {len(by_dir)} small application/infra repositories "
      f"({len(pos_files)} files contain at least one planted secret, {len(FILES) - len(pos_files)} contain only look-alikes / ordinary content).")
    a(f"* `manifest.jsonl`: **{len(MANIFEST)} planted secrets** across **{len(kinds)} kinds** "
      "(one JSON object per secret: path, 1-based line, exact secret string, kind).")
    a(f"* `negatives.jsonl`: **{len(NEGATIVES)} recorded look-alikes** in {len(cats)} categories "
      "(bookkeeping only; NOT part of the ground truth. Precision = findings that match manifest entries / all findings).")
    a("* `gen.py`: the generator (Python `random.Random(73129)`, re-running reproduces the tree byte for byte).")
    a("* `validate.py`: re-reads every manifest entry and asserts the secret occurs on the stated line; also checks "
      "GitHub/npm token checksums, uniqueness, that no look-alike equals a planted secret, and that no generator markers leaked.")
    a("")
    a("## How the fake values were generated")
    a("")
    a("Every credential value is produced by `gen.py` from a seeded `random.Random`; nothing was copied from real leaks "
      "or from other scanners' test data, and no scanner rules were consulted. Templates embed values as "
      "`P(kind, value)` (positive) or `N(category, value)` (negative) markers; `emit()` strips the markers and records the "
      "line of each value, so manifest line numbers are exact by construction.")
    a("")
    a("Formats follow the publicly known shapes of current tokens (prefix, length, charset):")
    a("")
    for t in [
        "AWS: `AKIA`/`ASIA` + 16 base32-upper; secret 40 chars `[A-Za-z0-9+/]`; session tokens `IQoJb3JpZ2luX2Vj...` / `FwoGZXIvYXdzE...`.",
        "GitHub classic `ghp_/gho_/ghu_/ghs_` and npm `npm_`: 30 random base62 chars + 6-char checksum = base62 (alphabet 0-9A-Za-z) of CRC32 of the 30 random chars, left-padded with `0`. All planted ones verify; `github-bad-checksum` negatives do not.",
        "Fine-grained `github_pat_11` + 20 + `_` + 59; GitLab `glpat-`/`glrt-`/`gldt-`/`glft-` + 20, `glptt-` + 40 hex.",
        "Slack `xoxb-`/`xoxp-`/`xapp-1-A…`, webhooks `https://hooks.slack.com/services/T…/B…/<24>`; Discord bot tokens = base64(snowflake).6.38 and `discord.com/api/webhooks/<19 digits>/<68>`; Telegram `<9-10 digits>:AA<33>`.",
        "Stripe `sk_live_51…`/`sk_live_`+24, `rk_live_51…`, `whsec_`+32; SendGrid `SG.<22>.<43>`; Mailgun `key-`+32 hex; Mailchimp 32 hex + `-usN`; Brevo `xkeysib-`/`xsmtpsib-`; Shopify `shpat_`/`shpss_`+32 hex; Square `EAAA…`/`sq0csp-`; Braintree `access_token$production$…`.",
        "OpenAI `sk-proj-…T3BlbkFJ…`, `sk-svcacct-…`, legacy `sk-<20>T3BlbkFJ<20>`; Anthropic `sk-ant-api03-<93>AA` / `sk-ant-admin01-`; `hf_`, `r8_`, `gsk_`, `pplx-`, `sk-or-v1-`, `xai-`, `lsv2_pt_`, `pcsk_`.",
        "Google `AIzaSy`+33, `GOCSPX-`+28, `ya29.`/`1//0` OAuth tokens, service-account JSON with PKCS#8 key; Azure storage AccountKey (base64 of 64 bytes), SAS `sig=` (URL-encoded base64), AAD client secret `xxx8Q~…` (40), Azure DevOps PAT (52 base32-lower and 84-char `…AZDO…`), Service Bus SharedAccessKey.",
        "`dop_v1_`, `HRKU-AA…`, Cloudflare API token (40), global key (37 hex), origin CA `v1.0-…`; `dapi`+32 hex; `sbp_`; `pscale_pw_`/`pscale_tkn_`; `hvs.`; `<14>.atlasv1.<67>`; `pul-`; `dp.pt.`/`dp.st.prd.`; `AKCp8…`, JFrog reference token `cmVmdGtu…`; `dckr_pat_`; `pypi-AgEIcHlwaS5vcmc…`/`pypi-AgENdGVzdC5weXBpLm9yZw…`; `rubygems_`; `oy2`; `cio`; `ATATT3xFfGF0…=<8 hex>`; `ATBB`.",
        "Private keys: PEM with realistic DER prefixes (`MIIEowIBAAKCAQEA` PKCS#1 RSA, `MIIEvQIBADANBgkqhkiG9w0BAQEFAASC…` PKCS#8, `MHcCAQEEI` SEC1 EC, `MIGHAgEAMBMGByqGSM49…` PKCS#8 EC, `b3BlbnNzaC1rZXktdjE…` OpenSSH) followed by random base64; PGP armored private block; PuTTY v3 `.ppk`.",
        "JWTs: real base64url header/payload JSON with random 32-byte (HS256) or 256-byte (RS256) signatures; Kubernetes service-account tokens carry the usual claims.",
        "Generic passwords: 16-28 random chars from letters/digits/`!@%^*-_+=.~?` or word-ish leetspeak like `H4rb0r!quartz4821~Kq`; URI passwords use URI-safe chars only; XML/connection-string passwords avoid `&<;`.",
    ]:
        a("* " + t)
    a("")
    a("## Labelling conventions")
    a("")
    for t in [
        "`line` is the 1-based line where the secret starts. For private keys `secret` is the first line (`-----BEGIN … PRIVATE KEY-----`, or `PuTTY-User-Key-File-3: ssh-ed25519`); the same header string therefore repeats across several entries (the only allowed duplicates).",
        "Private keys embedded in JSON (service-account files, notebooks) are on one line with `\\n` escapes; the entry points at that line with kind `gcp-service-account`.",
        "URI credentials (`postgres://`, `mysql://`, `mongodb+srv://`, `redis://`, `amqp(s)://`, https basic auth, JDBC `password=`, libpq `password=`): `secret` is the password part only. Sentry DSNs: `secret` is the 32-hex key in the user position.",
        "Base64-wrapped credentials are listed as the encoded string as it appears: k8s `Secret.data` values (`k8s-secret-value`, incl. a `.dockerconfigjson` and a `tls.key`), docker `config.json` `auth`, `.npmrc` `_auth`, an nginx `Authorization: Basic` header, kubeconfig `client-key-data`.",
        "Inside one k8s Secret, non-credential fields (`username`, `host`) and `tls.crt` are negatives.",
        "Commented-out credentials and hard-coded fallbacks (`process.env.X || \"literal\"`, `os.getenv(\"X\", \"literal\")`) are positives: they are real exposures.",
        "Tokens without a distinctive prefix (Datadog, Twilio auth token, PagerDuty, Cohere, Zendesk, Algolia admin, Percy, W&B, Codecov/Heroku/Snyk/Opsgenie/Cypress UUIDs, Salesforce security token, GCS HMAC secret, ...) are positives that are only recognisable from the variable name/context; they measure context-aware recall.",
        "Identifiers next to secrets (Twilio Account SID, Algolia app id, Braintree merchant id/public key, PayPal client id, Azure tenant/client id, account/zone ids) are NOT secrets.",
        "Public-by-design values are negatives (Stripe `pk_live_`, Supabase **anon** JWT vs. the positive `service_role` JWT, Google OAuth client ids, reCAPTCHA/Turnstile site keys, Mapbox `pk.` vs. positive `sk.`, Algolia search-only key, Clerk publishable key, Azurite's well-known emulator key). Firebase web `apiKey` is deliberately absent (debatable either way).",
        "A Sentry DSN appears only in server-side configs (always positive), never in the frontend bundle, to keep its labelling consistent.",
    ]:
        a("* " + t)
    a("")
    a("## Positives by kind")
    a("")
    a("| kind | count |")
    a("|------|------:|")
    for k, c in sorted(kinds.items(), key=lambda x: (-x[1], x[0])):
        a(f"| {k} | {c} |")
    a(f"| **total** | **{sum(kinds.values())}** |")
    a("")
    a("## Negatives (look-alikes) included and why")
    a("")
    a("Counts are of values recorded in `negatives.jsonl`. The tree also contains many unrecorded ordinary "
      "high-entropy strings (Stripe object ids `pi_…`/`evt_…`, UUIDs in CSV fixtures, request ids, hex key ids).")
    a("")
    a("| category | count | what / why it must not be reported |")
    a("|----------|------:|------------------------------------|")
    for k, c in sorted(cats.items(), key=lambda x: (-x[1], x[0])):
        a(f"| {k} | {c} | {NEG_WHY.get(k, '')} |")
    a(f"| **total** | **{sum(cats.values())}** | |")
    a("")
    a("## Files per top-level repository")
    a("")
    for k, c in sorted(by_dir.items()):
        npos = sum(1 for r in MANIFEST if r["path"].startswith(k + "/"))
        a(f"* `{k}/`: {c} files, {npos} planted secrets")
    a("")
    with open(os.path.join(ROOT, "NOTES.md"), "w") as fh:
        fh.write("\n".join(lines))


# ======================================================================================
# main
# ======================================================================================
SECTIONS = [shop_api, billing_service, data_platform, infra, k8s, ansible, go_gateway, rust_worker,
            dotnet_portal, rails_app, php_site, storefront, android, dotfiles, docs, community_bot,
            ml_service, support_tools, ci_configs, ops_configs, python_sdk, marketing_site, edge_worker,
            ops_scripts]


def main():
    if os.path.isdir(TREE):
        shutil.rmtree(TREE)
    os.makedirs(TREE)
    for fn in SECTIONS:
        fn()
    MANIFEST.sort(key=lambda r: (r["path"], r["line"]))
    with open(os.path.join(ROOT, "manifest.jsonl"), "w") as fh:
        for r in MANIFEST:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    with open(os.path.join(ROOT, "negatives.jsonl"), "w") as fh:
        for r in NEGATIVES:
            r = {"path": r["path"], "line": r["line"], "value": r["secret"], "category": r["kind"]}
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    kinds = collections.Counter(r["kind"] for r in MANIFEST)
    cats = collections.Counter(r["kind"] for r in NEGATIVES)
    assert not (set(cats) - set(NEG_WHY)), set(cats) - set(NEG_WHY)
    write_notes(kinds, cats)
    print(f"files={len(FILES)} positives={len(MANIFEST)} kinds={len(kinds)} negatives={len(NEGATIVES)} neg_categories={len(cats)}")
    return kinds, cats


if __name__ == "__main__":
    main()
