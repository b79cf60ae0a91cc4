# SPDX-License-Identifier: Apache-2.0
"""Child processes for the Python GUI tests (inspector, tray): spawned in their own process group
with output on a pipe, waited on by printed lines with a deadline, killed at teardown."""
import os
import selectors
import subprocess
import signal
import sys
import time

CHILDREN = []


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def spawn(cmd, env, stdin=subprocess.DEVNULL, log=None):
    # Own process group: xvfb-run's Xvfb and the inspector die together at teardown.
    p = subprocess.Popen(cmd, env=env, stdin=stdin, stdout=subprocess.PIPE,
                         stderr=log or subprocess.STDOUT, start_new_session=True)
    os.set_blocking(p.stdout.fileno(), False)
    p.buffer = b""
    CHILDREN.append(p)
    return p


def wait_line(p, needle, timeout_s, what):
    """Reads p's stdout until a line contains `needle` (bounded); returns that line."""
    deadline = time.monotonic() + timeout_s
    sel = selectors.DefaultSelector()
    sel.register(p.stdout, selectors.EVENT_READ)
    try:
        while True:
            while b"\n" in p.buffer:
                line, p.buffer = p.buffer.split(b"\n", 1)
                text = line.decode(errors="replace")
                print("  [%s] %s" % (what, text))
                if needle in text:
                    return text
            left = deadline - time.monotonic()
            if left <= 0:
                fail("timed out after %.0f s waiting for %r from %s" % (timeout_s, needle, what))
            if sel.select(timeout=left):
                chunk = p.stdout.read()
                if chunk:
                    p.buffer += chunk
                elif p.poll() is not None:
                    fail("%s exited (%s) before printing %r" % (what, p.returncode, needle))
    finally:
        sel.close()


def teardown():
    for p in reversed(CHILDREN):
        if p.poll() is None:
            try:
                if p.stdin:
                    p.stdin.close()
                os.killpg(p.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError, BrokenPipeError):
                pass
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
