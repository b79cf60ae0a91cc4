// SPDX-License-Identifier: Apache-2.0
// Bounded waiting for the multi-process tests: every wait takes an absolute steady-clock
// deadline, and wait_until() polls a condition until it holds or the deadline passes.
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace shmon::test {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;

inline Deadline deadline_in(std::chrono::milliseconds ms) {
  return Clock::now() + ms;
}

// Milliseconds left until `deadline` (0 when passed), for poll(2)-style timeouts.
inline int ms_left(Deadline deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() <= 0 ? 0 : int(left.count());
}

// Polls `condition` every `interval` until it returns true (-> true) or the deadline passes
// (-> false; the condition is evaluated one last time at the deadline).
inline bool wait_until(const std::function<bool()>& condition, Deadline deadline,
                       std::chrono::milliseconds interval = std::chrono::milliseconds(10)) {
  for (;;) {
    if (condition()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::min<Clock::duration>(interval, deadline - Clock::now()));
  }
}

}  // namespace shmon::test
