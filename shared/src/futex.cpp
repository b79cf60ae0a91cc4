// SPDX-License-Identifier: Apache-2.0
// futex(2) wrappers. Shared (non-private) futexes only: every word lives in a memfd mapping that
// other processes map at other addresses.
#include "shmon/futex.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <ctime>

#include "shmon/clock.hpp"

namespace shmon {

static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));

WaitResult futex_wait_until(std::atomic<std::uint32_t>* word, std::uint32_t expected,
                            std::uint64_t deadline_ns) {
  if (monotonic_ns() >= deadline_ns) return WaitResult::kTimedOut;
  timespec ts;
  ts.tv_sec = time_t(deadline_ns / 1'000'000'000u);
  ts.tv_nsec = long(deadline_ns % 1'000'000'000u);
  // FUTEX_WAIT_BITSET takes an absolute timeout on CLOCK_MONOTONIC (no FUTEX_CLOCK_REALTIME).
  const long rc = ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), FUTEX_WAIT_BITSET,
                            expected, &ts, nullptr, FUTEX_BITSET_MATCH_ANY);
  if (rc == -1 && errno == ETIMEDOUT) return WaitResult::kTimedOut;
  return WaitResult::kWoken;
}

int futex_wake(std::atomic<std::uint32_t>* word, int count) {
  const long rc = ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), FUTEX_WAKE, count,
                            nullptr, nullptr, 0);
  return rc < 0 ? 0 : int(rc);
}

}  // namespace shmon
