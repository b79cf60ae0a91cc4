#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Memory per series (docs/DESIGN.md, "The series bound"): starts a private agent, measures its
# memory with one probe client holding 0 series, then with real probe clients (shmon-testclient
# series-flood, up to 2500 each) holding N labelled counter series in all, and prints the agent's RSS (anonymous memory,
# and the shared client regions it maps) and state.db size at both points and per series.
#   scripts/measure_series_memory.sh [N=10000] [SETTLE_S=5] [BUILD_DIR=build/release]
# SETTLE_S: seconds to let the agent sample its history (one point per second per series) before
# the second measurement; the history ring of a series is allocated whole at its first point.
set -euo pipefail
n=${1:-10000} settle=${2:-5} build=${3:-build/release}
bin=$build/bin
dir=$(mktemp -d)
chmod 700 "$dir"
export SHMON_RUNTIME_DIR=$dir SHMON_STATE_DIR=$dir/state
agent_pid= holder_pid= flood_pid=
cleanup() {
  for p in $flood_pid $holder_pid $agent_pid; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${KEEP:-}" ] && echo "kept $dir" || rm -rf "$dir"
}
trap cleanup EXIT
instance=mem$$
"$bin/shmon-agent" --instance "$instance" --max-series $((2 * n + 100)) >"$dir/agent.log" 2>&1 &
agent_pid=$!
for _ in $(seq 100); do grep -q "ready" "$dir/agent.log" && break; sleep 0.1; done
grep -q "ready" "$dir/agent.log" || { echo "agent did not start:"; cat "$dir/agent.log"; exit 1; }

kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$agent_pid/status"; }
db_bytes() { stat -c %s "$SHMON_STATE_DIR/$instance/state.db" 2>/dev/null || echo 0; }
ready_line() { # FILE: waits (bounded) for READY
  for _ in $(seq 600); do grep -q READY "$1" && return 0; sleep 0.1; done
  echo "no READY in $1:"; cat "$1"; exit 1
}
measure() { # LABEL
  sleep "$settle"
  printf '%s %s %s %s\n' "$1" "$(kb RssAnon)" "$(kb RssShmem)" "$(db_bytes)"
}

# 0 series: one client holding a single series, so the probe's own cost is in both figures.
mkfifo "$dir/hold0" "$dir/hold1"
"$bin/shmon-testclient" series-flood --instance "$instance" --name zero --variant 1 \
  <"$dir/hold0" >"$dir/zero.out" 2>&1 &
holder_pid=$!
exec 3>"$dir/hold0"
ready_line "$dir/zero.out"
before=$(measure zero)
# A probe region holds at most 4096 metrics: the series come from clients of up to 2500 each.
per=2500 left=$n k=0
while [ "$left" -gt 0 ]; do
  c=$((left < per ? left : per))
  "$bin/shmon-testclient" series-flood --instance "$instance" --name "flood$k" --variant "$c" \
    --wait-ms 60000 <"$dir/hold1" >"$dir/flood$k.out" 2>&1 &
  flood_pid="$flood_pid $!"
  left=$((left - c)) k=$((k + 1))
done
exec 4>"$dir/hold1"
for i in $(seq 0 $((k - 1))); do ready_line "$dir/flood$i.out"; done
held=$("$bin/shmonctl" --instance "$instance" status --json |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["series"]["held"])')
[ "$held" -ge "$n" ] || { echo "the agent holds $held series, not $n"; exit 1; }
after=$(measure flood)
python3 - "$n" "$before" "$after" <<'PY'
import sys
n = int(sys.argv[1])
b = sys.argv[2].split(); a = sys.argv[3].split()
anon0, shm0, db0 = map(int, b[1:]); anon1, shm1, db1 = map(int, a[1:])
print(f"{'':14}{'RssAnon':>12}{'RssShmem':>12}{'state.db':>14}")
print(f"{'0 series':14}{anon0/1024:10.1f}MB{shm0/1024:10.1f}MB{db0/1e6:12.2f}MB")
print(f"{n} series".ljust(14) + f"{anon1/1024:10.1f}MB{shm1/1024:10.1f}MB{db1/1e6:12.2f}MB")
print(f"{'per series':14}{(anon1-anon0)*1024/n:10.0f} B{(shm1-shm0)*1024/n:10.0f} B{(db1-db0)/n:12.0f} B")
PY
