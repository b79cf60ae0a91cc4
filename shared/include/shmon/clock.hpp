// SPDX-License-Identifier: Apache-2.0
// Clocks. All deadlines in shmon are absolute CLOCK_MONOTONIC nanoseconds.
#pragma once

#include <cstdint>
#include <ctime>

namespace shmon {

inline std::uint64_t monotonic_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::uint64_t(ts.tv_sec) * 1'000'000'000u + std::uint64_t(ts.tv_nsec);
}

inline std::uint64_t realtime_ns() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return std::uint64_t(ts.tv_sec) * 1'000'000'000u + std::uint64_t(ts.tv_nsec);
}

inline std::uint64_t deadline_after_ms(std::uint64_t ms) {
  return monotonic_ns() + ms * 1'000'000u;
}

}  // namespace shmon
