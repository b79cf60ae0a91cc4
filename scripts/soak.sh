#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Long chaos soak (the short one is the Chaos.* ctest): SIGKILLs and restarts shmon-agent KILLS
# times while loadgens keep joining, finishing and leaving (some held open), then checks that the
# agent's total equals exactly what every loadgen was acknowledged for (a loadgen exits 0 only
# when the agent acknowledged its exact total).
#   scripts/soak.sh [KILLS=500] [BUILD_DIR=build/release]
set -euo pipefail
kills=${1:-500}
bin=${2:-build/release}/bin
work=$(mktemp -d /tmp/shmon-soak-XXXXXX)
export SHMON_RUNTIME_DIR=$work/run SHMON_STATE_DIR=$work/state
instance=soak
increments=20000
agent_pid=
cleanup() {
  [[ $BASHPID == "$$" ]] || return 0  # not in command-substitution subshells
  [[ -n $agent_pid ]] && kill -9 "$agent_pid" 2>/dev/null || true
  jobs -p | xargs -r kill -9 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

start_agent() {
  "$bin/shmon-agent" --instance "$instance" >>"$work/agent.log" 2>&1 &
  agent_pid=$!
  for _ in $(seq 200); do
    "$bin/shmonctl" --instance "$instance" --timeout-ms 100 status >/dev/null 2>&1 && return 0
  done
  echo "soak: the agent did not come up; see $work/agent.log" >&2
  exit 1
}

expected=0
pids=()
held=()
# Held-open loadgens read one fifo; a sleeping writer keeps it open until the end.
mkfifo "$work/hold"
sleep 1000000 >"$work/hold" &
holder=$!
start_agent
for ((k = 1; k <= kills; k++)); do
  for n in a b; do
    "$bin/shmon-loadgen" --instance "$instance" --name "run-$k$n" --threads 1 --counter soak \
      --increments $increments --wait-ms 300000 >/dev/null &
    pids+=($!)
    expected=$((expected + increments))
  done
  if ((k % 10 == 0)); then
    "$bin/shmon-loadgen" --instance "$instance" --name "held-$k" --threads 1 --counter soak \
      --increments $increments --wait-ms 300000 --hold-open <"$work/hold" >/dev/null &
    held+=($!)
    expected=$((expected + increments))
  fi
  kill -9 "$agent_pid"
  wait "$agent_pid" 2>/dev/null || true
  start_agent
  ((k % 50 == 0)) && echo "soak: $k kills, expecting $expected so far"
done
kill "$holder"
set +eu
failed=0
for p in "${pids[@]}" "${held[@]}"; do wait "$p" || failed=$((failed + 1)); done
total=$("$bin/shmonctl" --instance "$instance" metrics soak --json |
  python3 -c 'import json,sys; print(next(m["total"] for m in json.load(sys.stdin) if m["name"]=="soak"))')
[[ -n $total ]] || { echo "soak: cannot read the total; agent log: $work/agent.log" >&2; tail -5 "$work/agent.log"; }
echo "soak: $kills kills, $((${#pids[@]} + ${#held[@]})) loadgens ($failed not acknowledged), total $total, expected $expected"
[[ $failed -eq 0 && $total -eq $expected ]]
