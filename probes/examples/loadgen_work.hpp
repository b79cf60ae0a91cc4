// SPDX-License-Identifier: Apache-2.0
// shmon-loadgen's load: T threads that together add exactly K to one counter and emit exactly N
// events (each thread takes its share, the remainder spread over the first threads).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "shmon/probe.hpp"

namespace loadgen {

struct WorkPlan {
  std::uint32_t threads = 1;
  std::uint64_t increments = 0;  // K, total over all threads
  std::uint64_t events = 0;      // N, total over all threads
  std::uint32_t payload_bytes = 16;
};

struct WorkHandles {
  shmon::Counter counter;
  shmon::EventType event;
  std::optional<shmon::Histogram> batch_ns;  // one sample per increment batch: its duration
  std::optional<shmon::Gauge> batch_rate;    // last batch's increments per second
};

struct WorkResult {
  std::uint64_t emitted = 0;  // emit() returned true
  std::uint64_t refused = 0;  // emit() returned false (dropped and counted by the probe)
};

// This thread's share of `total` split over `threads`.
std::uint64_t share(std::uint64_t total, std::uint32_t threads, std::uint32_t index);

WorkResult run_workers(shmon::Probe& probe, const WorkPlan& plan, const WorkHandles& handles);

}  // namespace loadgen
