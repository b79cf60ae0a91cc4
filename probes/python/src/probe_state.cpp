// SPDX-License-Identifier: Apache-2.0
#include "probe_state.hpp"

#include <string_view>

#include "shmon/types.hpp"

namespace shmon::python {

std::uint64_t fork_generation = 0;

namespace {

shmon_probe* g_probe = nullptr;
std::string g_instance, g_name;  // kept alive for the options' pointers
shmon_probe_options g_options = [] {
  shmon_probe_options o;
  shmon_probe_options_init(&o);
  // Room for what Python apps usually define: a few hundred series, dozens of histograms with
  // prometheus_client's default 15 buckets.
  o.metric_capacity = 1024;
  o.histogram_capacity = 64;
  o.histogram_buckets = 32;
  return o;
}();

struct U32Option {
  const char* key;
  std::uint32_t shmon_probe_options::*field;
};
constexpr U32Option kU32Options[] = {
    {"metric_capacity", &shmon_probe_options::metric_capacity},
    {"histogram_capacity", &shmon_probe_options::histogram_capacity},
    {"histogram_buckets", &shmon_probe_options::histogram_buckets},
    {"shard_count", &shmon_probe_options::shard_count},
    {"ring_capacity", &shmon_probe_options::ring_capacity},
    {"max_label_sets_per_metric", &shmon_probe_options::max_label_sets_per_metric},
    {"max_labelled_series", &shmon_probe_options::max_labelled_series},
};

bool set_string(PyObject* value, std::string& out, const char* key) {
  if (value == Py_None) {
    out.clear();
    return true;
  }
  Py_ssize_t n = 0;
  const char* s = PyUnicode_Check(value) ? PyUnicode_AsUTF8AndSize(value, &n) : nullptr;
  if (s == nullptr) {
    if (!PyErr_Occurred()) PyErr_Format(PyExc_TypeError, "%s must be a str or None", key);
    return false;
  }
  out.assign(s, std::size_t(n));
  return true;
}

}  // namespace

shmon_probe* probe() {
  if (g_probe != nullptr) return g_probe;
  g_options.instance = g_instance.empty() ? nullptr : g_instance.c_str();
  g_options.name = g_name.empty() ? nullptr : g_name.c_str();
  g_probe = shmon_probe_open_with(&g_options);
  if (g_probe == nullptr) PyErr_NoMemory();
  return g_probe;
}

shmon_probe* probe_if_open() {
  return g_probe;
}

std::string probe_last_error() {
  if (g_probe == nullptr) return {};
  char buf[512];
  const std::size_t n = shmon_probe_last_error(g_probe, buf, sizeof(buf));
  return std::string(buf, n < sizeof(buf) ? n : sizeof(buf) - 1);
}

bool configure(PyObject* kwargs) {
  if (g_probe != nullptr) {
    PyErr_SetString(PyExc_RuntimeError,
                    "shmon.configure() must come before the first metric update, event or "
                    "command: the probe is open already");
    return false;
  }
  if (kwargs == nullptr) return true;
  PyObject *key = nullptr, *value = nullptr;
  Py_ssize_t pos = 0;
  while (PyDict_Next(kwargs, &pos, &key, &value)) {
    const char* k = PyUnicode_AsUTF8(key);
    if (k == nullptr) return false;
    const std::string_view name(k);
    if (name == "instance" || name == "name") {
      if (!set_string(value, name == "instance" ? g_instance : g_name, k)) return false;
      continue;
    }
    const U32Option* opt = nullptr;
    for (const U32Option& o : kU32Options) {
      if (name == o.key) opt = &o;
    }
    if (opt == nullptr) {
      PyErr_Format(PyExc_TypeError, "configure() got an unexpected keyword argument '%s'", k);
      return false;
    }
    const unsigned long v = PyLong_AsUnsignedLong(value);
    if (PyErr_Occurred() || v > UINT32_MAX) {
      PyErr_Clear();
      PyErr_Format(PyExc_ValueError, "%s must be an int from 0 to %u (0: the default)", k,
                   unsigned(UINT32_MAX));
      return false;
    }
    g_options.*(opt->field) = std::uint32_t(v);
  }
  return true;
}

std::uint32_t histogram_buckets() {
  // 0 means the probe's default.
  return g_options.histogram_buckets != 0 ? g_options.histogram_buckets
                                          : DataParams{}.histogram_buckets;
}

void after_fork_child() {
  ++fork_generation;
  // Restarts the connector thread the fork left behind (it attaches and serves commands).
  if (g_probe != nullptr) shmon_probe_poll(g_probe);
}

}  // namespace shmon::python
