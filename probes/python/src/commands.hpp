// SPDX-License-Identifier: Apache-2.0
// Commands (docs/COMMANDS.md) handled by Python callables. The probe runs handlers on its
// connector thread; the callable runs there with the GIL taken for it. At interpreter exit
// (shutdown_callbacks, from an atexit hook) the package stops calling into Python, because a
// thread that takes the GIL while the interpreter finalizes is ended by CPython mid-call.
// REQUIRES: the GIL, for every function here.
#pragma once

#include <Python.h>

namespace shmon::python {

// on_command(name, fn, description=None): fn(payload: bytes) -> str | bytes | None.
PyObject* on_command(PyObject* module, PyObject* args, PyObject* kwargs);
// on_stop(fn): fn() runs when a tool sends `stop`; None removes the handler.
PyObject* on_stop(PyObject* module, PyObject* fn);
// No callback enters Python after this returns.
void shutdown_callbacks();
// In a fork child: the lock guarding callbacks may have been held by a thread not copied.
void reset_callbacks_after_fork();

}  // namespace shmon::python
