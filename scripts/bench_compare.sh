#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Two builds of one Google Benchmark binary compared in one session (docs/BENCHMARKS.md, "Command
# round trip (issue 10)"). Runs BASE and NEW alternately (base, new, base, new, ...), ROUNDS times
# each, and prints a Markdown table: per benchmark the median over every repetition of every
# round, NEW/BASE, the spread of the per-round medians (half their range, in % of the median) so
# that a ratio can be read against the noise of the same session, the median of the per-round
# ratios and in how many rounds NEW was the slower (a sign test: about half when nothing changed).
#
#   scripts/bench_compare.sh BASE_BIN NEW_BIN [FILTER] [--rounds N] [--reps N] [--min-time S]
#                            [--keep DIR]
#
# FILTER defaults to the data plane: counter add, histogram record, event emit (dropping and
# written), 1 and 2 threads, and the machine's reference atomics (code both builds share: their
# ratio is the session's noise floor). Benchmarks that report a "ns_per_op" counter (shmon's do:
# the cost per operation per thread, as scripts/bench.sh reports it) are compared on it, others on
# real time per iteration. "dropped" is the share of BM_EventEmit's events that found the ring
# full (a dropped event is cheaper than a written one, so a different share moves the cost).
# Each binary starts the shmon-agent beside it (bin/), so each build runs against its own agent.
set -euo pipefail

usage() {
  echo "usage: $0 BASE_BIN NEW_BIN [FILTER] [--rounds N] [--reps N] [--min-time S] [--keep DIR]" >&2
  exit 2
}
(($# >= 2)) || usage
base=$1 new=$2
shift 2
filter='BM_CounterAdd|BM_HistogramRecord|BM_EventEmit|BM_RefAtomicAdd'
rounds=3 reps=5 min_time=0.3 keep=""
while (($#)); do
  case "$1" in
    --rounds) rounds=$2; shift ;;
    --reps) reps=$2; shift ;;
    --min-time) min_time=$2; shift ;;
    --keep) keep=$2; shift ;;
    --*) usage ;;
    *) filter=$1 ;;
  esac
  shift
done
for b in "$base" "$new"; do
  [[ -x "$b" ]] || { echo "bench_compare: $b is not an executable" >&2; exit 2; }
done

out=${keep:-$(mktemp -d /tmp/shmon-bench-compare-XXXXXX)}
mkdir -p "$out"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$SECONDS
for ((r = 1; r <= rounds; r++)); do
  for which in base new; do
    bin=$base
    [[ $which == new ]] && bin=$new
    echo "bench_compare: round $r of $rounds, $which" >&2
    timeout 600 "$bin" --benchmark_filter="$filter" --benchmark_repetitions="$reps" \
      --benchmark_min_time="$min_time" --benchmark_out="$out/$which-$r.json" \
      --benchmark_out_format=json >"$out/$which-$r.txt" 2>&1 ||
      echo "bench_compare: $which round $r failed (see $out/$which-$r.txt)" >&2
  done
done

echo "bench_compare: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, load before $load_before," \
  "after $(cut -d' ' -f1-3 /proc/loadavg), $((SECONDS - started)) s; $rounds rounds x" \
  "$reps repetitions each, min time $min_time s"
echo "base: $base"
echo "new:  $new"
echo
python3 - "$out" "$rounds" <<'PY'
import json, statistics, sys

out, rounds = sys.argv[1], int(sys.argv[2])
to_ns = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def samples(which, r):
    """{benchmark name: [ns per iteration of each repetition]} of one run."""
    try:
        runs = json.load(open(f"{out}/{which}-{r}.json"))["benchmarks"]
    except (OSError, ValueError, KeyError):
        return {}
    result = {}
    for b in runs:
        if b.get("run_type", "iteration") != "iteration":
            continue
        ns = b["ns_per_op"] if "ns_per_op" in b else b["real_time"] * to_ns[b.get("time_unit", "ns")]
        name = b["run_name"] if "run_name" in b else b["name"]
        result.setdefault(name, []).append(ns)
        if "dropped_pct" in b:
            result.setdefault(name + "#dropped", []).append(b["dropped_pct"])
    return result


data = {w: [samples(w, r) for r in range(1, rounds + 1)] for w in ("base", "new")}
names = []
for w in ("base", "new"):
    for run in data[w]:
        names += [n for n in run if n not in names and "#" not in n]


def dropped(w, name):
    """Median over repetitions of the "dropped_pct" counter (events that found the ring full)."""
    every = [x for run in data[w] for x in run.get(name + "#dropped", [])]
    return "-" if not every else f"{statistics.median(every):.0f}%"


def summary(w, name):
    per_round = [statistics.median(run[name]) for run in data[w] if run.get(name)]
    every = [x for run in data[w] for x in run.get(name, [])]
    if not every:
        return None, None
    m = statistics.median(every)
    return m, 100 * (max(per_round) - min(per_round)) / 2 / m


def fmt(x):
    return "-" if x is None else (f"{x:.2f} ns" if x < 100 else f"{x:.1f} ns")


def paired(name):
    """Each round's new / base (medians of its repetitions): the median, and in how many rounds
    new was the slower. A round's two runs are minutes apart, so this cancels slow drift."""
    ratios = [statistics.median(n[name]) / statistics.median(b[name])
              for b, n in zip(data["base"], data["new"]) if b.get(name) and n.get(name)]
    if not ratios:
        return "-", "-"
    return f"{statistics.median(ratios):.3f}", f"{sum(r > 1 for r in ratios)}/{len(ratios)}"


print("| benchmark | base median | base spread | new median | new spread | new / base |"
      " per-round new / base, median | new slower in rounds | dropped base / new |")
print("|---|---|---|---|---|---|---|---|---|")
for name in names:
    b, bs = summary("base", name)
    n, ns = summary("new", name)
    ratio = f"{n / b:.3f}" if b and n else "-"
    spread = lambda s: "-" if s is None else f"±{s:.1f}%"
    pm, slower = paired(name)
    print(f"| {name} | {fmt(b)} | {spread(bs)} | {fmt(n)} | {spread(ns)} | {ratio} | {pm} | {slower} |"
          f" {dropped('base', name)} / {dropped('new', name)} |")
PY
[[ -n $keep ]] || echo "raw results: $out" >&2
