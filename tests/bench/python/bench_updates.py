#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Update cost of shmon.prometheus against prometheus_client in multiprocess mode (the baseline a
pre-fork server uses today), measured in the same process and run (docs/BENCHMARKS.md, "Python").

    PYTHONPATH=build/release/python /usr/bin/python3 tests/bench/python/bench_updates.py

Each figure is the median over --repeats runs of --number calls (timeit, ns per call, the loop
included for both libraries). No agent is needed: a shmon update never waits for one."""
import argparse
import os
import statistics
import tempfile
import timeit

# prometheus_client picks its value class (mmap files per process) when it is imported.
os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="bench-prom-")
import prometheus_client  # noqa: E402

import shmon.prometheus  # noqa: E402


def metrics(lib):
    return {
        "c": lib.Counter("bench_requests", "Requests."),
        "l": lib.Counter("bench_responses", "Responses.", ["method", "code"]),
        "h": lib.Histogram("bench_latency_seconds", "Latency."),
    }


CASES = [
    ("Counter.inc()", "c.inc()"),
    ("labels(...).inc()", "l.labels('GET', '200').inc()"),
    ("Histogram.observe()", "h.observe(0.042)"),
]


def median_ns(stmt, env, number, repeats):
    t = timeit.Timer(stmt, globals=env)
    return statistics.median(x / number * 1e9 for x in t.repeat(repeat=repeats, number=number))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--number", type=int, default=200_000)
    ap.add_argument("--repeats", type=int, default=15)
    args = ap.parse_args()
    envs = {"prometheus_client (multiprocess)": metrics(prometheus_client),
            "shmon.prometheus": metrics(shmon.prometheus)}
    for env in envs.values():  # first use: files opened, series registered
        for _, stmt in CASES:
            exec(stmt, env)
    print("%-22s %16s %16s %8s" % ("operation", "prometheus_client", "shmon", "ratio"))
    for name, stmt in CASES:
        # Interleaved: both libraries measured back to back, case by case.
        base = median_ns(stmt, envs["prometheus_client (multiprocess)"], args.number,
                         args.repeats)
        ours = median_ns(stmt, envs["shmon.prometheus"], args.number, args.repeats)
        print("%-22s %13.0f ns %13.1f ns %7.1fx" % (name, base, ours, base / ours))
    loop = median_ns("pass", {}, args.number, args.repeats)
    print("(the timeit loop alone: %.1f ns per iteration)" % loop)


if __name__ == "__main__":
    main()
