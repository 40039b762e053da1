#!/usr/bin/env bash
# What the full rule catalogue costs: builds keytrail twice from this tree, once with rules/ as
# it is and once with the 31-rule starter set (rules/ at commit 64d950a), then runs both as whole
# processes, interleaved, on each target and prints median wall and CPU times and their ratios.
#
#   benches/catalogue-cost.sh [TARGET...]        (default: /tmp/corpus/moby /tmp/corpus/aws-sdk-go)
#
# Environment: RUNS (counted runs per binary, default 15), THREADS (default 2), GIT=1 to scan
# targets as git histories, STARTER_KEY_UNBOUNDED=1 to build the starter set with its
# private-key rule's 16 KB repetition unbounded. Corpora: ../shared/bench/setup-corpora.sh.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
work=${WORK:-/tmp/keytrail-catalogue-cost}
starter_rules_commit=64d950a
mkdir -p "$work"

echo "building with the full catalogue" >&2
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
cp "$root/target/release/keytrail" "$work/keytrail-full"

echo "building with the starter set (rules/ at $starter_rules_commit)" >&2
rm -rf "$work/tree"
mkdir -p "$work/tree"
(cd "$root" && git ls-files -z | grep -zv '^rules/' | xargs -0 tar -cf - | tar -xf - -C "$work/tree")
(cd "$root" && git archive "$starter_rules_commit" rules | tar -xf - -C "$work/tree")
if [ -n "${STARTER_KEY_UNBOUNDED:-}" ]; then
  # The starter's private-key rule counts up to 16,384 bytes between the armour lines, which is
  # slow to search; this variant leaves the repetition unbounded (the window still bounds it).
  sed -i 's/(?s:.){64,16384}?/(?s-u:.){64,}?/' "$work/tree/rules/structural.toml"
fi
CARGO_TARGET_DIR="$work/target" cargo build --release --quiet --manifest-path "$work/tree/Cargo.toml"
cp "$work/target/release/keytrail" "$work/keytrail-starter"

[ $# -gt 0 ] || set -- /tmp/corpus/moby /tmp/corpus/aws-sdk-go
python3 - "$work" "$@" <<'EOF'
import os, statistics, subprocess, sys, time

work, targets = sys.argv[1], sys.argv[2:]
runs, threads = int(os.environ.get("RUNS", "15")), os.environ.get("THREADS", "2")
git = ["--git"] if os.environ.get("GIT") else []
bins = {"starter": f"{work}/keytrail-starter", "full": f"{work}/keytrail-full"}
print(f"{'target':32} {'starter ms':>11} {'full ms':>9} {'ratio':>6} {'of minimums':>12}"
      f" {'CPU starter':>12} {'CPU full':>9} {'CPU ratio':>10}")
for target in targets:
    walls = {name: [] for name in bins}
    cpus = {name: [] for name in bins}
    for run in range(runs + 1):  # the first round warms the page cache and is not counted
        for name, exe in bins.items():
            cmd = [exe, "scan", "--threads", threads, "--format", "json", "--output", "/dev/null", "-q", *git, target]
            start = time.perf_counter()
            child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            _, _, usage = os.wait4(child.pid, 0)
            if run:
                walls[name].append(time.perf_counter() - start)
                cpus[name].append(usage.ru_utime + usage.ru_stime)
    med = {n: statistics.median(w) * 1e3 for n, w in walls.items()}
    low = {n: min(w) * 1e3 for n, w in walls.items()}
    cpu = {n: statistics.median(c) * 1e3 for n, c in cpus.items()}
    print(f"{target:32} {med['starter']:11.0f} {med['full']:9.0f} {med['full'] / med['starter']:6.2f} "
          f"{low['full'] / low['starter']:12.2f} {cpu['starter']:12.0f} {cpu['full']:9.0f} "
          f"{cpu['full'] / cpu['starter']:10.2f}")
EOF
