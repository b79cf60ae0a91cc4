// SPDX-License-Identifier: Apache-2.0
// Probe without an agent: opening, registration, counters, gauges and histograms land in the
// region cells exactly.
#include <bit>
#include <limits>
#include <thread>
#include <vector>

#include "probe_test_util.hpp"
#include "shmon/histogram_buckets.hpp"
#include "shmon/memfd.hpp"

namespace shmon::probe_test {
namespace {

using MetricsTest = ProbeTest;

TEST_F(MetricsTest, OpensWithoutAgentAndIsNotConnected) {
  Probe probe(quiet_options());
  EXPECT_FALSE(probe.connected());
  EXPECT_EQ(probe.state(), ConnectionState::kDisconnected);
  EXPECT_EQ(probe.slot(), kMailboxSlot);
  EXPECT_EQ(probe.instance(), "default");
  EXPECT_EQ(probe.name(), "probe-test");
  EXPECT_FALSE(probe.poll());
  EXPECT_NE(probe.last_error().find("no agent"), std::string::npos) << probe.last_error();

  // The region is a sealed memfd of the geometry's size with a valid header.
  detail::ProbeCore& core = *testing::core_of(probe);
  ASSERT_TRUE(core.data_fd.valid());
  auto size = verify_region(core.data_fd.get(), 1, DataLimits::kMaxRegionSize);
  ASSERT_TRUE(size.ok()) << size.error();
  DataHeader copy;
  std::memcpy(static_cast<void*>(&copy), core.region.base(), sizeof(copy));
  auto g = validate_data_header(copy, *size);
  ASSERT_TRUE(g.ok()) << g.error();
  EXPECT_NE(copy.incarnation, 0u);
  EXPECT_EQ(copy.pid, ::getpid());
}

TEST_F(MetricsTest, BackgroundConnectorStartsAndStopsWithoutAgent) {
  ProbeOptions o = quiet_options();
  o.background_connect = true;
  Probe probe(o);
  EXPECT_FALSE(probe.wait_connected(30));
  EXPECT_EQ(probe.ping().status, CallStatus::kNotConnected);
}

TEST_F(MetricsTest, InvalidNamesFallBack) {
  ProbeOptions o = quiet_options();
  o.instance = "../etc";
  o.name = "bad\"name";
  Probe probe(o);
  EXPECT_EQ(probe.instance(), "default");
  EXPECT_EQ(probe.name(), "shmon-client");
  detail::ProbeCore& core = *testing::core_of(probe);
  EXPECT_NE(core.opts.error.find("invalid instance name"), std::string::npos);
  EXPECT_NE(core.opts.error.find("invalid client name"), std::string::npos);
}

TEST_F(MetricsTest, CountersFromFourThreadsSumExactly) {
  for (std::uint32_t shards : {8u, 2u, 1u}) {  // exclusive shards, mostly shared, only shared
    ProbeOptions o = quiet_options();
    o.params.shard_count = shards;
    Probe probe(o);
    Counter c = probe.counter("requests_total", "req");
    constexpr int kThreads = 4;
    constexpr std::uint64_t kAdds = 200000;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (std::uint64_t i = 0; i < kAdds; ++i) c.add(std::uint64_t(t) + 1);
      });
    }
    for (auto& t : threads) t.join();
    detail::ProbeCore& core = *testing::core_of(probe);
    const std::uint32_t index = metric_index(core, "requests_total");
    ASSERT_NE(index, ~0u);
    EXPECT_EQ(cell_sum(core, index), kAdds * (1 + 2 + 3 + 4)) << "shards " << shards;
    // Exited threads handed their exclusive shards back.
    EXPECT_EQ(core.shard_bitmap.load(), 0u);
  }
}

TEST_F(MetricsTest, ExclusiveShardsAreReusedAfterThreadExit) {
  ProbeOptions o = quiet_options();
  o.params.shard_count = 3;
  Probe probe(o);
  Counter c = probe.counter("c");
  detail::ProbeCore& core = *testing::core_of(probe);
  for (int round = 0; round < 5; ++round) {
    std::thread([&] {
      c.add(1);
      EXPECT_EQ(detail::t_claims.claims[0].shard, 0u);  // always the first free exclusive shard
    }).join();
  }
  EXPECT_EQ(*detail::cell_at(core, 0, metric_index(core, "c")), 5u);
}

TEST_F(MetricsTest, GaugeStoresTheDoubleInShardZero) {
  Probe probe(quiet_options());
  Gauge g = probe.gauge("temperature", "C");
  g.set(21.5);
  g.set(-3.25);
  detail::ProbeCore& core = *testing::core_of(probe);
  const std::uint32_t index = metric_index(core, "temperature");
  EXPECT_EQ(std::bit_cast<double>(*detail::cell_at(core, 0, index)), -3.25);
  const auto* d = reinterpret_cast<const MetricDescriptor*>(core.region.descriptor(0));
  EXPECT_EQ(d[index].kind, std::uint32_t(MetricKind::kGauge));
  EXPECT_STREQ(d[index].unit, "C");
}

std::uint64_t bucket_total(detail::ProbeCore& core, std::uint32_t h, std::uint32_t b) {
  std::uint64_t sum = 0;
  for (std::uint32_t s = 0; s < core.geometry().params.shard_count; ++s) {
    sum += histogram_buckets(core, s, h)[b];
  }
  return sum;
}

TEST_F(MetricsTest, HistogramDefaultBounds) {
  Probe probe(quiet_options());
  Histogram h = probe.histogram("latency_ns", {}, "ns");
  for (std::int64_t v : {0, 5, 100, -3, 1000000}) h.record(v);
  detail::ProbeCore& core = *testing::core_of(probe);
  const std::uint32_t buckets = core.geometry().params.histogram_buckets;
  const HistogramCellsHeader* cells = histogram_cells(core, detail::t_claims.claims[0].shard, 0);
  EXPECT_EQ(cells->count, 5u);
  EXPECT_EQ(cells->sum, 0 + 5 + 100 - 3 + 1000000);
  EXPECT_EQ(cells->min, -3);
  EXPECT_EQ(cells->max, 1000000);
  EXPECT_EQ(bucket_total(core, 0, 0), 2u);  // 0 and -3
  EXPECT_EQ(bucket_total(core, 0, 5), 1u);
  EXPECT_EQ(bucket_total(core, 0, log_linear_bucket(100, buckets)), 1u);
  EXPECT_EQ(bucket_total(core, 0, log_linear_bucket(1000000, buckets)), 1u);
  // Default bounds were published in the region; empty histograms of other shards are "empty".
  const auto* bounds = reinterpret_cast<const std::int64_t*>(core.region.bounds(0));
  std::vector<std::int64_t> expected(buckets);
  log_linear_bounds(expected);
  EXPECT_TRUE(std::equal(expected.begin(), expected.end(), bounds));
  const std::uint32_t other =
      (detail::t_claims.claims[0].shard + 1) % core.geometry().params.shard_count;
  EXPECT_EQ(histogram_cells(core, other, 0)->min, std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(histogram_cells(core, other, 0)->max, std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(core.header->histogram_count.load(), 1u);
}

TEST_F(MetricsTest, HistogramCustomBounds) {
  Probe probe(quiet_options());
  const std::int64_t upper[] = {10, 100};
  probe.histogram("first", {}, "");  // takes histogram block 0
  Histogram h = probe.histogram("sizes", upper, "bytes");
  for (std::int64_t v : {5, 10, 11, 50, 500, 7}) h.record(v);
  detail::ProbeCore& core = *testing::core_of(probe);
  EXPECT_EQ(bucket_total(core, 1, 0), 3u);
  EXPECT_EQ(bucket_total(core, 1, 1), 2u);
  EXPECT_EQ(bucket_total(core, 1, 2), 1u);
  const auto* bounds = reinterpret_cast<const std::int64_t*>(core.region.bounds(0)) +
                       core.geometry().params.histogram_buckets;
  EXPECT_EQ(bounds[0], 10);
  EXPECT_EQ(bounds[1], 100);
  EXPECT_EQ(bounds[2], std::numeric_limits<std::int64_t>::max());
  const auto* d = reinterpret_cast<const MetricDescriptor*>(core.region.descriptor(0));
  EXPECT_EQ(d[metric_index(core, "sizes")].histogram_index, 1u);

  const std::int64_t descending[] = {5, 3};
  probe.histogram("bad_bounds", descending);
  EXPECT_EQ(metric_index(core, "bad_bounds"), ~0u);
  EXPECT_EQ(probe.stats().drops_metric_table_full, 1u);
}

TEST_F(MetricsTest, RegistrationSameNameClashInvalidAndFull) {
  ProbeOptions o = quiet_options();
  o.params.metric_capacity = 3;
  Probe probe(o);
  detail::ProbeCore& core = *testing::core_of(probe);
  Counter a = probe.counter("hits");
  Counter b = probe.counter("hits");
  EXPECT_EQ(core.header->metric_count.load(), 1u);
  a.add(2);
  b.add(3);
  EXPECT_EQ(cell_sum(core, 0), 5u);

  Gauge clash = probe.gauge("hits");  // kind clash: dummy handle
  clash.set(1e9);
  EXPECT_EQ(cell_sum(core, 0), 5u);
  EXPECT_EQ(probe.stats().drops_metric_table_full, 1u);
  EXPECT_NE(probe.last_error().find("already registered"), std::string::npos);

  Counter invalid = probe.counter("9 bad name");
  invalid.add(1);
  EXPECT_EQ(probe.stats().drops_metric_table_full, 2u);
  EXPECT_EQ(core.header->metric_count.load(), 1u);

  probe.counter("two");
  probe.event_type("three");
  Counter full = probe.counter("four");
  full.add(1);
  EXPECT_EQ(core.header->metric_count.load(), 3u);
  EXPECT_EQ(probe.stats().drops_metric_table_full, 3u);
  EXPECT_NE(probe.last_error().find("full"), std::string::npos);

  Counter dflt;  // default handles ignore updates
  dflt.add(1);
}

}  // namespace
}  // namespace shmon::probe_test
