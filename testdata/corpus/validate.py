#!/usr/bin/env python3
"""Validate the keytrail evaluation corpus.

Checks, for every manifest entry:
  * the path exists under tree/
  * `line` is within the file and the exact `secret` string occurs on that line
  * kind / secret are non-empty
Additional consistency checks:
  * secrets are unique (a secret value is planted once)
  * GitHub-style tokens (ghp_/gho_/ghu_/ghs_/ghr_/npm_) in the manifest carry a valid CRC32/base62 checksum,
    and those listed as `github-bad-checksum` negatives do NOT
  * no negative look-alike (negatives.jsonl) is identical to a planted secret
  * no generator markers leaked into tree/
Prints counts by kind, by negative category and the number of files.  Exit status 1 on any failure.
"""
import collections
import json
import os
import sys
import zlib

ROOT = os.path.dirname(os.path.abspath(__file__))
TREE = os.path.join(ROOT, "tree")
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
GH_PREFIXES = ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "npm_")


def b62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


def gh_checksum_ok(tok):
    body, cs = tok[4:34], tok[34:]
    return len(tok) == 40 and b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0") == cs


def find_gh_tokens(s):
    out = []
    for p in GH_PREFIXES:
        i = s.find(p)
        while i != -1:
            cand = s[i:i + 40]
            if len(cand) == 40 and cand[4:].isalnum():
                out.append(cand)
            i = s.find(p, i + 1)
    return out


def main():
    errors = []
    files = []
    for dp, _, fns in os.walk(TREE):
        for fn in fns:
            files.append(os.path.relpath(os.path.join(dp, fn), TREE))
    cache = {}

    def lines_of(path):
        if path not in cache:
            with open(os.path.join(TREE, path), encoding="utf-8") as fh:
                cache[path] = fh.read().split("\n")
        return cache[path]

    manifest = [json.loads(l) for l in open(os.path.join(ROOT, "manifest.jsonl"), encoding="utf-8") if l.strip()]
    for i, r in enumerate(manifest, 1):
        for k in ("path", "line", "secret", "kind"):
            if k not in r or r[k] in ("", None):
                errors.append(f"entry {i}: missing {k}: {r}")
        p = os.path.join(TREE, r["path"])
        if not os.path.isfile(p):
            errors.append(f"entry {i}: path does not exist: {r['path']}")
            continue
        ls = lines_of(r["path"])
        if not (1 <= r["line"] <= len(ls)):
            errors.append(f"entry {i}: line {r['line']} out of range for {r['path']}")
            continue
        if r["secret"] not in ls[r["line"] - 1]:
            errors.append(f"entry {i}: secret not on {r['path']}:{r['line']}: {r['secret'][:40]}")
        if r["kind"].startswith("github") or r["kind"] in ("npm-token", "git-credentials", "netrc-password"):
            for tok in find_gh_tokens(r["secret"]):
                if not gh_checksum_ok(tok):
                    errors.append(f"entry {i}: bad GitHub-style checksum on planted token {tok}")

    # private-key entries use the (shared) BEGIN header as `secret`, so they are exempt from uniqueness
    dup = [s for s, c in collections.Counter(r["secret"] for r in manifest
                                             if not r["kind"].startswith(("private-key", "gcp-service-account"))).items()
           if c > 1]
    for s in dup:
        errors.append(f"duplicate planted secret: {s[:50]}")

    negs = []
    negp = os.path.join(ROOT, "negatives.jsonl")
    if os.path.exists(negp):
        negs = [json.loads(l) for l in open(negp, encoding="utf-8") if l.strip()]
    secrets = {r["secret"] for r in manifest}
    for r in negs:
        if r["value"] and r["value"] in secrets:
            errors.append(f"negative equals a planted secret: {r}")
        if r["category"] == "github-bad-checksum" and gh_checksum_ok(r["value"]):
            errors.append(f"bad-checksum negative actually verifies: {r['value']}")
        if os.path.isfile(os.path.join(TREE, r["path"])):
            ls = lines_of(r["path"])
            if r["value"] and r["value"].split("\n")[0] not in ls[r["line"] - 1]:
                errors.append(f"negative not at recorded line: {r['path']}:{r['line']}")

    for f in files:
        with open(os.path.join(TREE, f), encoding="utf-8") as fh:
            data = fh.read()
        if any(c in data for c in "\u27e6\u27e7\u241f\u00ab\u00bb"):
            errors.append(f"generator marker left in {f}")

    kinds = collections.Counter(r["kind"] for r in manifest)
    cats = collections.Counter(r["category"] for r in negs)
    print(f"files in tree/        : {len(files)}")
    print(f"files with positives  : {len({r['path'] for r in manifest})}")
    print(f"planted secrets       : {len(manifest)} across {len(kinds)} kinds")
    print(f"recorded look-alikes  : {len(negs)} across {len(cats)} categories")
    print("\npositives by kind:")
    for k, c in sorted(kinds.items(), key=lambda x: (-x[1], x[0])):
        print(f"  {c:4d}  {k}")
    print("\nnegatives by category:")
    for k, c in sorted(cats.items(), key=lambda x: (-x[1], x[0])):
        print(f"  {c:4d}  {k}")
    if errors:
        print(f"\nFAILED: {len(errors)} problem(s)")
        for e in errors[:100]:
            print("  -", e)
        sys.exit(1)
    print("\nOK: every manifest entry verified (path exists, secret on stated line).")


if __name__ == "__main__":
    main()
