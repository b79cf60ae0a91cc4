"""gunicorn (Debian's) serving an app instrumented with shmon.prometheus, against a real agent:
every request is counted exactly once in the agent's /metrics whatever happens to the workers
(recycled by --max-requests, SIGKILLed) or to the agent (killed and restarted)."""
import http.client
import os
import signal
import subprocess
import sys
import tempfile
import threading
import unittest

from shmon_fixture import Agent, terminate, wait_until

HERE = os.path.dirname(os.path.abspath(__file__))


class Gunicorn:
    def __init__(self, agent, args):
        self.log = tempfile.NamedTemporaryFile(prefix="gunicorn-", suffix=".log", delete=False)
        cmd = [sys.executable, "-m", "gunicorn", "--chdir", HERE, "--bind", "127.0.0.1:0",
               "--error-logfile", self.log.name, "--graceful-timeout", "5"] + args + [
               "gunicorn_app:app"]
        self.proc = subprocess.Popen(cmd, env=agent.env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        line = wait_until(lambda: self._log_line("Listening at: http://"), 20, "gunicorn's port")
        self.port = int(line.rsplit(":", 1)[1].split()[0])

    def _log_line(self, needle):
        if self.proc.poll() is not None:
            raise AssertionError("gunicorn exited: %s" % self.read_log())
        for line in self.read_log().splitlines():
            if needle in line:
                return line
        return None

    def read_log(self):
        with open(self.log.name, errors="replace") as f:
            return f.read()

    def workers(self):
        with open("/proc/%d/task/%d/children" % (self.proc.pid, self.proc.pid)) as f:
            return {int(p) for p in f.read().split()}

    def get(self, path):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            c.request("GET", path)
            r = c.getresponse()
            r.read()
            if r.status != 200:
                raise AssertionError("GET %s: %d" % (path, r.status))
        finally:
            c.close()

    def requests(self, path, count, threads=4):
        """`count` requests over `threads` connections in parallel; every one must succeed."""
        errors = []

        def run(n):
            try:
                for _ in range(n):
                    self.get(path)
            except Exception as e:  # reported below, in the test's thread
                errors.append(e)
        ts = [threading.Thread(target=run, args=(count // threads + (i < count % threads),))
              for i in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(timeout=120)
        if errors:
            raise errors[0]

    def stop(self):
        terminate(self.proc, 15)
        if os.path.exists(self.log.name):
            os.unlink(self.log.name)


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
        # The master (which imported the app and defined the metrics) never opened a probe: once
        # recycling settles, the clients are the 4 workers.
        self.agent.wait_value(4, "shmon_clients_connected")
        g.stop()
        self.agent.wait_value(0, "shmon_clients_connected")
        self.assert_counted("/hello", 1000)

    def test_killed_workers(self):
        g = self.gunicorn()
        g.requests("/a", 200)
        old = wait_until(lambda: len(g.workers()) == 4 and g.workers(), 20, "4 workers")
        for pid in old:
            os.kill(pid, signal.SIGKILL)
        wait_until(lambda: len(g.workers() - old) == 4, 20, "4 new workers")
        g.requests("/a", 200)
        self.assert_counted("/a", 400)

    def test_agent_restart(self):
        g = self.gunicorn()
        g.requests("/r", 200)
        self.assert_counted("/r", 200)
        self.agent.kill()
        g.requests("/r", 200)  # served while no agent runs
        self.agent.start()
        self.agent.wait_value(4, "shmon_clients_connected")  # every worker is back
        g.requests("/r", 200)
        self.assert_counted("/r", 600)


if __name__ == "__main__":
    unittest.main()
