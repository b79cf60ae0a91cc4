// SPDX-License-Identifier: Apache-2.0
#include "loadgen_work.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace loadgen {
namespace {

constexpr std::uint64_t kBatch = 1024;  // increments between histogram samples

// BYTES bytes of readable text; longer than the probe's 40-byte payload on purpose when asked.
std::string payload_text(std::uint32_t thread, std::uint64_t index, std::uint32_t bytes) {
  // Appends, not operator+ on a literal: GCC 12 -O3 reports a false -Wrestrict on the latter.
  std::string text = "t";
  text += std::to_string(thread);
  text += " e";
  text += std::to_string(index);
  text += ' ';
  text.resize(bytes, '.');
  return text;
}

void worker(shmon::Probe& probe, const WorkPlan& plan, const WorkHandles& handles,
            std::uint32_t index, std::atomic<std::uint64_t>& emitted,
            std::atomic<std::uint64_t>& refused) {
  WorkHandles mine = handles;  // handles are cheap values; update methods are non-const
  using Clock = std::chrono::steady_clock;
  std::uint64_t left = share(plan.increments, plan.threads, index);
  while (left > 0) {
    const std::uint64_t batch = std::min(left, kBatch);
    const auto start = Clock::now();
    for (std::uint64_t i = 0; i < batch; ++i) mine.counter.add(1);
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start);
    if (mine.batch_ns) mine.batch_ns->record(ns.count());
    if (mine.batch_rate && ns.count() > 0)
      mine.batch_rate->set(double(batch) * 1e9 / double(ns.count()));
    left -= batch;
  }
  const std::uint64_t events = share(plan.events, plan.threads, index);
  std::uint64_t ok = 0;
  for (std::uint64_t i = 0; i < events; ++i) {
    if (probe.emit(mine.event, shmon::EventLevel::kInfo,
                   payload_text(index, i, plan.payload_bytes))) {
      ++ok;
    }
  }
  emitted += ok;
  refused += events - ok;
}

}  // namespace

std::uint64_t share(std::uint64_t total, std::uint32_t threads, std::uint32_t index) {
  return total / threads + (index < total % threads ? 1 : 0);
}

WorkResult run_workers(shmon::Probe& probe, const WorkPlan& plan, const WorkHandles& handles) {
  std::atomic<std::uint64_t> emitted{0};
  std::atomic<std::uint64_t> refused{0};
  {
    std::vector<std::jthread> threads;
    threads.reserve(plan.threads);
    for (std::uint32_t i = 0; i < plan.threads; ++i) {
      threads.emplace_back([&, i] { worker(probe, plan, handles, i, emitted, refused); });
    }
  }  // jthreads join here
  return {emitted.load(), refused.load()};
}

}  // namespace loadgen
