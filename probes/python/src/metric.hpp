// SPDX-License-Identifier: Apache-2.0
// The metric types of the `shmon` package: _shmon.CounterBase, GaugeBase and HistogramBase.
// shmon/prometheus.py subclasses them (Counter, Gauge, Histogram) with prometheus_client's naming
// rules and its conveniences (time(), track_inprogress(), ...); the updates and labels() are
// here, in C++, so a hot path pays one C call per update and one dict lookup per labels().
//
// One object is one series once it has all its label values: the metric itself when it has no
// label names, else each child labels(...) returns (cached in the parent by its values, so
// labels(...) costs one dict lookup after the first time). Its probe handle is resolved on first
// use (unlabelled) or when labels(...) creates the child, and kept for the process's life:
// probe handles stay valid across fork (probe_state.hpp).
#pragma once

#include <Python.h>

namespace shmon::python {

// Adds the three types to `module`. False with a Python exception set on failure.
bool add_metric_types(PyObject* module);

}  // namespace shmon::python
