#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Scrape cost after many departed workers: prometheus_client's MultiProcessCollector over its
files against the shmon agent's /metrics (docs/BENCHMARKS.md, "Python").

    PYTHONPATH=build/release/python /usr/bin/python3 tests/bench/python/bench_scrape.py \\
        --agent build/release/bin/shmon-agent --departed 100 1000

For each count D: D workers are forked one batch at a time from a parent that defined the
metrics (as gunicorn --preload does); each touches the same 20 series (10 counter label sets,
5 livesum gauges, 5 histogram label sets), then exits, as a worker recycled by --max-requests
does. prometheus_client: each worker leaves its files (mark_process_dead is called for its
gauges, as its docs ask), then a scrape is generate_latest over a MultiProcessCollector.
shmon: each worker's probe attaches to a real agent (--no-state), then a scrape is one
GET /metrics. Figures are medians of --repeats scrapes."""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="bench-prom-")
import prometheus_client  # noqa: E402
from prometheus_client import multiprocess  # noqa: E402

import shmon.prometheus  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from shmon_fixture import read_line, terminate, wait_until  # noqa: E402


def define(lib):
    return (lib.Counter("w_requests", "Requests.", ["route"]),
            lib.Gauge("w_busy", "Busy.", ["shard"], multiprocess_mode="livesum"),
            lib.Histogram("w_latency_seconds", "Latency.", ["route"]))


def touch(metrics):
    counter, gauge, hist = metrics
    for i in range(10):
        counter.labels("/r%d" % i).inc()
    for i in range(5):
        gauge.labels(str(i)).set(1)
        hist.labels("/r%d" % i).observe(0.01 * i)


def run_workers(metrics, count, after_child=None, batch=16):
    """Forks `count` workers, `batch` at a time; each touches its 20 series and exits."""
    done = 0
    while done < count:
        pids = []
        for _ in range(min(batch, count - done)):
            pid = os.fork()
            if pid == 0:
                touch(metrics)
                os._exit(0)
            pids.append(pid)
        for pid in pids:
            _, status = os.waitpid(pid, 0)
            if status != 0:
                raise SystemExit("a worker failed (%d)" % status)
            if after_child:
                after_child(pid)
        done += len(pids)


def median_ms(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def prometheus_scrape():
    registry = prometheus_client.CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return prometheus_client.generate_latest(registry)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--agent", required=True)
    ap.add_argument("--departed", type=int, nargs="+", default=[100, 1000])
    ap.add_argument("--repeats", type=int, default=9)
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="bench-shmon-")
    env = dict(os.environ, SHMON_RUNTIME_DIR=tmp, SHMON_INSTANCE="bench")
    os.environ.update(SHMON_RUNTIME_DIR=tmp, SHMON_INSTANCE="bench")
    agent = subprocess.Popen([args.agent, "--instance", "bench", "--no-state",
                              "--metrics-listen", "127.0.0.1:0"], env=env,
                             stdout=subprocess.PIPE, stderr=open(os.path.join(tmp, "agent.log"), "w"))
    try:
        url = re.search(r"metrics=(http://\S+)",
                        read_line(agent, "shmon-agent: ready", 15, "agent")).group(1)
        prom, ours = define(prometheus_client), define(shmon.prometheus)
        prom_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"]

        def departed():
            text = urllib.request.urlopen(url, timeout=30).read().decode()
            m = re.search(r"^shmon_clients_departed_total (\d+)", text, re.M)
            return int(m.group(1))

        def shmon_scrape():
            return urllib.request.urlopen(url, timeout=30).read()

        print("%9s %7s %22s %14s %8s" % ("departed", "files", "prometheus_client", "shmon",
                                         "ratio"))
        have = 0
        for target in sorted(args.departed):
            run_workers(prom, target - have, multiprocess.mark_process_dead)
            run_workers(ours, target - have)
            have = target
            if agent.poll() is not None:
                raise SystemExit("the agent exited (%s): %s" % (
                    agent.returncode, open(os.path.join(tmp, "agent.log")).read()[-2000:]))
            wait_until(lambda: departed() >= target, 120, "%d departed clients" % target)
            # The same numbers from both (the check that both scrapes hold every worker).
            assert ('w_requests_total{route="/r0"} %d.0' % target) in prometheus_scrape().decode()
            assert ('w_requests_total{route="/r0"} %d\n' % target) in shmon_scrape().decode()
            base = median_ms(prometheus_scrape, args.repeats)
            mine = median_ms(shmon_scrape, args.repeats)
            print("%9d %7d %19.1f ms %11.2f ms %7.0fx" % (target, len(os.listdir(prom_dir)),
                                                         base, mine, base / mine))
    finally:
        terminate(agent)


if __name__ == "__main__":
    main()
