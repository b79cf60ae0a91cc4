#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Query latency with big clients, two agents compared in one session (docs/BENCHMARKS.md,
# "Queries with big clients"). Runs shmon_bench_driver --only query against BEFORE and AFTER
# (shmon-agent binaries), alternating, ROUNDS times each, and prints the median over rounds of
# each query kind's p50 (ms), with failed queries and whether the small client was exact.
#   scripts/bench_query.sh BEFORE_AGENT AFTER_AGENT [BIG_CLIENTS=4] [ROUNDS=3] [BUILD_DIR]
set -euo pipefail
before=$1 after=$2 big=${3:-4} rounds=${4:-3} build=${5:-build/release}
out=$(mktemp -d)
for r in $(seq "$rounds"); do
  for which in before after; do
    agent=$before; [ "$which" = after ] && agent=$after
    SHMON_AGENT=$agent "$build/bin/shmon_bench_driver" --only query --big-clients "$big" \
      --out "$out/$which-$r.json" 2>/dev/null || true
  done
done
python3 - "$out" "$rounds" <<'PY'
import json, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
kinds = ["status", "clients", "metric_small", "metrics_all"]
print(f"{'agent':8} " + " ".join(f"{k:>22}" for k in kinds) + "  small_exact  errors")
for which in ("before", "after"):
    runs = []
    for r in range(1, rounds + 1):
        try:
            runs.append(json.load(open(f"{out}/{which}-{r}.json"))["query"])
        except Exception:
            pass
    cells = []
    for k in kinds:
        p50 = [q[k]["p50_ns"] / 1e6 for q in runs if k in q and q[k].get("n")]
        failed = sum(q[k]["failed"] for q in runs if k in q)
        cells.append(f"{statistics.median(p50):10.2f} ms ({failed:2} failed)" if p50 else f"{'-':>10} ms ({failed:2} failed)")
    exact = sum(1 for q in runs if q.get("small_exact"))
    errors = [q["error"] for q in runs if "error" in q] + ["no result"] * (rounds - len(runs))
    print(f"{which:8} " + " ".join(f"{c:>22}" for c in cells) + f"  {exact}/{rounds}        {'; '.join(errors) or '-'}")
PY
rm -rf "$out"
