// SPDX-License-Identifier: Apache-2.0
// Python numbers as the probe's values. Each returns false with a Python exception set when the
// value has no honest spelling in shmon (the caller returns NULL to Python).
// REQUIRES: the GIL.
#pragma once

#include <Python.h>

#include <cstdint>

namespace shmon::python {

// A counter increment: a non-negative whole number below 2^64 (int, or a float with no
// fractional part). shmon counters count whole units exactly; 0.5 has no exact spelling.
bool counter_delta(PyObject* amount, std::uint64_t* out);
// A gauge value or amount: any real number (int, float, or what __float__ gives).
bool real_value(PyObject* amount, double* out);
// A histogram observation `value` x `scale` rounded to the nearest integer (scale 1e9 records
// seconds as nanoseconds). NaN is refused; beyond the int64 range it is clamped (the agent
// treats those as implausible, never as wrapped).
bool histogram_value(double value, double scale, std::int64_t* out);

}  // namespace shmon::python
