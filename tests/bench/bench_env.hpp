// SPDX-License-Identifier: Apache-2.0
// Shared state of shmon_bench_probe: one real agent, one probe attached to it with one metric of
// each kind, and the StatsD receiver. Set up once in main() before any benchmark thread exists.
#pragma once

#include <benchmark/benchmark.h>

#include <chrono>
#include <memory>

#include "agent_process.hpp"
#include "children.hpp"
#include "shmon/probe.hpp"
#include "statsd.hpp"

namespace shmon::bench {

struct BenchEnv {
  AgentProcess agent;
  std::unique_ptr<Probe> probe;
  Counter counter;
  Counter labelled_counter;  // bench.counter{method="GET",code="200"}: labels cost nothing here
  Gauge gauge;
  Histogram histogram;
  EventType event;
  std::uint32_t event_metric = 0;  // descriptor index for SubmitRecord
  SharedBlock<StatsdCounts> statsd_counts;
  UniqueFd statsd_socket;
  pid_t statsd_receiver = -1;
  std::string statsd_path;
  StatsdSender statsd;
};

BenchEnv& env();

// Runs `op` for every iteration and publishes "ns_per_op": this thread's own wall time per
// operation, averaged over threads (so with 2 threads it is the per-thread cost).
template <class Op>
void timed_loop(benchmark::State& state, Op&& op) {
  const auto t0 = std::chrono::steady_clock::now();
  for (auto _ : state) op();
  const double ns =
      std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
  state.counters["ns_per_op"] = benchmark::Counter(
      state.iterations() ? ns / double(state.iterations()) : 0, benchmark::Counter::kAvgThreads);
}

}  // namespace shmon::bench
