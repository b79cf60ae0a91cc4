# SPDX-License-Identifier: Apache-2.0
"""Pre-fork WSGI servers (Debian's gunicorn and uWSGI) serving wsgi_app.py for the tests: started
with their log in a file, driven by parallel HTTP requests, their workers listed from /proc,
stopped at teardown. Every wait is bounded."""
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading

from shmon_fixture import terminate, wait_until

HERE = os.path.dirname(os.path.abspath(__file__))


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self._path)


class Server:
    """A server process; subclasses start it and say how to connect."""
    stop_signal = signal.SIGTERM

    def __init__(self, agent, cmd):
        self.tmp = tempfile.mkdtemp(prefix="shmon-wsgi-")
        self.log = os.path.join(self.tmp, "server.log")
        self.proc = subprocess.Popen(cmd(self), env=agent.env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)

    def log_line(self, needle):
        if self.proc.poll() is not None:
            raise AssertionError("the server exited: %s" % self.read_log())
        for line in self.read_log().splitlines():
            if needle in line:
                return line
        return None

    def read_log(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def workers(self):
        with open("/proc/%d/task/%d/children" % (self.proc.pid, self.proc.pid)) as f:
            return {int(p) for p in f.read().split()}

    @staticmethod
    def probe_regions(pid):
        """The shmon data regions process `pid` maps (one per open probe)."""
        with open("/proc/%d/maps" % pid) as f:
            return [line.strip() for line in f if "memfd:shmon-data:" in line]

    def kill_workers(self, n):
        """SIGKILLs the server's `n` workers and waits until it has `n` new ones."""
        old = wait_until(lambda: len(self.workers()) == n and self.workers(), 20, "%d workers" % n)
        for pid in old:
            os.kill(pid, signal.SIGKILL)
        wait_until(lambda: len(self.workers() - old) == n, 20, "%d new workers" % n)

    def get(self, path):
        c = self.connection()
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
        if self.proc.poll() is None:
            self.proc.send_signal(self.stop_signal)
        terminate(self.proc, 15)
        shutil.rmtree(self.tmp, ignore_errors=True)


class Gunicorn(Server):
    def __init__(self, agent, args):
        super().__init__(agent, lambda s: [
            sys.executable, "-m", "gunicorn", "--chdir", HERE, "--bind", "127.0.0.1:0",
            "--error-logfile", s.log, "--graceful-timeout", "5"] + args + ["wsgi_app:app"])
        line = wait_until(lambda: self.log_line("Listening at: http://"), 20, "gunicorn's port")
        self.port = int(line.rsplit(":", 1)[1].split()[0])

    def connection(self):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)


class Uwsgi(Server):
    """uWSGI with its Python 3 plugin, serving HTTP on a unix socket (no port to pick)."""
    stop_signal = signal.SIGINT  # SIGTERM makes uWSGI reload, SIGINT stops it

    def __init__(self, agent, args):
        super().__init__(agent, lambda s: [
            "uwsgi_python3", "--master", "--http-socket", os.path.join(s.tmp, "http.sock"),
            "--chdir", HERE, "--wsgi-file", "wsgi_app.py", "--callable", "app",
            "--logto", s.log] + args)
        self.sock = os.path.join(self.tmp, "http.sock")
        wait_until(lambda: self.log_line("spawned uWSGI worker"), 20, "uWSGI's workers")

    def connection(self):
        return UnixHTTPConnection(self.sock, timeout=10)
