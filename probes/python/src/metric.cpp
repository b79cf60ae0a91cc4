// SPDX-License-Identifier: Apache-2.0
#include "metric.hpp"

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "amounts.hpp"
#include "probe_state.hpp"
#include "shmon/labels.hpp"
#include "shmon/names.hpp"

namespace shmon::python {
namespace {

enum class Kind { kCounter, kGauge, kHistogram };

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::kCounter:
      return "counter";
    case Kind::kGauge:
      return "gauge";
    case Kind::kHistogram:
      return "histogram";
  }
  return "metric";
}

// What a metric and all its children share; freed with the last of them.
struct MetricSpec {
  int refs = 1;
  Kind kind = Kind::kCounter;
  std::string name;  // the name the probe registers (the agent exports it, docs/PYTHON.md)
  std::string unit;  // the probe's unit ("" for none)
  std::vector<std::string> labelnames;
  std::vector<std::int64_t> bounds;  // histograms: inclusive upper bounds, scaled; no +Inf
  double scale = 1;                  // histograms: observed value x scale = recorded integer
  bool warned = false;               // a refusal was reported (once per metric)
};

void release(MetricSpec* s) {
  if (s != nullptr && --s->refs == 0) delete s;
}

struct MetricObject {
  PyObject ob_base;    // PyObject_HEAD
  void* handle;        // shmon_counter*/shmon_gauge*/shmon_histogram*; NULL: none yet
  int resolved;        // registration was attempted (a refused one leaves handle NULL)
  double scale;        // a copy of spec->scale for the hot path
  double gauge_value;  // gauges: this process's value, valid for gauge_generation
  std::uint64_t gauge_generation;
  MetricSpec* spec;
  PyObject* parent;        // children: the metric they belong to
  PyObject* label_values;  // children: a tuple of str, in labelnames order
  PyObject* children;      // metrics with label names: {values tuple: child}
};

MetricObject* as_metric(PyObject* o) {
  return reinterpret_cast<MetricObject*>(o);
}

// --- registration -------------------------------------------------------------------------------

void report_refusal(MetricObject* m) {
  MetricSpec& s = *m->spec;
  if (s.warned) return;
  s.warned = true;
  const std::string why = probe_last_error();
  // A warning, not an exception: a bound reached at run time must not fail the app's request.
  // The probe counts every refusal (label_sets_refused, docs/PROMETHEUS.md). Where warnings are
  // errors, the warning is the exception the caller propagates.
  (void)PyErr_WarnFormat(PyExc_RuntimeWarning, 1,
                         "shmon refused %s '%s' (updates to it are ignored): %s", kind_name(s.kind),
                         s.name.c_str(), why.c_str());
}

// The series' handle, registering it on first use. NULL when refused (warned) or on error (a
// Python exception set).
void* resolve(MetricObject* m) {
  if (m->spec == nullptr) {  // a subclass whose __init__ did not call the base's
    PyErr_SetString(PyExc_RuntimeError, "the metric was not initialized");
    return nullptr;
  }
  MetricSpec& s = *m->spec;
  if (!s.labelnames.empty() && m->label_values == nullptr) {
    PyErr_Format(PyExc_ValueError, "%s metric is missing label values", kind_name(s.kind));
    return nullptr;
  }
  if (m->resolved) return m->handle;
  shmon_probe* p = probe();
  if (p == nullptr) return nullptr;
  std::vector<shmon_label> labels;
  for (std::size_t i = 0; i < s.labelnames.size(); ++i) {
    const char* v = PyUnicode_AsUTF8(PyTuple_GET_ITEM(m->label_values, Py_ssize_t(i)));
    if (v == nullptr) return nullptr;
    labels.push_back({s.labelnames[i].c_str(), v});
  }
  const char* unit = s.unit.empty() ? nullptr : s.unit.c_str();
  const char* name = s.name.c_str();
  void* h = nullptr;
  switch (s.kind) {
    case Kind::kCounter:
      h = shmon_counter_get_labels(p, name, labels.data(), labels.size(), unit);
      break;
    case Kind::kGauge:
      h = shmon_gauge_get_labels(p, name, labels.data(), labels.size(), unit);
      break;
    case Kind::kHistogram:
      h = shmon_histogram_get_labels(p, name, labels.data(), labels.size(), s.bounds.data(),
                                     s.bounds.size(), unit);
      break;
  }
  m->resolved = 1;
  m->handle = h;
  if (h == nullptr) report_refusal(m);
  return h;
}

// The handle on the hot path: one load and a branch once resolved.
inline void* handle_of(MetricObject* m) {
  return m->handle != nullptr ? m->handle : resolve(m);
}

// --- arguments ----------------------------------------------------------------------------------

// The one optional argument of inc/dec/set/observe, positional or by `keyword`; `fallback` when
// absent. NULL with TypeError for anything else.
PyObject* one_arg(PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames, const char* keyword,
                  PyObject* fallback, const char* method) {
  const Py_ssize_t nkw = kwnames != nullptr ? PyTuple_GET_SIZE(kwnames) : 0;
  if (nargs + nkw == 0 && fallback != nullptr) return fallback;
  if (nargs + nkw == 1) {
    if (nargs == 1) return args[0];
    if (PyUnicode_CompareWithASCIIString(PyTuple_GET_ITEM(kwnames, 0), keyword) == 0)
      return args[0];
  }
  PyErr_Format(PyExc_TypeError, "%s() takes one argument, '%s'%s", method, keyword,
               fallback != nullptr ? " (optional)" : "");
  return nullptr;
}

PyObject* one() {
  static PyObject* const value = PyLong_FromLong(1);
  return value;
}

// A gauge's value in this process: it starts over at zero in a fork child, as its cell does.
double& gauge_value(MetricObject* m) {
  if (m->gauge_generation != fork_generation) {
    m->gauge_value = 0;
    m->gauge_generation = fork_generation;
  }
  return m->gauge_value;
}

PyObject* done_or_error(void* handle) {
  if (handle == nullptr && PyErr_Occurred()) return nullptr;
  Py_RETURN_NONE;
}

// --- updates ------------------------------------------------------------------------------------

PyObject* counter_inc(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  PyObject* amount = one_arg(args, nargs, kwnames, "amount", one(), "inc");
  std::uint64_t delta = 1;
  if (amount == nullptr || (amount != one() && !counter_delta(amount, &delta))) return nullptr;
  void* h = handle_of(as_metric(self));
  if (h != nullptr) shmon_counter_add(static_cast<shmon_counter*>(h), delta);
  return done_or_error(h);
}

PyObject* gauge_update(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames,
                       const char* method, int sign) {
  PyObject* amount = one_arg(args, nargs, kwnames, sign == 0 ? "value" : "amount",
                             sign == 0 ? nullptr : one(), method);
  double v = 0;
  if (amount == nullptr || !real_value(amount, &v)) return nullptr;
  MetricObject* m = as_metric(self);
  void* h = handle_of(m);
  if (h == nullptr) return done_or_error(h);
  double& value = gauge_value(m);
  value = sign == 0 ? v : value + sign * v;
  shmon_gauge_set(static_cast<shmon_gauge*>(h), value);
  Py_RETURN_NONE;
}

PyObject* gauge_inc(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  return gauge_update(self, args, nargs, kwnames, "inc", 1);
}
PyObject* gauge_dec(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  return gauge_update(self, args, nargs, kwnames, "dec", -1);
}
PyObject* gauge_set(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  return gauge_update(self, args, nargs, kwnames, "set", 0);
}

PyObject* histogram_observe(PyObject* self, PyObject* const* args, Py_ssize_t nargs,
                            PyObject* kwnames) {
  PyObject* amount = one_arg(args, nargs, kwnames, "amount", nullptr, "observe");
  double v = 0;
  if (amount == nullptr || !real_value(amount, &v)) return nullptr;
  MetricObject* m = as_metric(self);
  std::int64_t recorded = 0;
  if (!histogram_value(v, m->scale, &recorded)) return nullptr;
  void* h = handle_of(m);
  if (h != nullptr) shmon_histogram_record(static_cast<shmon_histogram*>(h), recorded);
  return done_or_error(h);
}

// --- labels -------------------------------------------------------------------------------------

bool all_exact_str(PyObject* tuple) {
  for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(tuple); ++i) {
    if (!PyUnicode_CheckExact(PyTuple_GET_ITEM(tuple, i))) return false;
  }
  return true;
}

// The label values as a tuple of str in labelnames order (prometheus_client's rules: positional
// or by name, never both; every value through str()). New reference, or NULL with ValueError.
PyObject* normalized_values(const MetricSpec& s, PyObject* args, PyObject* kwargs) {
  const Py_ssize_t n = Py_ssize_t(s.labelnames.size());
  const Py_ssize_t nkw = kwargs != nullptr ? PyDict_GET_SIZE(kwargs) : 0;
  if (nkw > 0 && PyTuple_GET_SIZE(args) > 0) {
    PyErr_SetString(PyExc_ValueError, "Can't pass both *args and **kwargs");
    return nullptr;
  }
  if (nkw > 0 ? nkw != n : PyTuple_GET_SIZE(args) != n) {
    PyErr_SetString(PyExc_ValueError, nkw > 0 ? "Incorrect label names" : "Incorrect label count");
    return nullptr;
  }
  PyObject* out = PyTuple_New(n);
  if (out == nullptr) return nullptr;
  for (Py_ssize_t i = 0; i < n; ++i) {
    PyObject* v = PyTuple_GET_ITEM(args, i);
    if (nkw > 0) {
      v = PyDict_GetItemString(kwargs, s.labelnames[std::size_t(i)].c_str());
      if (v == nullptr) {
        Py_DECREF(out);
        PyErr_SetString(PyExc_ValueError, "Incorrect label names");
        return nullptr;
      }
    }
    PyObject* text = PyObject_Str(v);
    if (text == nullptr) {
      Py_DECREF(out);
      return nullptr;
    }
    PyTuple_SET_ITEM(out, i, text);
  }
  return out;
}

// shmon's rules for label values (labels.hpp), checked before the probe so that an invalid value
// is the caller's ValueError, while a bound the probe reaches is a warning (report_refusal).
bool check_values(const MetricSpec& s, PyObject* values) {
  for (std::size_t i = 0; i < s.labelnames.size(); ++i) {
    Py_ssize_t len = 0;
    const char* v = PyUnicode_AsUTF8AndSize(PyTuple_GET_ITEM(values, Py_ssize_t(i)), &len);
    if (v == nullptr) return false;
    if (auto err = check_label_value(s.labelnames[i], std::string_view(v, std::size_t(len)))) {
      PyErr_Format(PyExc_ValueError, "%s '%s': %s", kind_name(s.kind), s.name.c_str(),
                   err->c_str());
      return false;
    }
  }
  return true;
}

PyObject* new_child(MetricObject* parent, PyObject* values) {
  PyTypeObject* type = Py_TYPE(parent);
  MetricObject* c = as_metric(type->tp_alloc(type, 0));
  if (c == nullptr) return nullptr;
  c->spec = parent->spec;
  ++c->spec->refs;
  c->scale = parent->scale;
  Py_INCREF(parent);
  c->parent = reinterpret_cast<PyObject*>(parent);
  Py_INCREF(values);
  c->label_values = values;
  return reinterpret_cast<PyObject*>(c);
}

PyObject* metric_labels(PyObject* self, PyObject* args, PyObject* kwargs) {
  MetricObject* m = as_metric(self);
  if (m->spec == nullptr) {
    PyErr_SetString(PyExc_RuntimeError, "the metric was not initialized");
    return nullptr;
  }
  const MetricSpec& s = *m->spec;
  if (m->children == nullptr) {
    PyErr_Format(PyExc_ValueError,
                 m->parent != nullptr ? "%s '%s' has its label values already"
                                      : "No label names were set when constructing %s '%s'",
                 kind_name(s.kind), s.name.c_str());
    return nullptr;
  }
  // The hot path: positional str values are the cache key as they are.
  const bool plain = (kwargs == nullptr || PyDict_GET_SIZE(kwargs) == 0) && all_exact_str(args);
  if (plain) {
    PyObject* child = PyDict_GetItemWithError(m->children, args);
    if (child != nullptr) return Py_NewRef(child);
    if (PyErr_Occurred()) return nullptr;
  }
  PyObject* values = normalized_values(s, args, kwargs);
  if (values == nullptr) return nullptr;
  PyObject* child = PyDict_GetItemWithError(m->children, values);
  if (child != nullptr || PyErr_Occurred() || !check_values(s, values)) {
    Py_DECREF(values);
    return child != nullptr ? Py_NewRef(child) : nullptr;
  }
  child = new_child(m, values);
  if (child != nullptr && resolve(as_metric(child)) == nullptr) {
    if (PyErr_Occurred()) Py_CLEAR(child);
    // A refused series is not cached: its values may be a cardinality explosion.
  } else if (child != nullptr && PyDict_SetItem(m->children, values, child) < 0) {
    Py_CLEAR(child);
  }
  Py_DECREF(values);
  return child;
}

// --- construction -------------------------------------------------------------------------------

bool parse_labelnames(PyObject* seq, MetricSpec& s) {
  PyObject* fast = PySequence_Fast(seq, "labelnames must be a sequence of str");
  if (fast == nullptr) return false;
  bool ok = PySequence_Fast_GET_SIZE(fast) <= Py_ssize_t(kMaxLabels);
  if (!ok) PyErr_Format(PyExc_ValueError, "shmon metrics take at most %d labels", int(kMaxLabels));
  for (Py_ssize_t i = 0; ok && i < PySequence_Fast_GET_SIZE(fast); ++i) {
    const char* n = PyUnicode_Check(PySequence_Fast_GET_ITEM(fast, i))
                        ? PyUnicode_AsUTF8(PySequence_Fast_GET_ITEM(fast, i))
                        : nullptr;
    if (n == nullptr) {
      if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "label names must be str");
      ok = false;
    } else if (auto err = check_label_name(n)) {
      PyErr_Format(PyExc_ValueError, "Invalid label metric name: %s", err->c_str());
      ok = false;
    } else {
      for (const std::string& seen : s.labelnames) {
        if (seen == n) {
          PyErr_Format(PyExc_ValueError, "label name '%s' is given twice", n);
          ok = false;
        }
      }
      s.labelnames.emplace_back(n);
    }
  }
  Py_DECREF(fast);
  return ok;
}

bool parse_bounds(PyObject* seq, MetricSpec& s) {
  if (seq == Py_None) return true;
  PyObject* fast = PySequence_Fast(seq, "bounds must be a sequence of int");
  if (fast == nullptr) return false;
  bool ok = true;
  for (Py_ssize_t i = 0; ok && i < PySequence_Fast_GET_SIZE(fast); ++i) {
    const long long b = PyLong_AsLongLong(PySequence_Fast_GET_ITEM(fast, i));
    ok = !(b == -1 && PyErr_Occurred());
    if (ok && !s.bounds.empty() && b <= s.bounds.back()) {
      PyErr_SetString(PyExc_ValueError, "Buckets not in sorted order");
      ok = false;
    }
    if (ok) s.bounds.push_back(b);
  }
  Py_DECREF(fast);
  // The region's last bucket is +Inf: the given bounds need one bucket more.
  if (ok && s.bounds.size() + 1 > histogram_buckets()) {
    PyErr_Format(PyExc_ValueError,
                 "%zu buckets and +Inf do not fit the probe's %u buckets per histogram; "
                 "call shmon.configure(histogram_buckets=N) before the first update",
                 s.bounds.size(), unsigned(histogram_buckets()));
    ok = false;
  }
  return ok;
}

// __init__(name, labelnames=(), unit="", bounds=None, scale=1.0): `name` is what the probe
// registers, `bounds` the scaled histogram bounds (shmon/prometheus.py computes both).
int metric_init(PyObject* self, PyObject* args, PyObject* kwargs, Kind kind) {
  static const char* keywords[] = {"name", "labelnames", "unit", "bounds", "scale", nullptr};
  const char* name = nullptr;
  const char* unit = "";
  PyObject* labelnames = nullptr;
  PyObject* bounds = Py_None;
  double scale = 1;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "s|OsOd", const_cast<char**>(keywords), &name,
                                   &labelnames, &unit, &bounds, &scale)) {
    return -1;
  }
  MetricObject* m = as_metric(self);
  if (m->spec != nullptr) {
    PyErr_SetString(PyExc_RuntimeError, "a metric is initialized once");
    return -1;
  }
  if (auto err = check_metric_name(name)) {
    PyErr_Format(PyExc_ValueError, "Invalid metric name '%s': %s", name, err->c_str());
    return -1;
  }
  auto* s = new MetricSpec;
  s->kind = kind;
  s->name = name;
  s->unit = unit;
  s->scale = scale;
  if ((labelnames != nullptr && !parse_labelnames(labelnames, *s)) ||
      (kind == Kind::kHistogram && !parse_bounds(bounds, *s))) {
    delete s;
    return -1;
  }
  if (!s->labelnames.empty()) {
    m->children = PyDict_New();
    if (m->children == nullptr) {
      delete s;
      return -1;
    }
  }
  m->spec = s;
  m->scale = scale;
  return 0;
}

int counter_init(PyObject* self, PyObject* args, PyObject* kwargs) {
  return metric_init(self, args, kwargs, Kind::kCounter);
}
int gauge_init(PyObject* self, PyObject* args, PyObject* kwargs) {
  return metric_init(self, args, kwargs, Kind::kGauge);
}
int histogram_init(PyObject* self, PyObject* args, PyObject* kwargs) {
  return metric_init(self, args, kwargs, Kind::kHistogram);
}

int metric_traverse(PyObject* self, visitproc visit, void* arg) {
  MetricObject* m = as_metric(self);
  Py_VISIT(m->parent);
  Py_VISIT(m->label_values);
  Py_VISIT(m->children);
  return 0;
}

int metric_clear(PyObject* self) {
  MetricObject* m = as_metric(self);
  Py_CLEAR(m->parent);
  Py_CLEAR(m->label_values);
  Py_CLEAR(m->children);
  return 0;
}

void metric_dealloc(PyObject* self) {
  PyObject_GC_UnTrack(self);
  metric_clear(self);
  release(as_metric(self)->spec);
  Py_TYPE(self)->tp_free(self);
}

// --- attributes ---------------------------------------------------------------------------------

PyObject* get_name(PyObject* self, void*) {
  const MetricSpec* s = as_metric(self)->spec;
  return s != nullptr ? PyUnicode_FromString(s->name.c_str()) : Py_NewRef(Py_None);
}

PyObject* get_labelnames(PyObject* self, void*) {
  const MetricSpec* s = as_metric(self)->spec;
  PyObject* out = PyTuple_New(s != nullptr ? Py_ssize_t(s->labelnames.size()) : 0);
  for (Py_ssize_t i = 0; out != nullptr && i < PyTuple_GET_SIZE(out); ++i) {
    PyObject* n = PyUnicode_FromString(s->labelnames[std::size_t(i)].c_str());
    if (n == nullptr) {
      Py_CLEAR(out);
      break;
    }
    PyTuple_SET_ITEM(out, i, n);
  }
  return out;
}

PyObject* get_labelvalues(PyObject* self, void*) {
  PyObject* v = as_metric(self)->label_values;
  return v != nullptr ? Py_NewRef(v) : PyTuple_New(0);
}

PyObject* get_registered(PyObject* self, void*) {
  return PyBool_FromLong(as_metric(self)->handle != nullptr);
}

PyGetSetDef metric_getset[] = {
    {"_shmon_name", get_name, nullptr, "the name the probe registers", nullptr},
    {"_labelnames", get_labelnames, nullptr, "the label names", nullptr},
    {"_labelvalues", get_labelvalues, nullptr, "this child's label values", nullptr},
    {"_registered", get_registered, nullptr, "True once the probe accepted this series", nullptr},
    {nullptr, nullptr, nullptr, nullptr, nullptr},
};

#define SHMON_FAST(name, fn, doc)                                          \
  {                                                                        \
    name, reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(fn)), \
        METH_FASTCALL | METH_KEYWORDS, doc                                 \
  }
#define SHMON_LABELS                                                                      \
  {                                                                                       \
    "labels", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(metric_labels)), \
        METH_VARARGS | METH_KEYWORDS,                                                     \
        "labels(*values, **by_name): the child for these label values (cached)"           \
  }
#define SHMON_END \
  { nullptr, nullptr, 0, nullptr }

PyMethodDef counter_methods[] = {
    SHMON_FAST("inc", counter_inc, "inc(amount=1): adds a non-negative whole amount"),
    SHMON_LABELS,
    SHMON_END,
};
PyMethodDef gauge_methods[] = {
    SHMON_FAST("inc", gauge_inc, "inc(amount=1)"),
    SHMON_FAST("dec", gauge_dec, "dec(amount=1)"),
    SHMON_FAST("set", gauge_set, "set(value)"),
    SHMON_LABELS,
    SHMON_END,
};
PyMethodDef histogram_methods[] = {
    SHMON_FAST("observe", histogram_observe, "observe(amount)"),
    SHMON_LABELS,
    SHMON_END,
};

PyTypeObject make_type(const char* name, const char* doc, PyMethodDef* methods, initproc init) {
  PyTypeObject t{};  // PyVarObject_HEAD_INIT's fields: one reference, ob_type set by PyType_Ready
  t.ob_base.ob_base.ob_refcnt = 1;
  t.tp_name = name;
  t.tp_basicsize = sizeof(MetricObject);
  t.tp_dealloc = metric_dealloc;
  t.tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC;
  t.tp_doc = doc;
  t.tp_traverse = metric_traverse;
  t.tp_clear = metric_clear;
  t.tp_methods = methods;
  t.tp_getset = metric_getset;
  t.tp_init = init;
  t.tp_new = PyType_GenericNew;
  return t;
}

PyTypeObject counter_type =
    make_type("shmon._shmon.CounterBase", "A shmon counter series.", counter_methods, counter_init);
PyTypeObject gauge_type =
    make_type("shmon._shmon.GaugeBase", "A shmon gauge series.", gauge_methods, gauge_init);
PyTypeObject histogram_type = make_type("shmon._shmon.HistogramBase", "A shmon histogram series.",
                                        histogram_methods, histogram_init);

}  // namespace

bool add_metric_types(PyObject* module) {
  for (PyTypeObject* t : {&counter_type, &gauge_type, &histogram_type}) {
    if (PyType_Ready(t) < 0) return false;
    const char* short_name = std::strrchr(t->tp_name, '.') + 1;
    Py_INCREF(t);
    if (PyModule_AddObject(module, short_name, reinterpret_cast<PyObject*>(t)) < 0) {
      Py_DECREF(t);
      return false;
    }
  }
  return true;
}

}  // namespace shmon::python
