// SPDX-License-Identifier: Apache-2.0
// The _shmon extension module: the probe's life in this process (probe_state), the metric types
// (metric), events, flush, and commands (commands). shmon/__init__.py and shmon/prometheus.py are
// the API apps import; this module is their engine.
#include <Python.h>

#include <cstdint>
#include <string>
#include <unordered_map>

#include "commands.hpp"
#include "metric.hpp"
#include "probe_state.hpp"

namespace shmon::python {
namespace {

PyObject* py_configure(PyObject*, PyObject* args, PyObject* kwargs) {
  if (PyTuple_GET_SIZE(args) != 0) {
    PyErr_SetString(PyExc_TypeError, "configure() takes keyword arguments only");
    return nullptr;
  }
  if (!configure(kwargs)) return nullptr;
  Py_RETURN_NONE;
}

PyObject* py_connected(PyObject*, PyObject*) {
  shmon_probe* p = probe_if_open();
  return PyBool_FromLong(p != nullptr && shmon_probe_connected(p) != 0);
}

PyObject* py_is_open(PyObject*, PyObject*) {
  return PyBool_FromLong(probe_if_open() != nullptr);
}

// wait_connected(timeout=5.0): opens the probe if needed; True once attached.
PyObject* py_wait_connected(PyObject*, PyObject* args) {
  double timeout = 5.0;
  if (!PyArg_ParseTuple(args, "|d", &timeout)) return nullptr;
  shmon_probe* p = probe();
  if (p == nullptr) return nullptr;
  const double ms = timeout <= 0 ? 0 : timeout * 1000.0;
  const std::uint32_t bound = ms >= 4e9 ? UINT32_MAX : std::uint32_t(ms);
  int ok = 0;
  Py_BEGIN_ALLOW_THREADS;
  ok = shmon_probe_wait_connected(p, bound);
  Py_END_ALLOW_THREADS;
  return PyBool_FromLong(ok);
}

PyObject* py_last_error(PyObject*, PyObject*) {
  const std::string text = probe_last_error();
  return PyUnicode_DecodeUTF8(text.data(), Py_ssize_t(text.size()), "replace");
}

// flush(): True once the agent has every update written so far (bounded by the probe's
// timeouts) and has made it durable; False when not attached, it timed out, or the agent could
// not store it yet (its disk is full: retry later).
PyObject* py_flush(PyObject*, PyObject*) {
  shmon_probe* p = probe_if_open();
  if (p == nullptr) Py_RETURN_TRUE;  // nothing was written
  int rc = 0;
  Py_BEGIN_ALLOW_THREADS;
  rc = shmon_flush(p);
  Py_END_ALLOW_THREADS;
  return PyBool_FromLong(rc == SHMON_OK);
}

// emit(type, text="", level=INFO) -> bool: False when the event was dropped (and counted: the
// payload is over 40 bytes, or the ring is full). Event types are cached by name.
PyObject* py_emit(PyObject*, PyObject* args, PyObject* kwargs) {
  static const char* keywords[] = {"type", "text", "level", nullptr};
  const char* type = nullptr;
  const char* text = nullptr;  // str (as UTF-8), bytes or None
  Py_ssize_t text_size = 0;
  int level = SHMON_INFO;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "s|z#i", const_cast<char**>(keywords), &type,
                                   &text, &text_size, &level)) {
    return nullptr;
  }
  if (level < SHMON_TRACE || level > SHMON_FATAL) {
    PyErr_Format(PyExc_ValueError, "level must be TRACE (0) .. FATAL (5), not %d", level);
    return nullptr;
  }
  static std::unordered_map<std::string, shmon_event_type*> types;
  shmon_probe* p = probe();
  if (p == nullptr) return nullptr;
  auto it = types.find(type);
  if (it == types.end()) {
    shmon_event_type* t = shmon_event_type_get(p, type);
    if (t == nullptr) {
      PyErr_Format(PyExc_ValueError, "shmon refused event type '%s': %s", type,
                   probe_last_error().c_str());
      return nullptr;
    }
    it = types.emplace(type, t).first;
  }
  const int rc = shmon_event_emit_bytes(p, it->second, level, text != nullptr ? text : "",
                                        std::size_t(text_size));
  return PyBool_FromLong(rc == SHMON_OK);
}

PyObject* py_after_fork_child(PyObject*, PyObject*) {
  reset_callbacks_after_fork();
  after_fork_child();
  Py_RETURN_NONE;
}

PyObject* py_shutdown(PyObject*, PyObject*) {
  shutdown_callbacks();
  Py_RETURN_NONE;
}

PyObject* py_histogram_buckets(PyObject*, PyObject*) {
  return PyLong_FromUnsignedLong(histogram_buckets());
}

PyObject* py_on_stop(PyObject* module, PyObject* fn) {
  return on_stop(module, fn);
}

template <class F>
PyCFunction fn(F f) {
  return reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(f));
}

PyMethodDef methods[] = {
    {"configure", fn(py_configure), METH_VARARGS | METH_KEYWORDS,
     "configure(*, instance, name, metric_capacity, histogram_capacity, histogram_buckets, "
     "shard_count, ring_capacity, max_label_sets_per_metric, max_labelled_series)"},
    {"connected", py_connected, METH_NOARGS, "True while the probe is attached to an agent"},
    {"is_open", py_is_open, METH_NOARGS, "True once this process opened its probe"},
    {"wait_connected", py_wait_connected, METH_VARARGS, "wait_connected(timeout=5.0) -> bool"},
    {"last_error", py_last_error, METH_NOARGS, "the probe's last error, '' when none"},
    {"flush", py_flush, METH_NOARGS, "flush() -> bool: the agent has every update so far"},
    {"emit", fn(py_emit), METH_VARARGS | METH_KEYWORDS, "emit(type, text='', level=INFO) -> bool"},
    {"on_command", fn(on_command), METH_VARARGS | METH_KEYWORDS,
     "on_command(name, fn, description=None)"},
    {"on_stop", py_on_stop, METH_O, "on_stop(fn)"},
    {"histogram_buckets", py_histogram_buckets, METH_NOARGS,
     "buckets per histogram, +Inf included"},
    {"_after_fork_child", py_after_fork_child, METH_NOARGS, "os.register_at_fork hook"},
    {"_shutdown", py_shutdown, METH_NOARGS, "atexit hook: no callback enters Python after it"},
    {nullptr, nullptr, 0, nullptr},
};

PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    "shmon._shmon",
    "The engine of the shmon package (docs/PYTHON.md).",
    -1,
    methods,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
};

}  // namespace
}  // namespace shmon::python

PyMODINIT_FUNC PyInit__shmon() {
  using namespace shmon::python;
  PyObject* m = PyModule_Create(&module_def);
  if (m == nullptr) return nullptr;
  const bool ok = add_metric_types(m) && PyModule_AddIntConstant(m, "TRACE", SHMON_TRACE) == 0 &&
                  PyModule_AddIntConstant(m, "DEBUG", SHMON_DEBUG) == 0 &&
                  PyModule_AddIntConstant(m, "INFO", SHMON_INFO) == 0 &&
                  PyModule_AddIntConstant(m, "WARN", SHMON_WARN) == 0 &&
                  PyModule_AddIntConstant(m, "ERROR", SHMON_ERROR) == 0 &&
                  PyModule_AddIntConstant(m, "FATAL", SHMON_FATAL) == 0;
  if (!ok) Py_CLEAR(m);
  return m;
}
