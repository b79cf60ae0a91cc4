// SPDX-License-Identifier: Apache-2.0
// Probe update costs (the producer's side of the data plane), single thread and 2 threads
// updating the same metric. Every probe is attached to a real agent that drains its rings.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <vector>

#include "bench_env.hpp"

namespace shmon::bench {
namespace {

void BM_CounterAdd(benchmark::State& state) {
  Counter counter = env().counter;
  timed_loop(state, [&] { counter.add(1); });
}
BENCHMARK(BM_CounterAdd)->Threads(1)->Threads(2)->UseRealTime();

// The same with a label set: resolved at registration, so the update is the same store.
void BM_LabelledCounterAdd(benchmark::State& state) {
  Counter counter = env().labelled_counter;
  timed_loop(state, [&] { counter.add(1); });
}
BENCHMARK(BM_LabelledCounterAdd)->Threads(1)->Threads(2)->UseRealTime();

void BM_GaugeSet(benchmark::State& state) {
  Gauge gauge = env().gauge;
  // An integer loop variable: a double would live in a caller-saved XMM register, so every call
  // would spill and reload it (a store-forwarding chain that costs more than the set itself).
  std::uint64_t n = 0;
  timed_loop(state, [&] { gauge.set(double(++n & 0xFFFF)); });
}
BENCHMARK(BM_GaugeSet)->Threads(1)->Threads(2)->UseRealTime();

void BM_HistogramRecord(benchmark::State& state) {
  Histogram histogram = env().histogram;
  std::int64_t value = 0;
  // Values walk over 0..65535 so that many buckets are hit, as latencies would.
  timed_loop(state, [&] { histogram.record((value += 97) & 0xFFFF); });
}
BENCHMARK(BM_HistogramRecord)->Threads(1)->Threads(2)->UseRealTime();

// Emit with the default drop policy: the agent drains concurrently. "dropped_pct" says how many
// events found the ring full (a dropped event is cheaper than a written one).
void BM_EventEmit(benchmark::State& state) {
  Probe& probe = *env().probe;
  const EventType type = env().event;
  std::uint64_t dropped = 0;
  timed_loop(state, [&] {
    if (!probe.emit(type, EventLevel::kInfo, "request done")) ++dropped;
  });
  state.counters["dropped_pct"] = benchmark::Counter(
      state.iterations() ? 100.0 * double(dropped) / double(state.iterations()) : 0,
      benchmark::Counter::kAvgThreads);
}
BENCHMARK(BM_EventEmit)->Threads(1)->Threads(2)->UseRealTime();

// Emit into a ring with room: each iteration first flushes (untimed: the agent drains the ring
// through the seed handshake), then times a burst of 1024 emits, so every event is written. This
// is the cost of an accepted event; BM_EventEmit above is a producer outrunning the drain.
// ns_per_op is the median over bursts: a burst lasts ~10 us, so one preemption (ms) would
// otherwise decide the mean.
void BM_EventEmitWritten(benchmark::State& state) {
  Probe& probe = *env().probe;
  const EventType type = env().event;
  constexpr int kBurst = 1024;  // half a default ring: one burst per thread always fits
  std::vector<double> per_event;
  std::uint64_t dropped = 0, emitted = 0;
  for (auto _ : state) {
    probe.flush();
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < kBurst; ++i) {
      if (!probe.emit(type, EventLevel::kInfo, "request done")) ++dropped;
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    state.SetIterationTime(s);
    per_event.push_back(s * 1e9 / kBurst);
    emitted += kBurst;
  }
  std::sort(per_event.begin(), per_event.end());
  state.counters["ns_per_op"] = benchmark::Counter(
      per_event.empty() ? 0 : per_event[per_event.size() / 2], benchmark::Counter::kAvgThreads);
  state.counters["dropped_pct"] = benchmark::Counter(
      emitted ? 100.0 * double(dropped) / double(emitted) : 0, benchmark::Counter::kAvgThreads);
}
BENCHMARK(BM_EventEmitWritten)->Threads(1)->Threads(2)->UseManualTime();

// Reference points for the machine: a locked add on a private line and on a shared line.
void BM_RefAtomicAdd(benchmark::State& state) {
  static std::atomic<std::uint64_t> shared{0};
  alignas(64) std::atomic<std::uint64_t> own{0};
  std::atomic<std::uint64_t>& cell = state.range(0) == 0 ? own : shared;
  timed_loop(state, [&] { cell.fetch_add(1, std::memory_order_relaxed); });
}
BENCHMARK(BM_RefAtomicAdd)->Arg(0)->Arg(1)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace
}  // namespace shmon::bench
