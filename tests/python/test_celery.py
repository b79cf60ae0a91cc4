# SPDX-License-Identifier: Apache-2.0
"""Celery (Debian's) with its prefork pool, against a real agent: pool processes forked by
billiard (with os.fork, so the package's at-fork hook runs) and recycled by
--max-tasks-per-child count every task exactly once."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from shmon_fixture import Agent, terminate, wait_until

HERE = os.path.dirname(os.path.abspath(__file__))


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


class CeleryTest(unittest.TestCase):
    def setUp(self):
        self.agent = Agent().start()
        self.addCleanup(self.agent.stop)
        self.broker = tempfile.mkdtemp(prefix="shmon-celery-")
        self.addCleanup(shutil.rmtree, self.broker, True)
        os.environ["SHMON_TEST_BROKER_DIR"] = self.agent.env["SHMON_TEST_BROKER_DIR"] = self.broker

    def test_recycled_pool_processes(self):
        log = os.path.join(self.broker, "worker.log")
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "celery_app", "worker", "--pool", "prefork",
             "--concurrency", "4", "--max-tasks-per-child", "10", "--without-heartbeat",
             "--without-gossip", "--without-mingle", "--logfile", log, "--loglevel", "INFO"],
            cwd=HERE, env=self.agent.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.addCleanup(terminate, worker, 15)

        def ready():
            if worker.poll() is not None:
                raise AssertionError("the celery worker exited (%s): %s"
                                     % (worker.returncode, read(log)))
            return "ready." in read(log)
        wait_until(ready, 30, "the celery worker to be ready")
        sys.path.insert(0, HERE)
        import celery_app  # the producer side: defines the counter, never updates it
        for _ in range(200):
            celery_app.work.delay("t")
        self.agent.wait_value(200, "celery_tasks_total", timeout_s=60, kind="t")
        # The pool processes were recycled (200 tasks / 10 per process), and each counted.
        self.assertGreaterEqual(self.agent.value("shmon_clients_departed_total"), 200 / 10 - 4,
                                read(log))


if __name__ == "__main__":
    unittest.main()
