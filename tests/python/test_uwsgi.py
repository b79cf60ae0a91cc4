# SPDX-License-Identifier: Apache-2.0
"""uWSGI (Debian's, Python 3 plugin) serving the app of test_gunicorn.py, against a real agent.
uWSGI forks its workers in C, so Python's at-fork hooks run only with --py-call-osafterfork (or
with shmon.after_fork in a postfork hook; docs/PYTHON.md); the probe's own fork handler runs
either way. Every request is counted exactly once across workers SIGKILLed and respawned by the
master. (Debian's uWSGI 2.0.21 does not recycle workers on --max-requests with --http-socket, so
recycling is by SIGKILL here.)"""
import unittest

from servers import Uwsgi
from shmon_fixture import Agent


class UwsgiTest(unittest.TestCase):
    def setUp(self):
        self.agent = Agent().start()
        self.addCleanup(self.agent.stop)

    def test_killed_workers(self):
        u = Uwsgi(self.agent, ["--processes", "4", "--py-call-osafterfork"])
        self.addCleanup(u.stop)
        u.requests("/u", 500)
        u.kill_workers(4)
        u.requests("/u", 500)
        self.agent.wait_value(1000, "app_requests_total", route="/u")
        self.agent.wait_value(1000, "app_latency_seconds_count")
        # Clients are workers that served a request (uWSGI does not spread them evenly); the
        # master, which loaded the app, is none.
        self.assertLessEqual(self.agent.value("shmon_clients_connected"), 4)


if __name__ == "__main__":
    unittest.main()
