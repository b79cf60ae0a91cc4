# SPDX-License-Identifier: Apache-2.0
"""prometheus_client's metric classes over shmon: moving an app is one import line.

    from shmon.prometheus import Counter, Gauge, Histogram   # was: from prometheus_client import

Updates go to this process's shmon probe (a store to a shared-memory cell, no lock, no system
call); the shmon agent sums every process of the machine exactly, live and departed, and serves
them at its /metrics (docs/PROMETHEUS.md). There is no registry, no multiprocess directory and no
mark_process_dead: a worker that exits (or is killed) keeps counting in the totals by itself.

Exported names follow prometheus_client: Counter("app_requests") is app_requests_total,
Histogram("latency_seconds") is latency_seconds_bucket/_sum/_count. The differences are listed
in docs/PYTHON.md ("Differences from prometheus_client").
"""
import functools as _functools
from timeit import default_timer as _default_timer
import time as _time

from . import _shmon

__all__ = ["Counter", "Gauge", "Histogram", "INF"]

INF = float("inf")


def _full_name(kind, name, namespace, subsystem, unit):
    """The name prometheus_client would expose (its _build_full_name), which the agent exports
    unchanged: a counter's trailing _total is dropped here and added back by the exporter."""
    full = ""
    if namespace:
        full += namespace + "_"
    if subsystem:
        full += subsystem + "_"
    full += name
    if kind == "counter" and full.endswith("_total"):
        full = full[:-6]
    if unit and not full.endswith("_" + unit):
        full += "_" + unit
    return full


class _Decorator:
    """Context managers that also decorate: the call runs inside `with self._fresh()`."""

    def _fresh(self):
        return self

    def __call__(self, f):
        @_functools.wraps(f)
        def wrapped(*args, **kwargs):
            with self._fresh():
                return f(*args, **kwargs)
        return wrapped


class _Timer(_Decorator):
    """time(): a context manager and a decorator that hands the elapsed seconds to a callback
    (observe for histograms, set for gauges)."""

    def __init__(self, metric, callback_name):
        self._metric = metric
        self._callback_name = callback_name

    def __enter__(self):
        self._start = _default_timer()
        return self

    def __exit__(self, typ, value, traceback):
        duration = max(_default_timer() - self._start, 0)
        getattr(self._metric, self._callback_name)(duration)

    def labels(self, *args, **kwargs):
        self._metric = self._metric.labels(*args, **kwargs)

    def _fresh(self):
        return _Timer(self._metric, self._callback_name)  # each call times itself


class _InProgress(_Decorator):
    """track_inprogress(): +1 while a block or call runs."""

    def __init__(self, gauge):
        self._gauge = gauge

    def __enter__(self):
        self._gauge.inc()

    def __exit__(self, typ, value, traceback):
        self._gauge.dec()


class _ExceptionCounter(_Decorator):
    """count_exceptions(): +1 when the block or call raises `exception`."""

    def __init__(self, counter, exception):
        self._counter = counter
        self._exception = exception

    def __enter__(self):
        pass

    def __exit__(self, typ, value, traceback):
        if isinstance(value, self._exception):
            self._counter.inc()
        return False




class Counter(_shmon.CounterBase):
    """A counter: inc(amount=1) with a non-negative whole amount, labels(...)."""

    def __init__(self, name, documentation, labelnames=(), namespace="", subsystem="", unit="",
                 registry=None, _labelvalues=None):
        full = _full_name("counter", name, namespace, subsystem, unit)
        super().__init__(full, tuple(labelnames))
        self._name = full
        self._documentation = documentation

    def count_exceptions(self, exception=Exception):
        return _ExceptionCounter(self, exception)

    def __repr__(self):
        return "shmon.prometheus.Counter(%s_total)" % self._shmon_name


# prometheus_client's multiprocess_mode values, and what each becomes in shmon. The agent sums a
# gauge over the processes attached now ('livesum'); with `shmon-agent --metrics-per-client` it
# also exports one series per live process (<name>_by_client{client,slot}).
_GAUGE_MODES = {
    "livesum": "the sum over live processes (shmon's own aggregation)",
    "liveall": "one series per live process: <name>_by_client with --metrics-per-client",
    "all": "as 'liveall': a departed process's gauge leaves with it (no mark_process_dead)",
}
_GAUGE_MODES_REFUSED = {
    "sum": "shmon keeps no gauge of a departed process; use 'livesum', or a Counter for totals",
    "min": "the agent does not compute a minimum over processes",
    "livemin": "the agent does not compute a minimum over processes",
    "max": "the agent does not compute a maximum over processes",
    "livemax": "the agent does not compute a maximum over processes",
    "mostrecent": "the agent does not track which process wrote last",
    "livemostrecent": "the agent does not track which process wrote last",
}


class Gauge(_shmon.GaugeBase):
    """A gauge: set, inc, dec, set_to_current_time, track_inprogress, time, labels(...).
    Each process holds its own value; /metrics shows their sum over live processes."""

    def __init__(self, name, documentation, labelnames=(), namespace="", subsystem="", unit="",
                 registry=None, _labelvalues=None, multiprocess_mode="all"):
        if multiprocess_mode in _GAUGE_MODES_REFUSED:
            raise ValueError(
                "Gauge multiprocess_mode %r is not supported by shmon: %s (a gauge set by one "
                "process only has that value under 'livesum')"
                % (multiprocess_mode, _GAUGE_MODES_REFUSED[multiprocess_mode]))
        if multiprocess_mode not in _GAUGE_MODES:
            raise ValueError("Invalid multiprocess mode: " + str(multiprocess_mode))
        full = _full_name("gauge", name, namespace, subsystem, unit)
        super().__init__(full, tuple(labelnames))
        self._name = full
        self._documentation = documentation
        self._multiprocess_mode = multiprocess_mode

    def set_to_current_time(self):
        self.set(_time.time())

    def track_inprogress(self):
        return _InProgress(self)

    def time(self):
        return _Timer(self, "set")

    def set_function(self, f):
        raise ValueError("shmon gauges hold values the process sets; set_function (a value "
                         "computed at scrape time) is not supported")

    def __repr__(self):
        return "shmon.prometheus.Gauge(%s)" % self._shmon_name


class Histogram(_shmon.HistogramBase):
    """A histogram: observe(amount), time(), labels(...).

    A histogram whose name ends in _seconds records nanoseconds (bounds and observations are
    rounded to 1 ns) and is exported in seconds; any other histogram records whole numbers, so
    its bounds must be whole numbers (observations are rounded)."""

    DEFAULT_BUCKETS = (.005, .01, .025, .05, .075, .1, .25, .5, .75, 1.0, 2.5, 5.0, 7.5, 10.0, INF)

    def __init__(self, name, documentation, labelnames=(), namespace="", subsystem="", unit="",
                 registry=None, _labelvalues=None, buckets=DEFAULT_BUCKETS):
        full = _full_name("histogram", name, namespace, subsystem, unit)
        bounds = [float(b) for b in buckets]
        if bounds and bounds[-1] != INF:
            bounds.append(INF)
        if bounds != sorted(bounds):
            raise ValueError("Buckets not in sorted order")
        if len(bounds) < 2:
            raise ValueError("Must have at least two buckets")
        if INF in bounds[:-1]:
            raise ValueError("+Inf must be the last bucket")
        if full.endswith("_seconds"):
            scale, shmon_unit = 1e9, "ns"  # exported as seconds again (PROMETHEUS.md, units)
        else:
            scale, shmon_unit = 1.0, ("bytes" if full.endswith("_bytes") else "")
        scaled = []
        for b in bounds[:-1]:
            s = b * scale
            r = round(s)
            if abs(s - r) > 1e-6 * max(1.0, abs(s)):
                raise ValueError(
                    "histogram %r: bucket %r is not a whole number of %s; shmon records "
                    "integers (name a time histogram *_seconds or pass unit='seconds')"
                    % (full, b, "nanoseconds" if scale != 1.0 else "units"))
            scaled.append(int(r))
        super().__init__(full, tuple(labelnames), shmon_unit, scaled, scale)
        self._name = full
        self._documentation = documentation
        self._upper_bounds = bounds

    def time(self):
        return _Timer(self, "observe")

    def __repr__(self):
        return "shmon.prometheus.Histogram(%s)" % self._shmon_name
