// SPDX-License-Identifier: Apache-2.0
// Thin futex wrappers. Every futex in shmon lives in memory shared between processes, so none of
// these use FUTEX_PRIVATE_FLAG. Deadlines are absolute CLOCK_MONOTONIC nanoseconds
// (FUTEX_WAIT_BITSET), so a wait that is interrupted and restarted never extends its bound.
#pragma once

#include <atomic>
#include <cstdint>

namespace shmon {

enum class WaitResult {
  kWoken,     // woken, or the word no longer held `expected` (re-check the condition)
  kTimedOut,  // the deadline passed
};

// Sleeps while *word == expected, until woken or `deadline_ns` (monotonic). Returns kWoken on a
// wake, on EAGAIN (value changed) and on EINTR: callers always loop on their own condition.
WaitResult futex_wait_until(std::atomic<std::uint32_t>* word, std::uint32_t expected,
                            std::uint64_t deadline_ns);

// Wakes up to `count` waiters on `word`. Returns how many were woken.
int futex_wake(std::atomic<std::uint32_t>* word, int count);

}  // namespace shmon
