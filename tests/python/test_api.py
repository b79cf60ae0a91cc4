# SPDX-License-Identifier: Apache-2.0
"""shmon.prometheus as a drop-in for prometheus_client: the same definitions and updates through
both give the same samples (names, labels, values) in the agent's /metrics as in
prometheus_client's own exposition; what shmon cannot spell honestly is refused with a clear
error; events, commands and the probe-level API work against a real agent."""
import os
import subprocess
import unittest
import warnings

import prometheus_client
from prometheus_client.parser import text_string_to_metric_families

from shmon_fixture import Agent, wait_until

AGENT = None


def setUpModule():
    global AGENT
    AGENT = Agent().start()
    os.environ.update({k: AGENT.env[k] for k in ("SHMON_RUNTIME_DIR", "SHMON_INSTANCE")})
    import shmon
    shmon.configure(name="api-test", max_label_sets_per_metric=5)


def tearDownModule():
    AGENT.stop()


import shmon  # noqa: E402
import shmon.prometheus as sp  # noqa: E402


def define(lib, registry):
    """The same metrics through either library (prometheus_client's takes registry=)."""
    kw = {"registry": registry} if registry is not None else {}
    return {
        "plain": lib.Counter("dropin_requests", "Requests.", **kw),
        "total": lib.Counter("dropin_sent_total", "Sent.", **kw),
        "unit": lib.Counter("dropin_payload", "Payload.", unit="bytes", **kw),
        "labelled": lib.Counter("dropin_responses", "By code.", ["method", "code"], **kw),
        "ns": lib.Gauge("depth", "Depth.", namespace="dropin", subsystem="queue", **kw),
        "gauge": lib.Gauge("dropin_temperature", "Temp.", ["room"], multiprocess_mode="livesum",
                           **kw),
        "latency": lib.Histogram("dropin_latency_seconds", "Latency.", **kw),
        "unit_hist": lib.Histogram("dropin_wait", "Wait.", unit="seconds",
                                   buckets=(0.001, 0.01, 0.1), **kw),
        "size": lib.Histogram("dropin_size_bytes", "Size.", ["route"],
                              buckets=(100, 1000, 10000), **kw),
    }


def update(m):
    m["plain"].inc()
    m["plain"].inc(4)
    m["total"].inc(2)
    m["unit"].inc(1024)
    m["labelled"].labels("GET", "200").inc()
    m["labelled"].labels(method="GET", code=200).inc(2)  # the same series, by name and via str()
    m["labelled"].labels("POST", "500").inc()
    m["ns"].set(7)
    m["ns"].dec(2)
    m["gauge"].labels("kitchen").set(21.5)
    m["gauge"].labels("hall").inc(3)
    for v in (0.0001, 0.005, 0.3, 2, 20):
        m["latency"].observe(v)
    m["unit_hist"].observe(0.002)
    m["size"].labels("/a").observe(150)
    m["size"].labels("/a").observe(100000)


def samples(text, prefix):
    """{(name, labels without le, le as float or None): value} of the families under prefix."""
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if not s.name.startswith(prefix) or s.name.endswith("_created"):
                continue
            labels = dict(s.labels)
            le = labels.pop("le", None)
            out[(s.name, frozenset(labels.items()), float(le) if le else None)] = s.value
    return out


class DropInTest(unittest.TestCase):
    def test_same_samples_as_prometheus_client(self):
        registry = prometheus_client.CollectorRegistry()
        update(define(prometheus_client, registry))
        update(define(sp, None))
        expected = samples(prometheus_client.generate_latest(registry).decode(), "dropin_")
        self.assertIn(("dropin_requests_total", frozenset(), None), expected)

        def same():
            got = samples(AGENT.scrape_text(), "dropin_")
            return got if got == expected else None
        try:
            wait_until(same, 10, "the agent's samples to equal prometheus_client's")
        except AssertionError:
            got = samples(AGENT.scrape_text(), "dropin_")
            self.assertEqual(sorted(got.items()), sorted(expected.items()))

    def test_refusals(self):
        c = sp.Counter("api_refusals", "R.", ["code"])
        with self.assertRaisesRegex(ValueError, "missing label values"):
            c.inc()
        with self.assertRaisesRegex(ValueError, "Incorrect label count"):
            c.labels("1", "2")
        with self.assertRaisesRegex(ValueError, "non-negative"):
            sp.Counter("api_neg", "N.").inc(-1)
        with self.assertRaisesRegex(ValueError, "whole units"):
            sp.Counter("api_half", "H.").inc(0.5)
        with self.assertRaisesRegex(ValueError, "1 to 64 bytes|empty"):
            c.labels("")
        with self.assertRaisesRegex(ValueError, "not supported by shmon"):
            sp.Gauge("api_max", "M.", multiprocess_mode="max")
        with self.assertRaisesRegex(ValueError, "whole number"):
            sp.Histogram("api_ratio", "R.", buckets=(0.5, 1))
        with self.assertRaisesRegex(ValueError, "Invalid label metric name"):
            sp.Histogram("api_le_seconds", "L.", ["le"])
        class Uninitialized(sp.Counter):
            def __init__(self):
                pass  # never calls the base's __init__
        with self.assertRaisesRegex(RuntimeError, "not initialized"):
            Uninitialized().inc()
        with self.assertRaisesRegex(ValueError, "do not fit"):
            sp.Histogram("api_many_seconds", "M.", buckets=list(range(1, 100)))

    def test_label_bound_warns_and_ignores(self):
        c = sp.Counter("api_bounded", "B.", ["user"])
        for i in range(5):  # configure(max_label_sets_per_metric=5)
            c.labels(str(i)).inc()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            over = c.labels("5")
            over.inc()  # ignored, never raises in the app's path
        self.assertFalse(over._registered)
        self.assertTrue(any("refused" in str(w.message) for w in caught), caught)
        wait_until(lambda: (AGENT.value("shmon_live_clients_label_sets_refused") or 0) >= 1, 10,
                   "the refusal counted by the agent")

    def test_labels_cached(self):
        c = sp.Counter("api_cached", "C.", ["a", "b"])
        self.assertIs(c.labels("x", "y"), c.labels(a="x", b="y"))
        self.assertIs(c.labels("1", "2"), c.labels(1, 2))

    def test_time_and_track_inprogress(self):
        h = sp.Histogram("api_timed_seconds", "T.")
        g = sp.Gauge("api_inprogress", "I.")

        @h.time()
        @g.track_inprogress()
        def work():
            return 42
        self.assertEqual(work(), 42)
        with h.time():
            pass
        AGENT.wait_value(2, "api_timed_seconds_count")
        AGENT.wait_value(0, "api_inprogress", monotonic=False)


class ProbeApiTest(unittest.TestCase):
    def test_events_by_level(self):
        self.assertTrue(shmon.emit("api.job", "done", shmon.WARN))
        self.assertTrue(shmon.emit("api.job", b"bytes too", shmon.ERROR))
        self.assertFalse(shmon.emit("api.job", "x" * 41))  # over 40 bytes: dropped, counted
        AGENT.wait_value(1, "api_job_events_total", level="warn")
        AGENT.wait_value(1, "api_job_events_total", level="error")

    def test_command(self):
        shmon.on_command("api-echo", lambda payload: b"echo " + payload, "echoes")

        def broken(payload):
            raise RuntimeError("no " + payload.decode())
        shmon.on_command("api-broken", broken)
        self.assertTrue(shmon.wait_connected(10))
        ctl = os.environ.get("SHMON_TEST_CTL", "shmonctl")

        def send(*args):
            return subprocess.run([ctl, "--instance", AGENT.instance, "send", "api-test"] +
                                  list(args), env=AGENT.env, capture_output=True, text=True,
                                  timeout=30)
        r = send("api-echo", "hi")
        self.assertEqual((r.returncode, r.stdout), (0, "echo hi\n"), r.stderr)
        r = send("api-broken", "way")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("RuntimeError: no way", r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main()
