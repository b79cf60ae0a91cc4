// SPDX-License-Identifier: Apache-2.0
#include "amounts.hpp"

#include <cmath>

namespace shmon::python {

bool counter_delta(PyObject* amount, std::uint64_t* out) {
  if (PyLong_Check(amount)) {
    const unsigned long long v = PyLong_AsUnsignedLongLong(amount);
    if (v == static_cast<unsigned long long>(-1) && PyErr_Occurred()) {
      PyErr_Clear();
      PyErr_SetString(PyExc_ValueError,
                      "Counters can only be incremented by non-negative amounts below 2**64.");
      return false;
    }
    *out = v;
    return true;
  }
  const double d = PyFloat_AsDouble(amount);
  if (d == -1.0 && PyErr_Occurred()) return false;
  if (!(d >= 0)) {
    PyErr_SetString(PyExc_ValueError, "Counters can only be incremented by non-negative amounts.");
    return false;
  }
  if (d != std::floor(d) || d >= 18446744073709551616.0) {
    PyErr_Format(PyExc_ValueError,
                 "shmon counters count whole units exactly: inc(%R) has no exact spelling; count "
                 "in a finer unit (e.g. milliseconds in a counter named *_milliseconds) or use a "
                 "histogram",
                 amount);
    return false;
  }
  *out = std::uint64_t(d);
  return true;
}

bool real_value(PyObject* amount, double* out) {
  const double d = PyFloat_AsDouble(amount);
  if (d == -1.0 && PyErr_Occurred()) return false;
  *out = d;
  return true;
}

bool histogram_value(double value, double scale, std::int64_t* out) {
  if (std::isnan(value)) {
    PyErr_SetString(PyExc_ValueError, "a histogram cannot observe NaN");
    return false;
  }
  const double scaled = std::nearbyint(value * scale);
  if (scaled >= 9223372036854775807.0) {
    *out = INT64_MAX;
  } else if (scaled <= -9223372036854775808.0) {
    *out = INT64_MIN;
  } else {
    *out = std::int64_t(scaled);
  }
  return true;
}

}  // namespace shmon::python
