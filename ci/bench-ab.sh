#!/usr/bin/env bash
# Interleaved before/after network benchmark of two commits, in the same conditions:
#   bash ci/bench-ab.sh LABEL BEFORE AFTER [RUNS] [RATE]
# Each commit is checked out in a scratch worktree (.bench-ab/tree) and run from its source
# with this checkout's .venv (so both sides use the same dependencies), alternating
# before/after RUNS times: `chainbook bench run --rate RATE --duration 20`. Results go to
# .bench-ab/LABEL/{before,after}-N/run.json; the summary prints committed tx/s, CPU us per
# transaction per node, bytes on disk per transaction and p50 latency of every run.
set -euo pipefail
cd "$(dirname "$0")/.."
label=$1; runs=${4:-3}; rate=${5:-3500}
before=$(git rev-parse --verify "$2^{commit}"); after=$(git rev-parse --verify "$3^{commit}")
root=$PWD; tree=$root/.bench-ab/tree; out=$root/.bench-ab/$label
mkdir -p "$out"
[ -e "$tree/.git" ] || git worktree add --detach "$tree" "$before" >/dev/null
for i in $(seq 1 "$runs"); do
  for side in before after; do
    rev=$([ "$side" = before ] && echo "$before" || echo "$after")
    git -C "$tree" checkout -q --force "$rev"
    echo "$(date +%T) $side $rev run $i, load $(cut -d' ' -f1 /proc/loadavg)" | tee -a "$out/log"
    (cd "$tree" && PYTHONPATH="$tree/src" timeout 300 "$root/.venv/bin/python" -m chainbook \
      bench run --rate "$rate" --duration 20 --out "$out/$side-$i" > "$out/$side-$i.log" 2>&1) \
      || echo "  run failed: $out/$side-$i.log"
  done
done
"$root/.venv/bin/python" - "$out" <<'PY'
import glob, json, statistics, sys
out = sys.argv[1]
for side in ("before", "after"):
    rows = []
    for path in sorted(glob.glob(f"{out}/{side}-*/run.json")):
        step = json.load(open(path))["steps"][0]
        cpu = statistics.mean(step["cpu_us_per_tx_per_node"].values())
        rows.append((step["committed_tps"], cpu, step["bytes_on_disk_per_tx"],
                     step["latency_s"]["p50"]))
    if not rows:
        print(side, "no run finished")
        continue
    print(side, " | ".join(f"{r[0]:.0f} tx/s, {r[1]:.1f} us, {r[2]:.1f} B, p50 {r[3]:.2f} s"
                           for r in rows))
    print(f"  median {statistics.median(r[0] for r in rows):.0f} tx/s, "
          f"{statistics.median(r[1] for r in rows):.1f} us/tx/node")
PY
