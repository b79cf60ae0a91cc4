#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs every shmon benchmark and prints one table (Markdown) with medians and ratios against the
# baselines measured in the same run. Builds the release preset first if needed.
#
#   scripts/bench.sh [--quick] [--build DIR] [--reps N] [--runs N] [--keep DIR]
#
# --quick: fewer events and shorter runs (a smoke test, about a minute). Default: Google
# Benchmark repetitions 5, driver runs 3, 4 x 10 M events end to end; about 6 minutes on 2 cores.
# Raw JSON goes to a temp dir (printed at the end; --keep DIR to choose it).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="$root/build/release"
reps=5
runs=3
quick=0
keep=""
while (($#)); do
  case "$1" in
    --quick) quick=1 reps=3 runs=1 ;;
    --build) build=$2; shift ;;
    --reps) reps=$2; shift ;;
    --runs) runs=$2; shift ;;
    --keep) keep=$2; shift ;;
    *) echo "usage: $0 [--quick] [--build DIR] [--reps N] [--runs N] [--keep DIR]" >&2; exit 2 ;;
  esac
  shift
done

targets=(shmon-agent shmon_bench_probe shmon_bench_drain shmon_bench_scrape shmon_bench_driver
  shmon_bench_report)
if [[ ! -f "$build/build.ninja" ]]; then
  if [[ "$build" == "$root/build/release" ]]; then
    (cd "$root" && cmake --preset release -DSHMON_BUILD_BENCHMARKS=ON >/dev/null)
  else
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DSHMON_BUILD_BENCHMARKS=ON -DSHMON_BUILD_INSPECTOR=OFF >/dev/null
  fi
fi
echo "bench: building ${targets[*]} in $build" >&2
cmake --build "$build" --target "${targets[@]}" -- -j2 >/dev/null

bin="$build/bin"
out=${keep:-$(mktemp -d /tmp/shmon-bench-results-XXXXXX)}
mkdir -p "$out"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$SECONDS

min_time=0.3
driver_args=()
((quick)) && min_time=0.1 && driver_args=(--quick)

echo "bench: probe updates and baselines (repetitions $reps)" >&2
timeout 300 "$bin/shmon_bench_probe" --benchmark_repetitions="$reps" \
  --benchmark_min_time="$min_time" --benchmark_out="$out/probe.json" \
  --benchmark_out_format=json >"$out/probe.txt" 2>&1 || echo "bench: shmon_bench_probe failed (see $out/probe.txt)" >&2

echo "bench: agent drain (repetitions $reps)" >&2
timeout 120 "$bin/shmon_bench_drain" --benchmark_repetitions="$reps" \
  --benchmark_min_time="$min_time" --benchmark_out="$out/drain.json" \
  --benchmark_out_format=json >"$out/drain.txt" 2>&1 || echo "bench: shmon_bench_drain failed (see $out/drain.txt)" >&2

echo "bench: /metrics scrape, 256 clients x 100 metrics (repetitions $reps)" >&2
timeout 300 "$bin/shmon_bench_scrape" --benchmark_repetitions="$reps" \
  --benchmark_min_time="$min_time" --benchmark_out="$out/scrape.json" \
  --benchmark_out_format=json >"$out/scrape.txt" 2>&1 || echo "bench: shmon_bench_scrape failed (see $out/scrape.txt)" >&2

report_args=(--gbench "$out/probe.json" --gbench "$out/drain.json" --gbench "$out/scrape.json")
for ((i = 1; i <= runs; i++)); do
  echo "bench: multi-process driver, run $i of $runs" >&2
  timeout 600 "$bin/shmon_bench_driver" "${driver_args[@]}" --out "$out/driver-$i.json" \
    2>"$out/driver-$i.txt" || echo "bench: driver run $i failed (see $out/driver-$i.txt)" >&2
  report_args+=(--driver "$out/driver-$i.json")
done

echo
echo "shmon benchmarks: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, load before $load_before," \
  "after $(cut -d' ' -f1-3 /proc/loadavg), $((SECONDS - started)) s;" \
  "Google Benchmark repetitions $reps, driver runs $runs. Spread = half the range over them."
echo
"$bin/shmon_bench_report" "${report_args[@]}"
echo
echo "raw results: $out" >&2
