// SPDX-License-Identifier: Apache-2.0
// The agent's own memory cgroup (issue 18, item 7). Past a cgroup's memory.max the kernel does not
// fail an allocation: it OOM-kills the agent, which then says nothing. So the agent reads the
// tightest limit of its cgroup (and its ancestors) at start, says in one line what fits in it and
// lowers its series bound to that; on the housekeeping tick (once a second, no thread of its own)
// it compares its working set with the limit and, near it, warns once and refuses new series
// and new app clients until the working set has dropped again. docs/DESIGN.md, "Memory cgroup".
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

#include "shmon/memory_cgroup.hpp"

namespace shmon::agent {

// What one more series or client costs the agent's own memory, measured on the release build
// (docs/DESIGN.md's trust model, "the agent's memory cgroup": the cgroup's working set before and
// after 16 000 counters, about 7 KB each, and 64 one-counter clients, about 14 KB each), with
// room for histograms (their bucket windows) and allocator slack. A series is mostly its
// 600-point history plus its identity, aggregate and exposition entries.
inline constexpr std::uint64_t kBytesPerSeries = 12 * 1024;
inline constexpr std::uint64_t kBytesPerClient = 32 * 1024;
// Set aside before any series or client: the idle agent's RSS (10 MB, its text pages included),
// with room for the event log's pages and the HTTP server's buffers.
inline constexpr std::uint64_t kBaseBytes = 16ull << 20;
// Of the limit, what the bounds may plan to use; pressure starts at kPressurePercent of it and
// ends below kRelievedPercent.
inline constexpr std::uint64_t kPlanPercent = 80;
inline constexpr std::uint64_t kPressurePercent = 90;
inline constexpr std::uint64_t kRelievedPercent = 75;

// The start-up plan: how many series fit in `limit` beside `max_clients` clients (never more than
// `max_series`, never less than 0). Pure, for tests.
std::uint64_t series_that_fit(std::uint64_t limit, std::uint32_t max_clients,
                              std::uint64_t max_series);

class MemoryWatch {
 public:
  // Reads the limit of this process's cgroup and logs the one start-up line. Returns the series
  // bound to use (`max_series`, or fewer when they do not fit). Call once, before any thread.
  std::uint64_t start(std::uint32_t max_clients, std::uint64_t max_series,
                      const std::string& cgroup_root = "/sys/fs/cgroup");

  // Once a second on the housekeeping tick: reads the working set. Returns +1 when pressure
  // starts (warned once), -1 when it ends, 0 otherwise. No-op without a limit.
  int check(std::uint64_t now_ns);

  bool limited() const { return limit_.has_value(); }
  bool pressure() const { return pressure_.load(std::memory_order_acquire); }
  const std::optional<MemoryLimit>& limit() const { return limit_; }
  std::uint64_t planned_series() const { return planned_series_; }
  std::uint64_t working_set() const { return working_set_.load(std::memory_order_relaxed); }
  std::uint64_t pressure_episodes() const { return episodes_.load(std::memory_order_relaxed); }
  std::uint64_t limit_hits() const { return limit_hits_.load(std::memory_order_relaxed); }
  // Working-set readings so far (a reader that needs one taken after some event waits for two).
  std::uint64_t checks() const { return checks_.load(std::memory_order_acquire); }
  // Apps refused at attach while under pressure (counted by the attach path).
  std::atomic<std::uint64_t> clients_refused{0};

 private:
  std::optional<MemoryLimit> limit_;
  std::uint64_t planned_series_ = 0;
  std::uint64_t last_check_ns_ = 0;
  std::atomic<bool> pressure_{false};
  std::atomic<std::uint64_t> working_set_{0};
  std::atomic<std::uint64_t> episodes_{0};
  std::atomic<std::uint64_t> limit_hits_{0};
  std::atomic<std::uint64_t> checks_{0};
};

}  // namespace shmon::agent
