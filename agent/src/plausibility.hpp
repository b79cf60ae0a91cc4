// SPDX-License-Identifier: Apache-2.0
// Values a client claims about itself (ring positions, drop counters) are cumulative and live in
// memory the client writes. The agent credits them to its totals only as far as an honest client
// could have produced them: a claim made at attach (history from before this agent) up to what
// a process of that age could have counted, later increases up to what the time elapsed or the
// ring geometry allows. Anything else is an implausible value: counted on the client, logged
// with its name and never credited; the high-water mark moves past it, so one bad jump is
// excluded once and an honest counter keeps counting from there.
#pragma once

#include <sys/types.h>

#include <cstdint>

namespace shmon::agent {

// Most events (or drops) any process can produce per nanosecond per CPU: one, about 18 times
// what the probe's fastest update does.
inline constexpr std::uint64_t kMaxCountPerNsPerCpu = 1;

// a + b, or UINT64_MAX when that overflows: sums of values a client wrote must not wrap into
// something small and plausible.
inline std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) {
  return b > UINT64_MAX - a ? UINT64_MAX : a + b;
}

// How much a cumulative count can grow in `elapsed_ns` on this machine (saturating).
std::uint64_t max_count_in(std::uint64_t elapsed_ns);

// How long process `pid` has been running (from /proc/<pid>/stat, which the process cannot
// forge); 0 when it cannot be read.
std::uint64_t process_age_ns(pid_t pid);

// One client counter as the agent credits it. Not thread-safe: its owner serializes calls.
class CreditedCount {
 public:
  // The value seen at attach; credited when at most `ceiling`. False: implausible (not credited).
  bool start(std::uint64_t value, std::uint64_t ceiling);
  // A later reading; an increase above the high-water mark is credited when at most
  // `max_increase`. False: implausible (went backwards, or jumped further than that).
  bool observe(std::uint64_t value, std::uint64_t max_increase);
  std::uint64_t credited() const { return credited_; }
  std::uint64_t high() const { return high_; }

 private:
  std::uint64_t high_ = 0;
  std::uint64_t last_ = 0;  // the previous reading: a value that stays low is reported once
  std::uint64_t credited_ = 0;
};

}  // namespace shmon::agent
