// SPDX-License-Identifier: Apache-2.0
// The producer's cost of one event through the baselines, measured in the same binary and run
// as the probe updates: the seed handshake (Probe::submit with one record per call, the seeds'
// design as written) and a StatsD text line over a unix datagram socket.
#include <cstring>

#include "bench_env.hpp"
#include "probe_testing.hpp"
#include "shmon/clock.hpp"

namespace shmon::bench {
namespace {

void BM_SeedSubmitOneRecord(benchmark::State& state) {
  Probe& probe = *env().probe;
  SubmitRecord record{};
  record.op = std::uint32_t(SubmitOp::kEvent);
  record.metric = env().event_metric;
  record.level = std::uint16_t(EventLevel::kInfo);
  record.payload_kind = std::uint8_t(PayloadKind::kText);
  record.payload_size = 12;
  std::memcpy(record.payload, "request done", 12);
  std::uint64_t failed = 0;
  timed_loop(state, [&] {
    record.timestamp_ns = realtime_ns();
    if (testing::submit(probe, {&record, 1}) != CallStatus::kOk) ++failed;
  });
  state.counters["failed_pct"] = benchmark::Counter(
      state.iterations() ? 100.0 * double(failed) / double(state.iterations()) : 0,
      benchmark::Counter::kAvgThreads);
}
BENCHMARK(BM_SeedSubmitOneRecord)->Threads(1)->UseRealTime();

void BM_StatsdLine(benchmark::State& state) {
  StatsdSender& sender = env().statsd;
  std::uint64_t lost = 0;
  timed_loop(state, [&] {
    if (!sender.count("bench.event", 1)) ++lost;
  });
  state.counters["lost_pct"] =
      benchmark::Counter(state.iterations() ? 100.0 * double(lost) / double(state.iterations()) : 0,
                         benchmark::Counter::kAvgThreads);
}
BENCHMARK(BM_StatsdLine)->Threads(1)->UseRealTime();

}  // namespace
}  // namespace shmon::bench
