# SPDX-License-Identifier: Apache-2.0
"""shmon for Python: counters, gauges, histograms, events and commands through the shmon probe.

Metrics with prometheus_client's API are in ``shmon.prometheus`` (a one-line migration); this
module holds the probe-level API:

    import shmon
    shmon.configure(instance="prod", name="checkout")  # optional; before the first update
    shmon.emit("job.done", "cart=42", shmon.WARN)      # an event with a level
    shmon.on_command("reload", lambda payload: "ok")   # shmonctl send checkout reload
    shmon.on_stop(lambda: os.kill(os.getpid(), signal.SIGTERM))

One probe per process, opened on first use. Fork keeps it working: the probe's fork handler gives
the child a fresh region of its own (docs/PYTHON.md, "Fork"); the hook below restarts what the
fork left behind. Spans are not in shmon yet.
"""
import atexit as _atexit
import os as _os

from . import _shmon
from ._shmon import (  # noqa: F401  (the public API)
    DEBUG,
    ERROR,
    FATAL,
    INFO,
    TRACE,
    WARN,
    configure,
    connected,
    emit,
    flush,
    is_open,
    last_error,
    on_stop,
    wait_connected,
)

__all__ = [
    "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL",
    "configure", "connected", "wait_connected", "is_open", "last_error", "flush",
    "emit", "on_command", "command", "on_stop", "after_fork",
]


def after_fork():
    """For servers that fork without os.fork (uWSGI forks in C): call it first thing in each
    child (uWSGI: ``uwsgidecorators.postfork(shmon.after_fork)``). os.fork, multiprocessing,
    gunicorn and Celery's billiard run it by themselves. Never call it in a parent."""
    _shmon._after_fork_child()


def on_command(name, fn, description=None):
    """Registers ``fn(payload: bytes) -> str | bytes | None`` as the command ``name``
    (1..31 bytes of [A-Za-z0-9._-]). It runs on the probe's connector thread; an exception becomes
    an error reply naming it. Replies are cut at 1,536 bytes (docs/COMMANDS.md)."""
    _shmon.on_command(name, fn, description)


def command(name, description=None):
    """Decorator form of on_command."""
    def register(fn):
        on_command(name, fn, description)
        return fn
    return register


_os.register_at_fork(after_in_child=_shmon._after_fork_child)
_atexit.register(_shmon._shutdown)
