#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# shmon's main job in one command: build, start an agent (instance "demo") with three pretend
# services and a looping load generator, then open the inspector when a display is available,
# with shmon-tray beside it when a D-Bus session bus is there too, else the text view
# (shmonctl watch). Ctrl-C stops everything this script started.
#
#   scripts/demo.sh [--no-build] [--text] [--duration S] [--bin-dir DIR]
#   --bin-dir DIR uses already built binaries from DIR (implies --no-build).
set -euo pipefail

usage() {
  echo "usage: scripts/demo.sh [--no-build] [--text] [--duration S] [--bin-dir DIR]" >&2
  exit 2
}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin="$root/build/release/bin"
instance=demo
build=1
text_view=0
duration=0
while (($# > 0)); do
  case "$1" in
    --no-build) build=0 ;;
    --text) text_view=1 ;;
    --duration)
      (($# >= 2)) && [[ "$2" =~ ^[0-9]+$ ]] || usage
      duration=$2
      shift
      ;;
    --bin-dir)
      (($# >= 2)) || usage
      bin=$(cd "$2" && pwd)
      build=0
      shift
      ;;
    -h | --help)
      sed -n '2,7p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *) usage ;;
  esac
  shift
done

if ((build)); then
  "$root/scripts/setup.sh"
  # Only what the demo runs (not the tests and benchmarks): the agent, shmonctl, the demo app,
  # loadgen and, when it is configured, the inspector.
  targets=(shmon-agent shmonctl shmon-demo shmon-loadgen)
  (cd "$root" && cmake --preset release >/dev/null)
  known_targets=$(cd "$root" && cmake --build --preset release --target help)
  if [[ $known_targets == *"shmon-inspector:"* ]]; then
    targets+=(shmon-inspector)
  fi
  if [[ $known_targets == *"shmon-tray:"* ]]; then
    targets+=(shmon-tray)
  fi
  (cd "$root" && cmake --build --preset release --target "${targets[@]}")
fi
for tool in shmon-agent shmonctl shmon-demo shmon-loadgen; do
  if [[ ! -x "$bin/$tool" ]]; then
    echo "demo: $bin/$tool is missing; run without --no-build" >&2
    exit 1
  fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/shmon-demo.XXXXXX")
pids=()

# Stops every background process we started, newest first so that clients say bye while the
# agent still listens: TERM, a bounded wait, then KILL.
cleanup() {
  trap - EXIT INT TERM
  local i pid tries
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    pid=${pids[i]}
    kill -TERM "$pid" 2>/dev/null || true
    for ((tries = 0; tries < 50; tries++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  echo "demo: stopped; logs in $work"
}
trap cleanup EXIT
trap 'exit 0' INT # Ctrl-C is the normal way to end the demo
trap 'exit 143' TERM

# The agent prints its ready line on stdout once it listens; read it through a fifo, bounded.
mkfifo "$work/agent.out"
"$bin/shmon-agent" --instance "$instance" >"$work/agent.out" 2>"$work/agent.log" &
pids+=($!)
exec {agent_out}<"$work/agent.out"
if ! read -r -t 10 -u "$agent_out" ready || [[ "$ready" != "shmon-agent: ready "* ]]; then
  echo "demo: shmon-agent did not become ready within 10 s; its log ($work/agent.log):" >&2
  tail -n 20 "$work/agent.log" >&2 || true
  exit 1
fi
echo "demo: $ready"
# Keep draining the agent's stdout so it never blocks on a full pipe.
cat <&"$agent_out" >>"$work/agent.log" &
pids+=($!)
exec {agent_out}<&-

for app in checkout:200 search:500 billing:40; do
  "$bin/shmon-demo" --instance "$instance" --name "${app%%:*}" --rate "${app##*:}" \
    >>"$work/${app%%:*}.log" 2>&1 &
  pids+=($!)
done

# A load generator that runs, is acknowledged, leaves, and comes back.
loadgen_loop() {
  local child=""
  trap '[[ -n "$child" ]] && kill -TERM "$child" 2>/dev/null; exit 0' TERM
  while :; do
    "$bin/shmon-loadgen" --instance "$instance" --name loadgen --threads 4 \
      --counter loadgen.ops --increments 2000000 --events 4000 --payload 24 \
      --histogram loadgen.batch_ns --gauge loadgen.ops_per_s &
    child=$!
    wait "$child" || true
    child=""
    sleep 3 &
    wait $! || true
  done
}
loadgen_loop >>"$work/loadgen.log" 2>&1 &
pids+=($!)

viewer=("$bin/shmonctl" --instance "$instance" watch)
if ((!text_view)) && [[ -n "${DISPLAY:-}" && -x "$bin/shmon-inspector" ]]; then
  viewer=("$bin/shmon-inspector" --instance "$instance")
  # The tray beside it, when there is a session bus to publish its icon on. It watches the agent
  # this script started (so it leaves it running when it quits; cleanup stops both).
  if [[ -x "$bin/shmon-tray" ]] &&
    [[ -n "${DBUS_SESSION_BUS_ADDRESS:-}" || -S "${XDG_RUNTIME_DIR:-/nonexistent}/bus" ]]; then
    "$bin/shmon-tray" --instance "$instance" >>"$work/tray.log" 2>&1 &
    pids+=($!)
    echo "demo: shmon-tray is in the tray (log: $work/tray.log)"
  fi
fi
if ((duration > 0)); then
  status=0
  timeout --foreground -s INT "$duration" "${viewer[@]}" || status=$?
  ((status == 124)) && status=0 # the duration ran out: that is success
  exit "$status"
fi
"${viewer[@]}"
