# SPDX-License-Identifier: Apache-2.0
"""A real shmon agent for the Python package's tests: its own runtime and state directories, a
/metrics port the kernel picks, started, killed and restarted on demand; scrapes parsed with
prometheus_client's parser; waits bounded by a deadline.

The environment (set by tests/python/CMakeLists.txt): PYTHONPATH names the built package,
SHMON_TEST_AGENT and SHMON_TEST_CTL the programs."""
import os
import re
import selectors
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

AGENT = os.environ.get("SHMON_TEST_AGENT", "shmon-agent")
POLL_S = 0.02  # the poll interval of bounded waits below, never a synchronization by itself


def wait_until(condition, timeout_s, what):
    """Polls condition() until it returns a true value (returned) or the deadline passes."""
    deadline = time.monotonic() + timeout_s
    last = None
    while True:
        last = condition()
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.0f s waiting for %s (last: %r)"
                                 % (timeout_s, what, last))
        time.sleep(POLL_S)


def read_line(proc, needle, timeout_s, what):
    """Reads proc's stdout (a pipe) until a line contains `needle`; returns the line."""
    deadline = time.monotonic() + timeout_s
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    buf = b""
    try:
        while True:
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                text = line.decode(errors="replace")
                if needle in text:
                    return text
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("timed out waiting for %r from %s" % (needle, what))
            if sel.select(timeout=left):
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    raise AssertionError("%s exited (%s) before printing %r"
                                         % (what, proc.wait(timeout=5), needle))
                buf += chunk
    finally:
        sel.close()


def terminate(proc, timeout_s=10):
    """SIGTERM, then SIGKILL if it is still there after timeout_s."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


class Agent:
    """One instance served by a real shmon-agent, with a durable state directory so that a
    restart keeps what the agent acknowledged."""

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="shmon-py-")
        self.instance = "py%d" % os.getpid()
        self.env = dict(os.environ)
        self.env["SHMON_RUNTIME_DIR"] = os.path.join(self.tmp, "rt")
        self.env["SHMON_INSTANCE"] = self.instance
        os.makedirs(self.env["SHMON_RUNTIME_DIR"], mode=0o700)
        self.proc = None
        self.url = None

    def start(self, extra=()):
        cmd = [AGENT, "--instance", self.instance, "--state-dir", os.path.join(self.tmp, "state"),
               "--metrics-listen", "127.0.0.1:0"] + list(extra)
        self.proc = subprocess.Popen(cmd, env=self.env, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL)
        line = read_line(self.proc, "shmon-agent: ready", 15, "shmon-agent")
        self.url = re.search(r"metrics=(http://\S+)", line).group(1)
        return self

    def kill(self):
        """SIGKILL: the agent gets no chance to save anything beyond what it had."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.proc.stdout.close()
        self.proc = None

    def stop(self):
        if self.proc is not None:
            terminate(self.proc)
            self.proc.stdout.close()
            self.proc = None
        shutil.rmtree(self.tmp, ignore_errors=True)

    def scrape_text(self):
        with urllib.request.urlopen(self.url, timeout=10) as r:
            return r.read().decode()

    def samples(self):
        """{(sample name, frozenset of labels): value} of one scrape."""
        out = {}
        for family in text_string_to_metric_families(self.scrape_text()):
            for s in family.samples:
                out[(s.name, frozenset(s.labels.items()))] = s.value
        return out

    def value(self, name, **labels):
        return self.samples().get((name, frozenset(labels.items())))

    def wait_value(self, expected, name, timeout_s=20, monotonic=True, **labels):
        """Waits until the sample equals `expected`. A count (monotonic) fails at once if it ever
        exceeds it (taken twice); a gauge may pass through higher values on its way."""
        def check():
            v = self.value(name, **labels)
            if monotonic and v is not None and v > expected:
                raise AssertionError("%s%s is %s, above the %s counted" % (name, labels, v, expected))
            return v == expected
        wait_until(check, timeout_s, "%s%s == %s" % (name, labels, expected))
