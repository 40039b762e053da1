#!/usr/bin/env bash
# Builds the history fixture repository in DIR (fixed authors and dates, so commit ids are stable).
# Every secret below is fake: random characters in the right shape. Tags c1..c12 name the commits.
#
#   c1  alice  config/app.env: GitHub token T1                  (renamed in c3, rotated away in c8)
#   c2  bob    old/creds.py: AWS key pair                       (deleted in c4)
#   c3  carol  rename config/app.env -> config/prod.env
#   c4  bob    delete old/creds.py
#   c5  dave   feature/slack.js: Slack webhook, on branch feature (merged by c7)
#   c6  eve    exp/stripe.env: Stripe key, on branch experiment (never merged)
#   c7  alice  merge feature
#   c8  alice  config/prod.env: T1 rotated to T2
#   c9  frank  tmp/key.pem: EC private key                      (deleted in c10)
#   c10 frank  delete tmp/key.pem
#   c11 grace  docs/a.txt and docs/b.txt: the same npm token in two paths (one blob)
#   c12 heidi  on branch pr: edits config/prod.env (no new secret), adds pr/new.env with T3
set -euo pipefail
dir=${1:?usage: make-history.sh DIR}
rm -rf "$dir"; mkdir -p "$dir"; cd "$dir"
git init -q -b main .
git config user.name fixture; git config user.email fixture@example.invalid
git config commit.gpgsign false; git config tag.gpgsign false
n=0
commit() { # commit AUTHOR MESSAGE TAG
  n=$((n + 1))
  local date="2024-01-$(printf %02d "$n")T10:00:00Z"
  GIT_AUTHOR_NAME="$1" GIT_AUTHOR_EMAIL="$1@acme.example" GIT_AUTHOR_DATE="$date" \
  GIT_COMMITTER_NAME="$1" GIT_COMMITTER_EMAIL="$1@acme.example" GIT_COMMITTER_DATE="$date" \
    git commit -q --allow-empty -m "$2"
  git tag "$3"
}
mkdir -p config old
printf 'APP=web\nGITHUB_TOKEN=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\n' > config/app.env
git add -A; commit alice "add app config" c1
printf 'AWS_ACCESS_KEY_ID = "AKIAZ75PQHPIG4TCLSU6"\nAWS_SECRET_ACCESS_KEY = "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"\n' > old/creds.py
git add -A; commit bob "add aws creds" c2
git mv config/app.env config/prod.env; commit carol "rename config" c3
git rm -q old/creds.py; commit bob "remove aws creds" c4
git checkout -q -b feature
mkdir -p feature; printf 'const hook = "https://hooks.slack.com/services/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";\n' > feature/slack.js
git add -A; commit dave "slack notifications" c5
git checkout -q -b experiment c4
mkdir -p exp; printf 'STRIPE_SECRET_KEY=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\n' > exp/stripe.env
git add -A; commit eve "try stripe" c6
git checkout -q main
n=$((n + 1)); d="2024-01-$(printf %02d "$n")T10:00:00Z"
GIT_AUTHOR_NAME=alice GIT_AUTHOR_EMAIL=alice@acme.example GIT_AUTHOR_DATE="$d" \
GIT_COMMITTER_NAME=alice GIT_COMMITTER_EMAIL=alice@acme.example GIT_COMMITTER_DATE="$d" \
  git merge -q --no-ff -m "merge feature" feature
git tag c7
printf 'APP=web\nGITHUB_TOKEN=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\n' > config/prod.env
git add -A; commit alice "rotate token" c8
mkdir -p tmp; cat > tmp/key.pem <<'PEM'
-----BEGIN EC PRIVATE KEY-----
o4JMw7FLhXttRwWuY++g5zWVWBk1rMBxvkzUYOncta3e1gsgVqs/jj8uZSqCENco
UHJazuIaCqYEQAd4yEDCJJhwNq28AiQgytz/G8ztJn1K80mZ6sq9M2odSVETE7m9
QRKklowzjR34mQ1WKj2bTgE651AZI/1DvvvSvylZFxL/amKx8EcPGYennCm/TkyX
W+zo3f53MSZmDjs4NaNlpLy+o0hLJyNbxGiTndqrxGK5PoFkFzikJaglYlVOcZWf
4NZZqTt++U+Y5oap3NUSUjDalNxIRbp3ilfhUJSdqSmQE11+RdbzkvM4R0kCMBKH
87V4Nqt6s0pXPjgAri7jNbwZzpLGWww2lfS/RcnsDtOJo4aAg2pYtHiUDoDN7P36
a3bG2fjhnBvW7fOB3HyM1L5/toRkSoKcOpo0Z+Bz9btxX2LzTfvCwYNBcjfHSgaU
dnnQEpBp3YJSS7fR7edYio83AXaadUnWLZ+UdpDh1/cXqouLpeBHrMKrhDR3fh0Z
t/RW59YH+QP29cQJnIAhPe+kjjmI0CWGHTHOW5ONQyeAFGsr/hU97LK1N1Wki81z
GOL6FmtiDO9A8tiUWFKe0Wklng8j7yhjqjlpQyG88TjTlUVMbFudoz0yCXoCQajJ
TcE9mb/EstUfbAavQmzwh2aLc7oZfwxYHYDCBjE3fPDAmvbTCDOSRr5XCDqVJt9O
dS1g50RESdkIymFAhykGO6as81vXBP9as8YovG7lsl1qZtsIIdG02IbD6U+98Upm
MUv4ObyPHSpFWuNGuf8UYGZxrDw6eSSW
-----END EC PRIVATE KEY-----
PEM
git add -A; commit frank "add key" c9
git rm -q tmp/key.pem; commit frank "remove key" c10
mkdir -p docs; printf 'registry token: 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\n' > docs/a.txt; cp docs/a.txt docs/b.txt
git add -A; commit grace "docs" c11
git checkout -q -b pr
printf 'APP=web\nGITHUB_TOKEN=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\nREGION=eu\n' > config/prod.env
mkdir -p pr; printf 'NEW_TOKEN=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\n' > pr/new.env
git add -A; commit heidi "pr change" c12
git checkout -q main
