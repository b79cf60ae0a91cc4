// Probe update costs (the producer's side of the data plane), single thread and 2 threads
// updating the same metric. Every probe is attached to a real agent that drains its rings.
#include <atomic>
#include <cstdint>

#include "bench_env.hpp"

namespace shmon::bench {
namespace {

void BM_CounterAdd(benchmark::State& state) {
  Counter counter = env().counter;
  timed_loop(state, [&] { counter.add(1); });
}
BENCHMARK(BM_CounterAdd)->Threads(1)->Threads(2)->UseRealTime();

void BM_GaugeSet(benchmark::State& state) {
  Gauge gauge = env().gauge;
  double value = 0;
  timed_loop(state, [&] { gauge.set(value += 1.0); });
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
