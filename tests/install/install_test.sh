#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The install test (ctest install_sdk): installs the build into a staging prefix, starts the
# installed agent, then, in a scratch directory outside the source tree, builds and runs
#   * a C++ consumer with find_package(shmon) (shmon::probe and shmon::probe_static), and
#   * a C consumer with `pkg-config --cflags --libs shmon-probe`,
#   * the example programs (probes/examples) on their own, against the installed SDK only,
#   * a Python consumer of the installed `shmon` package with only PYTHONPATH set,
# and checks their data through the installed shmonctl. Every wait is bounded: the consumers wait
# at most 10 s to attach, and the agent runs under `timeout`.
# usage: install_test.sh BUILD_DIR CONSUMER_SOURCE_DIR EXAMPLES_SOURCE_DIR
set -euo pipefail

build=$(realpath "$1")
consumer_src=$(realpath "$2")
examples_src=$(realpath "$3")
scratch=$(mktemp -d /tmp/shmon-install-test.XXXXXX)
stage=$scratch/stage
agent_pid=
cleanup() {
  if [[ -n $agent_pid ]]; then kill -TERM "$agent_pid" 2>/dev/null || true; wait "$agent_pid" || true; fi
  rm -rf "$scratch"
}
trap cleanup EXIT
fail() { echo "install_test: $*" >&2; exit 1; }

echo "== cmake --install into $stage"
cmake --install "$build" --prefix "$stage" >"$scratch/install.log" || { cat "$scratch/install.log"; fail "install failed"; }
libdir=$(dirname "$(find "$stage" -name 'libshmon_probe.so.0' -print -quit)")
[[ -n $libdir && -d $libdir ]] || fail "libshmon_probe.so.0 was not installed"
for f in bin/shmon-agent bin/shmonctl include/shmon/probe.hpp include/shmon/probe.h \
         include/shmon/types.hpp share/doc/shmon/REGIONS.md; do
  [[ -e $stage/$f ]] || fail "$f was not installed"
done
for f in libshmon_probe.so libshmon_probe.a pkgconfig/shmon-probe.pc cmake/shmon/shmonConfig.cmake; do
  [[ -e $libdir/$f ]] || fail "$libdir/$f was not installed"
done
# The public headers are the API only: exactly these three, and none includes anything else of shmon.
headers=$(cd "$stage/include/shmon" && ls | tr '\n' ' ')
[[ $headers == "probe.h probe.hpp types.hpp " ]] || fail "unexpected public headers: $headers"
if grep -h '#include "shmon/\|#include <shmon/' "$stage"/include/shmon/* | grep -v 'shmon/types.hpp'; then
  fail "a public header includes an internal one"
fi
soname=$(readelf -d "$libdir/libshmon_probe.so" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
[[ $soname == libshmon_probe.so.0 ]] || fail "SONAME is '$soname'"
echo "SONAME $soname"

echo "== installed agent"
export SHMON_RUNTIME_DIR=$scratch/run
instance=install-$$
timeout 300 "$stage/bin/shmon-agent" --instance "$instance" --log-level warn &
agent_pid=$!

echo "== C++ consumer: find_package(shmon)"
cmake -S "$consumer_src" -B "$scratch/cxx" -G Ninja -DCMAKE_PREFIX_PATH="$stage" \
  -DCMAKE_BUILD_TYPE=Release >"$scratch/cxx.log" 2>&1 || { cat "$scratch/cxx.log"; fail "configure failed"; }
cmake --build "$scratch/cxx" >>"$scratch/cxx.log" 2>&1 || { cat "$scratch/cxx.log"; fail "build failed"; }
"$scratch/cxx/consumer" "$instance" cxx-consumer
"$scratch/cxx/consumer_static" "$instance" cxx-static

echo "== the examples, built on their own against the installed SDK"
cmake -S "$examples_src" -B "$scratch/examples" -G Ninja -DCMAKE_PREFIX_PATH="$stage" \
  -DCMAKE_BUILD_TYPE=Release >"$scratch/examples.log" 2>&1 || { cat "$scratch/examples.log"; fail "examples: configure failed"; }
cmake --build "$scratch/examples" >>"$scratch/examples.log" 2>&1 || { cat "$scratch/examples.log"; fail "examples: build failed"; }
line=$(LD_LIBRARY_PATH=$libdir "$scratch/examples/shmon-loadgen" --instance "$instance" \
  --name example-loadgen --counter example.ops --increments 1000 --events 10 --wait-ms 10000)
echo "$line"
[[ $line == *" acknowledged=1000 "*"status=ok"* ]] || fail "the example loadgen was not acknowledged"
if LD_LIBRARY_PATH=$libdir "$scratch/examples/shmon-demo" --instance "$instance" --name 'bad/name' 2>/dev/null; then
  fail "the example demo accepted an invalid client name"
fi

echo "== C consumer: pkg-config --cflags --libs shmon-probe"
export PKG_CONFIG_PATH=$libdir/pkgconfig
flags=$(pkg-config --cflags --libs shmon-probe)
echo "cc consumer.c $flags"
cc -std=c11 -Wall -Wextra -Werror -o "$scratch/c_consumer" "$consumer_src/consumer.c" $flags
LD_LIBRARY_PATH=$libdir "$scratch/c_consumer" "$instance" c-consumer

echo "== Python consumer: PYTHONPATH=<prefix>/lib/python3/dist-packages, nothing else"
pydir=$stage/lib/python3/dist-packages
[[ -e $pydir/shmon/__init__.py && -e $pydir/shmon/prometheus.py ]] || fail "the shmon Python package was not installed"
ext=$(find "$pydir/shmon" -name '_shmon.cpython-*.so' -print -quit)
[[ -n $ext ]] || fail "the _shmon extension was not installed"
if ldd "$ext" | grep -q libshmon_probe; then fail "_shmon needs libshmon_probe.so: it must carry the probe"; fi
if readelf -d "$ext" | grep -q 'RUNPATH\|RPATH'; then fail "_shmon has a run path: $(readelf -d "$ext" | grep PATH)"; fi
PYTHONPATH=$pydir SHMON_INSTANCE=$instance /usr/bin/python3 - <<'PY' || fail "the installed Python package failed"
import shmon
import shmon.prometheus as sp
sp.Counter("py_requests", "Requests.").inc(5)
assert shmon.wait_connected(10), shmon.last_error()
assert shmon.flush(), shmon.last_error()
PY

echo "== the agent saw them (installed shmonctl)"
metrics=$("$stage/bin/shmonctl" --instance "$instance" metrics --json)
python3 - "$metrics" <<'PY' || fail "unexpected metrics: $metrics"
import json, sys
totals = {m["name"]: m["total"] for m in json.loads(sys.argv[1])}
want = {"consumer_requests": 84, "c_requests": 7, "c_latency": 1, "c_done": 2, "consumer_done": 4,
        "c_plain": 1, "py_requests": 5}
bad = {k: (totals.get(k), v) for k, v in want.items() if totals.get(k) != v}
sys.exit(f"totals differ (got, want): {bad}" if bad else 0)
PY
echo "install_test: ok"
