// SPDX-License-Identifier: Apache-2.0
// A value or a human-readable error message. Used at every boundary where input can be bad.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace shmon {

struct Error {
  std::string message;
};

template <class T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}              // NOLINT(google-explicit-constructor)
  Result(Error error) : error_(std::move(error.message)) {}  // NOLINT

  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }
  T& value() { return *value_; }
  const T& value() const { return *value_; }
  T& operator*() { return *value_; }
  T* operator->() { return &*value_; }
  const std::string& error() const { return error_; }

 private:
  std::optional<T> value_;
  std::string error_;
};

// Result of an operation that yields nothing on success.
struct Ok {};
using Status = Result<Ok>;

}  // namespace shmon
