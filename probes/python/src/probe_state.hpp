// SPDX-License-Identifier: Apache-2.0
// The process's one probe, as the Python package sees it. It is opened on first use (the first
// update of an unlabelled metric, the first labels(...) of a labelled one, an event, a command
// registration), never at import, so a pre-fork master that only defines metrics opens none.
//
// Fork: the probe's own fork handler (probes/src/fork.cpp) gives the child a fresh data region
// at the same address, keeps every registration and hands the region to the agent as a new
// client. Every handle the Python objects hold therefore stays valid in the child and counts
// there from zero; the package never opens a second probe after a fork (it would leak the
// inherited one, already attached as a client). What the Python layer adds after a fork
// (after_fork_child): gauges' process-local values start over at zero like the region's cells,
// and the connector thread, which does not survive fork(), is restarted at once so that a child
// that only updates cells still re-attaches after an agent restart.
//
// REQUIRES: every function here is called with the GIL held.
#pragma once

#include <Python.h>

#include <cstdint>
#include <string>

#include "shmon/probe.h"

namespace shmon::python {

// The probe, opened with the configured options if it is not yet. Never NULL (the C API returns
// NULL only when out of memory; then a MemoryError is set and NULL returned).
shmon_probe* probe();
// The probe if it is open, else NULL (no side effect).
shmon_probe* probe_if_open();
// The probe's last error ("" when there is none).
std::string probe_last_error();

// Options for the probe; false (and a Python exception set) when the probe is open already or a
// value is out of range.
bool configure(PyObject* kwargs);
// Buckets of each histogram (the region's histogram_buckets), including the +Inf bucket.
std::uint32_t histogram_buckets();

// Bumped in the child after every fork: gauges compare it with the generation of their value.
extern std::uint64_t fork_generation;
void after_fork_child();

}  // namespace shmon::python
