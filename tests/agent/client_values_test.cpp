// SPDX-License-Identifier: Apache-2.0
// The agent reading a client's values out of its data region: counters summed over shards, the
// gauge's double bits, histograms merged across shards, quantiles, and hostile descriptors.
#include <cmath>

#include "agent_test_util.hpp"

namespace shmon::agent_test {
namespace {

using agent::HistogramValue;

TEST(ClientValues, CountersAreSummedOverEveryShard) {
  TestRegion r;
  const auto c = r.add_metric("requests", MetricKind::kCounter);
  const auto e = r.add_metric("job_done", MetricKind::kEvent);
  for (std::uint32_t s = 0; s < r.geo().params.shard_count; ++s) {
    r.cell(s, c) = 10 * (s + 1);
    r.cell(s, e) = s;
  }
  auto client = r.make_client();
  const auto values = client->read_values();
  ASSERT_EQ(values.size(), 2u);
  EXPECT_EQ(values.at(c).kind, MetricKind::kCounter);
  EXPECT_EQ(values.at(c).total, 10u + 20 + 30 + 40);
  EXPECT_EQ(values.at(e).kind, MetricKind::kEvent);
  EXPECT_EQ(values.at(e).total, 0u + 1 + 2 + 3);
}

TEST(ClientValues, AnEventTypeCountsInItsLevelsAndMisplacedLevelsAreBad) {
  TestRegion r;
  const auto type = r.add_metric("job", MetricKind::kEvent);
  for (std::uint32_t level = 0; level < kEventLevelCount; ++level) {
    r.add_metric("job", MetricKind::kEvent, 0, "", event_level_labels(level));
  }
  r.cell(0, type + 1 + 2) = 5;  // info
  r.cell(1, type + 1 + 4) = 2;  // error
  // A level descriptor anywhere but after its type, or of another name, proves nothing.
  const auto counter = r.add_metric("other", MetricKind::kCounter);
  const auto stray = r.add_metric("other", MetricKind::kEvent, 0, "", event_level_labels(0));
  const auto wrong = r.add_metric("job", MetricKind::kEvent, 0, "", event_level_labels(3));
  r.cell(0, stray) = 100;
  auto client = r.make_client(0, false);
  EXPECT_EQ(client->refresh_descriptors(), 2u);  // stray and wrong are bad descriptors
  const auto values = client->read_values();
  EXPECT_EQ(values.at(type).total, 7u);
  EXPECT_EQ(values.at(type + 1 + 2).name, R"(job{level="info"})");
  EXPECT_EQ(values.at(type + 1 + 2).total, 5u);
  EXPECT_EQ(values.at(type + 1 + 4).total, 2u);
  EXPECT_EQ(values.count(counter), 1u);
  EXPECT_EQ(values.count(stray), 0u);
  EXPECT_EQ(values.count(wrong), 0u);
}

TEST(ClientValues, GaugeIsTheDoubleInShardZero) {
  TestRegion r;
  const auto g = r.add_metric("queue_depth", MetricKind::kGauge);
  r.set_gauge(g, -3.25);
  r.cell(1, g) = std::bit_cast<std::uint64_t>(99.0);  // other shards do not count
  auto client = r.make_client();
  const auto values = client->read_values();
  EXPECT_EQ(values.at(g).kind, MetricKind::kGauge);
  EXPECT_DOUBLE_EQ(values.at(g).gauge, -3.25);
}

TEST(ClientValues, HistogramsMergeAcrossShards) {
  TestRegion r;
  const auto bounds = linear_bounds(8);
  const auto h = r.add_histogram("latency_ns", 1, bounds);
  r.record(0, 1, 0, 5);
  r.record(0, 1, 2, 25);
  r.record(3, 1, 2, 30);
  r.record(3, 1, 7, 1000);
  auto client = r.make_client();
  const auto values = client->read_values();
  const HistogramValue& v = values.at(h).hist;
  EXPECT_EQ(v.count, 4u);
  EXPECT_EQ(v.sum, 5 + 25 + 30 + 1000);
  EXPECT_EQ(v.min, 5);
  EXPECT_EQ(v.max, 1000);
  EXPECT_EQ(v.bounds, bounds);
  EXPECT_EQ(v.buckets, (std::vector<std::uint64_t>{1, 0, 2, 0, 0, 0, 0, 1}));
}

TEST(ClientValues, EmptyShardsDoNotSpoilMinAndMax) {
  TestRegion r;
  const auto h = r.add_histogram("latency_ns", 0, linear_bounds(8));
  r.record(2, 0, 1, 15);
  auto client = r.make_client();
  const auto values = client->read_values();
  const HistogramValue& v = values.at(h).hist;
  EXPECT_EQ(v.min, 15);
  EXPECT_EQ(v.max, 15);
}

TEST(HistogramQuantile, InterpolatesOnKnownData) {
  HistogramValue h;
  h.bounds = {10, 20, 30, 40, 50, 60, 70, 80, 90, 100};
  for (int v = 1; v <= 100; ++v) h.record(v);
  EXPECT_EQ(h.count, 100u);
  EXPECT_NEAR(h.quantile(0.5), 50, 1.0);
  EXPECT_NEAR(h.quantile(0.9), 90, 1.0);
  EXPECT_NEAR(h.quantile(0.99), 99, 1.0);
  EXPECT_LE(h.quantile(0.5), h.quantile(0.9));
  EXPECT_LE(h.quantile(0.9), h.quantile(0.99));
  EXPECT_GE(h.quantile(0.0), 1.0);
  EXPECT_LE(h.quantile(1.0), 100.0);
}

TEST(HistogramQuantile, StaysWithinMinAndMaxForOneValue) {
  HistogramValue h;
  h.bounds = {10, 20, INT64_MAX};
  h.record(1234);
  EXPECT_DOUBLE_EQ(h.quantile(0.5), 1234);
  EXPECT_DOUBLE_EQ(h.quantile(0.99), 1234);
  EXPECT_EQ(HistogramValue{}.quantile(0.5), 0);
}

TEST(HistogramMerge, RefusesOtherBoundsAndSubtractUndoes) {
  HistogramValue a, b, other;
  a.bounds = b.bounds = {1, 2, INT64_MAX};
  other.bounds = {5, 6, INT64_MAX};
  a.record(1);
  b.record(2);
  b.record(100);
  other.record(5);
  HistogramValue sum;
  ASSERT_TRUE(sum.merge(a));
  ASSERT_TRUE(sum.merge(b));
  EXPECT_FALSE(sum.merge(other));
  EXPECT_EQ(sum.count, 3u);
  EXPECT_EQ(sum.buckets, (std::vector<std::uint64_t>{1, 1, 1}));
  sum.subtract(b);
  EXPECT_EQ(sum.count, 1u);
  EXPECT_EQ(sum.sum, 1);
  EXPECT_EQ(sum.buckets, (std::vector<std::uint64_t>{1, 0, 0}));
}

TEST(HostileRegion, BadDescriptorsAreRefusedAndCounted) {
  TestRegion r;
  const auto good = r.add_metric("good", MetricKind::kCounter);
  r.add_metric("bad_kind", MetricKind(7));
  r.add_metric("9starts_with_digit", MetricKind::kCounter);
  const auto unterminated = r.add_metric("x", MetricKind::kCounter);
  std::memset(r.descriptor(unterminated)->name, 'a', sizeof(MetricDescriptor::name));
  r.add_metric("hist_out_of_range", MetricKind::kHistogram, r.geo().params.histogram_capacity);
  std::vector<std::int64_t> descending = linear_bounds(8);
  std::swap(descending[0], descending[1]);
  r.add_histogram("hist_descending", 0, descending);
  r.cell(0, good) = 7;
  auto client = r.make_client(0, false);
  EXPECT_EQ(client->refresh_descriptors(), 5u);
  EXPECT_EQ(client->descriptor_count(), 6u);
  const auto values = client->read_values();
  ASSERT_EQ(values.size(), 1u);
  EXPECT_EQ(values.at(good).total, 7u);
  EXPECT_EQ(client->metric_name(good), "good");
  EXPECT_EQ(client->metric_name(1), "");
  EXPECT_EQ(client->metric_name(1000), "");
}

TEST(HostileRegion, MetricCountBeyondCapacityIsClamped) {
  TestRegion r;
  r.add_metric("only", MetricKind::kCounter);
  r.header()->metric_count.store(0xFFFFFFFFu);
  auto client = r.make_client(0, false);
  client->refresh_descriptors();
  // Every slot of the table is read once, none past it (ASan would see an overrun).
  EXPECT_EQ(client->descriptor_count(), r.geo().params.metric_capacity);
  EXPECT_EQ(client->read_values().size(), 1u);
}

TEST(HostileRegion, RingTailsPastTheHeadAreResynchronised) {
  TestRegion r;
  r.ring(0)->head.store(100);
  r.ring(0)->tail.store(90);  // plausible: 10 pending
  r.ring(1)->head.store(5);
  r.ring(1)->tail.store(50);                      // tail ahead of head
  r.ring(2)->head.store(1000);                    // more pending than the ring holds
  auto client = r.make_client();                  // make_client ran init_tails once already
  EXPECT_EQ(client->tail_sum(), 90u + 5 + 1000);  // bad rings start at their head
  EXPECT_EQ(r.ring(1)->tail.load(), 5u);
  EXPECT_EQ(client->init_tails(), 0u);  // the region is consistent now
}

}  // namespace
}  // namespace shmon::agent_test
