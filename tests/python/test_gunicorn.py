# SPDX-License-Identifier: Apache-2.0
"""gunicorn (Debian's) serving an app instrumented with shmon.prometheus, against a real agent:
every request is counted exactly once in the agent's /metrics whatever happens to the workers
(recycled by --max-requests, SIGKILLed) or to the agent (killed and restarted)."""
import unittest

from servers import Gunicorn
from shmon_fixture import Agent, wait_until


class GunicornTest(unittest.TestCase):
    def setUp(self):
        self.agent = Agent().start()
        self.addCleanup(self.agent.stop)

    def gunicorn(self, *args):
        g = Gunicorn(self.agent, ["--workers", "4", "--preload"] + list(args))
        self.addCleanup(g.stop)
        return g

    def assert_counted(self, route, n):
        self.agent.wait_value(n, "app_requests_total", route=route)
        self.agent.wait_value(n, "app_latency_seconds_count")

    def test_recycled_workers(self):
        g = self.gunicorn("--max-requests", "50")
        g.requests("/hello", 1000)
        self.assert_counted("/hello", 1000)
        # The workers were recycled (1000 requests / 50 per worker), and every one counted.
        departed = self.agent.value("shmon_clients_departed_total")
        self.assertGreaterEqual(departed, 1000 / 50 - 4, g.read_log())
        # The master (which imported the app and defined the metrics) never opened a probe: it
        # maps no data region, and once recycling settles the clients are at most the 4 workers
        # (a replacement worker that has served nothing yet has not opened its probe).
        self.assertEqual(g.probe_regions(g.proc.pid), [], "the master opened a probe")
        wait_until(lambda: (self.agent.value("shmon_clients_connected") or 0) <= 4, 20,
                   "at most the 4 workers connected")
        g.stop()
        self.agent.wait_value(0, "shmon_clients_connected", monotonic=False)
        self.assert_counted("/hello", 1000)

    def test_killed_workers(self):
        g = self.gunicorn()
        g.requests("/a", 200)
        g.kill_workers(4)
        g.requests("/a", 200)
        self.assert_counted("/a", 400)

    def test_agent_restart(self):
        g = self.gunicorn()
        g.requests("/r", 200)
        self.assert_counted("/r", 200)
        self.agent.kill()
        g.requests("/r", 200)  # served while no agent runs
        self.agent.start()
        # Every worker that opened its probe (it served a request: the probe opens on first use)
        # is back with the new agent.
        with_probe = [pid for pid in g.workers() if g.probe_regions(pid)]
        self.assertGreater(len(with_probe), 0)
        self.agent.wait_value(len(with_probe), "shmon_clients_connected", monotonic=False)
        g.requests("/r", 200)
        self.assert_counted("/r", 600)


if __name__ == "__main__":
    unittest.main()
