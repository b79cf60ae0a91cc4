// SPDX-License-Identifier: Apache-2.0
#include "commands.hpp"

#include <algorithm>
#include <cstring>
#include <mutex>
#include <new>
#include <string>

#include "probe_state.hpp"

namespace shmon::python {
namespace {

// Held while a callback runs and while shutdown_callbacks() closes the door. Never held by a
// thread waiting for the GIL while the GIL's owner waits for it: shutdown releases the GIL first.
alignas(std::mutex) unsigned char g_mutex_storage[sizeof(std::mutex)];
std::mutex* g_mutex = new (g_mutex_storage) std::mutex();
bool g_accepting = true;

std::size_t copy_reply(const std::string& text, char* reply, std::size_t capacity) {
  const std::size_t n = std::min(text.size(), capacity);
  std::memcpy(reply, text.data(), n);
  return n;
}

// The text of the exception being handled ("" when none), which it clears.
std::string exception_text() {
  PyObject *type = nullptr, *value = nullptr, *trace = nullptr;
  PyErr_Fetch(&type, &value, &trace);
  std::string out = "exception";
  if (type != nullptr) out = reinterpret_cast<PyTypeObject*>(type)->tp_name;
  if (value != nullptr) {
    PyObject* s = PyObject_Str(value);
    const char* text = s != nullptr ? PyUnicode_AsUTF8(s) : nullptr;
    if (text != nullptr && *text != '\0') out += std::string(": ") + text;
    Py_XDECREF(s);
    PyErr_Clear();
  }
  Py_XDECREF(type);
  Py_XDECREF(value);
  Py_XDECREF(trace);
  return out;
}

// The handler's answer as reply bytes: bytes as they are, str as UTF-8, None as nothing,
// anything else through str().
bool reply_bytes(PyObject* result, std::string& out) {
  if (result == Py_None) return true;
  if (PyBytes_Check(result)) {
    out.assign(PyBytes_AS_STRING(result), std::size_t(PyBytes_GET_SIZE(result)));
    return true;
  }
  PyObject* s = PyObject_Str(result);
  Py_ssize_t n = 0;
  const char* text = s != nullptr ? PyUnicode_AsUTF8AndSize(s, &n) : nullptr;
  if (text != nullptr) out.assign(text, std::size_t(n));
  Py_XDECREF(s);
  return text != nullptr;
}

int run_command(void* user, const void* payload, std::size_t payload_size, char* reply,
                std::size_t reply_capacity, std::size_t* reply_size) {
  std::lock_guard lock(*g_mutex);
  if (!g_accepting) {
    *reply_size = copy_reply("the Python interpreter is exiting", reply, reply_capacity);
    return SHMON_COMMAND_ERROR;
  }
  const PyGILState_STATE gil = PyGILState_Ensure();
  PyObject* arg =
      PyBytes_FromStringAndSize(static_cast<const char*>(payload), Py_ssize_t(payload_size));
  PyObject* result =
      arg != nullptr ? PyObject_CallOneArg(static_cast<PyObject*>(user), arg) : nullptr;
  std::string text;
  const bool ok = result != nullptr && reply_bytes(result, text);
  if (!ok) text = exception_text();
  Py_XDECREF(result);
  Py_XDECREF(arg);
  PyGILState_Release(gil);
  *reply_size = copy_reply(text, reply, reply_capacity);
  return ok ? SHMON_COMMAND_OK : SHMON_COMMAND_ERROR;
}

void run_stop(void* user) {
  std::lock_guard lock(*g_mutex);
  if (!g_accepting) return;
  const PyGILState_STATE gil = PyGILState_Ensure();
  PyObject* result = PyObject_CallNoArgs(static_cast<PyObject*>(user));
  if (result == nullptr) PyErr_WriteUnraisable(static_cast<PyObject*>(user));
  Py_XDECREF(result);
  PyGILState_Release(gil);
}

}  // namespace

PyObject* on_command(PyObject*, PyObject* args, PyObject* kwargs) {
  static const char* keywords[] = {"name", "fn", "description", nullptr};
  const char* name = nullptr;
  const char* description = nullptr;
  PyObject* fn = nullptr;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "sO|z", const_cast<char**>(keywords), &name, &fn,
                                   &description)) {
    return nullptr;
  }
  if (!PyCallable_Check(fn)) {
    PyErr_SetString(PyExc_TypeError, "on_command: fn must be callable");
    return nullptr;
  }
  shmon_probe* p = probe();
  if (p == nullptr) return nullptr;
  // The probe keeps `fn` for its life (a command registered again replaces the handler, whose
  // callable then stays referenced: a few bytes per re-registration, never a dangling pointer).
  Py_INCREF(fn);
  if (shmon_probe_on_command(p, name, description, run_command, fn) != SHMON_OK) {
    Py_DECREF(fn);
    PyErr_Format(PyExc_ValueError, "shmon refused command '%s': %s", name,
                 probe_last_error().c_str());
    return nullptr;
  }
  Py_RETURN_NONE;
}

PyObject* on_stop(PyObject*, PyObject* fn) {
  if (fn != Py_None && !PyCallable_Check(fn)) {
    PyErr_SetString(PyExc_TypeError, "on_stop: fn must be callable or None");
    return nullptr;
  }
  shmon_probe* p = probe();
  if (p == nullptr) return nullptr;
  // The callable stays referenced for the process's life: a previous one may still be running
  // on the connector thread when it is replaced.
  if (fn != Py_None) Py_INCREF(fn);
  shmon_probe_on_stop(p, fn == Py_None ? nullptr : run_stop, fn == Py_None ? nullptr : fn);
  Py_RETURN_NONE;
}

void shutdown_callbacks() {
  Py_BEGIN_ALLOW_THREADS;
  {
    std::lock_guard lock(*g_mutex);
    g_accepting = false;
  }
  Py_END_ALLOW_THREADS;
}

void reset_callbacks_after_fork() {
  g_mutex = new (g_mutex_storage) std::mutex();
}

}  // namespace shmon::python
