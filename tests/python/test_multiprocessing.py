# SPDX-License-Identifier: Apache-2.0
"""multiprocessing with the fork and spawn start methods, against a real agent: children count
from zero (a forked child inherits its parent's metrics, not its counts), every child's updates
are counted exactly once, and forked children whose only work is updates re-attach to a restarted
agent (the connector thread the fork left behind is restarted by the package's fork hook)."""
import multiprocessing
import os
import subprocess
import sys
import unittest

from shmon_fixture import Agent, wait_until

AGENT = None


def setUpModule():
    # One agent for the module: this process opens one probe for its life, on the instance the
    # environment names when it opens.
    global AGENT
    AGENT = Agent().start()
    os.environ.update({k: AGENT.env[k] for k in ("SHMON_RUNTIME_DIR", "SHMON_INSTANCE")})


def tearDownModule():
    AGENT.stop()


from shmon.prometheus import Counter, Gauge, Histogram  # noqa: E402

N = 250
TICKS = Counter("mp_ticks", "Ticks.")
JOBS = Counter("mp_jobs", "Jobs by kind.", ["kind"])
WORK = Histogram("mp_work_seconds", "Work time.")
BUSY = Gauge("mp_busy", "Busy processes.", multiprocess_mode="livesum")


def count(n, kind):
    for _ in range(n):
        TICKS.inc()
        JOBS.labels(kind).inc()
        WORK.observe(0.001)


def child(kind, ready, go):
    """Counts N, holds BUSY at 1 (its own value) until `go`, then exits."""
    count(N, kind)
    BUSY.inc()
    ready.release()
    go.wait(timeout=60)


def pool_task(i):
    count(25, "pool")
    return os.getpid()


def restart_child(ready, go, done, again):
    count(N, "restart")
    ready.release()
    go.wait(timeout=60)  # the agent is killed meanwhile
    count(N, "restart")
    done.release()
    again.wait(timeout=60)  # and restarted meanwhile


class MultiprocessingTest(unittest.TestCase):
    def reap(self, procs, *events):
        """Teardown: no child outlives its test, whatever failed."""
        for e in events:
            e.set()
        for p in procs:
            p.join(timeout=10)
            if p.exitcode is None:
                p.kill()
                p.join(timeout=10)
        BUSY.set(0)

    def run_children(self, method, kind):
        ctx = multiprocessing.get_context(method)
        ready, go = ctx.Semaphore(0), ctx.Event()
        before = AGENT.value("mp_ticks_total") or 0
        TICKS.inc(7)  # the parent counts too, and opens its probe before forking
        BUSY.set(5)
        procs = [ctx.Process(target=child, args=(kind, ready, go)) for _ in range(4)]
        self.addCleanup(self.reap, procs, go)
        for p in procs:
            p.start()
        for _ in procs:
            self.assertTrue(ready.acquire(timeout=60))
        # Each child's gauge is its own (1), not the parent's 5 it inherited plus one.
        AGENT.wait_value(5 + 4, "mp_busy")
        go.set()
        for p in procs:
            p.join(timeout=60)
            self.assertEqual(p.exitcode, 0)
        AGENT.wait_value(before + 7 + 4 * N, "mp_ticks_total")
        AGENT.wait_value(4 * N, "mp_jobs_total", kind=kind)
        # The children left, their gauges with them (the agent notices each exit in turn).
        AGENT.wait_value(5, "mp_busy", monotonic=False)

    def test_fork(self):
        self.run_children("fork", "fork")

    def test_spawn(self):
        self.run_children("spawn", "spawn")

    def test_exit_at_once(self):
        # Processes that exit right after their first updates, before a connector thread could
        # attach them, still count: the probe sends its attach request when it opens. Run in a
        # fresh interpreter whose parent never opens a probe (so no fork handler attaches them).
        script = """if True:
            import os
            from shmon.prometheus import Counter
            quick = Counter("mp_quick", "Quick.")
            for _ in range(20):
                pid = os.fork()
                if pid == 0:
                    quick.inc(3)
                    os._exit(0)
                os.waitpid(pid, 0)
            """
        subprocess.run([sys.executable, "-c", script], env=AGENT.env, check=True, timeout=60)
        AGENT.wait_value(20 * 3, "mp_quick_total")

    def test_fork_pool_recycled(self):
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(4, maxtasksperchild=1) as pool:
            pids = pool.map(pool_task, range(40), chunksize=1)
        self.assertEqual(len(set(pids)), 40)  # 40 processes, each gone after its task
        AGENT.wait_value(40 * 25, "mp_jobs_total", kind="pool")

    def test_agent_restart_with_forked_children(self):
        ctx = multiprocessing.get_context("fork")
        ready, go, done, again = ctx.Semaphore(0), ctx.Event(), ctx.Semaphore(0), ctx.Event()
        # The parent registers every series the children use, so that the children make no
        # registration (which would restart their connector threads by itself).
        count(1, "restart")
        procs = [ctx.Process(target=restart_child, args=(ready, go, done, again))
                 for _ in range(2)]
        self.addCleanup(self.reap, procs, go, again)
        for p in procs:
            p.start()
        for _ in procs:
            self.assertTrue(ready.acquire(timeout=60))
        AGENT.wait_value(1 + 2 * N, "mp_jobs_total", kind="restart")
        AGENT.kill()
        go.set()
        for _ in procs:
            self.assertTrue(done.acquire(timeout=60))  # counted while no agent runs
        AGENT.start()
        # The children make no call: they are back only through their connector threads.
        wait_until(lambda: (AGENT.value("shmon_clients_connected") or 0) >= 3, 20,
                   "the parent and both children attached to the new agent")
        again.set()
        for p in procs:
            p.join(timeout=60)
            self.assertEqual(p.exitcode, 0)
        AGENT.wait_value(1 + 4 * N, "mp_jobs_total", kind="restart")


if __name__ == "__main__":
    unittest.main()
