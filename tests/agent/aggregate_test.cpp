// SPDX-License-Identifier: Apache-2.0
// Totals across clients: folding a departed client, tombstones keyed by incarnation (a
// re-attach subtracts the folded values again, so nothing counts twice) and collect_metrics.
#include "aggregate.hpp"

#include "agent_test_util.hpp"

namespace shmon::agent_test {
namespace {

using agent::collect_metrics;
using agent::Departed;
using agent::fold_client;
using Unfold = agent::Departed::Unfold;

struct Sample {
  TestRegion region;
  std::uint32_t counter, gauge, hist;
  explicit Sample(std::uint64_t incarnation, std::string_view name = "app")
      : region(small_params(), name, incarnation) {
    counter = region.add_metric("requests", MetricKind::kCounter);
    gauge = region.add_metric("depth", MetricKind::kGauge);
    hist = region.add_histogram("latency_ns", 0, linear_bounds(8));
  }
};

TEST(Aggregate, FoldClientTakesFinalValues) {
  Sample s(7);
  s.region.cell(0, s.counter) = 5;
  s.region.cell(2, s.counter) = 6;
  s.region.set_gauge(s.gauge, 4.5);
  s.region.record(1, 0, 3, 35);
  s.region.ring(0)->head.store(3);
  auto c = s.region.make_client();
  c->tails[0].store(3);
  c->received_credit.store(3);  // what the drain credits for the three records it drained
  std::uint64_t bad = 0;
  const agent::Folded f = fold_client(*c, bad);
  EXPECT_EQ(bad, 0u);
  EXPECT_EQ(f.metrics.at("requests").total, 11u);
  EXPECT_EQ(f.metrics.at("depth").kind, MetricKind::kGauge);
  EXPECT_EQ(f.metrics.at("depth").total, 0u);  // a gauge counts only while live
  EXPECT_EQ(f.metrics.at("latency_ns").hist.count, 1u);
  EXPECT_EQ(f.metrics.at("latency_ns").unit, "ns");
  EXPECT_EQ(f.events_received, 3u);
}

// A metric registered after attach (the agent has not refreshed this client's descriptors since)
// is folded with its value: values and descriptors are read in one step.
TEST(Aggregate, FoldCountsAMetricRegisteredAfterAttach) {
  TestRegion r;
  auto c = r.make_client();  // descriptors refreshed now: none yet
  const std::uint32_t late = r.add_metric("late", MetricKind::kCounter);
  r.cell(1, late) = 7;
  std::uint64_t bad = 0;
  const agent::Folded f = fold_client(*c, bad);
  EXPECT_EQ(bad, 0u);
  ASSERT_EQ(f.metrics.count("late"), 1u);
  EXPECT_EQ(f.metrics.at("late").total, 7u);
}

TEST(Aggregate, CollectCountsAMetricRegisteredAfterAttach) {
  TestRegion r;
  auto c = r.make_client();
  const std::uint32_t late = r.add_metric("late", MetricKind::kCounter);
  r.cell(0, late) = 7;
  std::uint64_t bad = 0;
  const auto m = collect_metrics({c}, Departed{}, bad);
  ASSERT_EQ(m.count("late"), 1u);
  EXPECT_EQ(m.at("late").total, 7u);
  EXPECT_EQ(m.at("late").live_clients, 1u);
}

TEST(Aggregate, SameNameWithAnotherKindInOneClientIsBad) {
  TestRegion r;
  r.add_metric("x", MetricKind::kCounter);
  r.add_metric("x", MetricKind::kGauge);
  auto c = r.make_client();
  std::uint64_t bad = 0;
  const agent::Folded f = fold_client(*c, bad);
  EXPECT_EQ(bad, 1u);
  EXPECT_EQ(f.metrics.at("x").kind, MetricKind::kCounter);
}

TEST(Departed, FoldThenUnfoldRestoresTheTotals) {
  Departed d;
  agent::Folded f;
  f.metrics["requests"] = {MetricKind::kCounter, "", 40, {}};
  f.events_received = 9;
  f.drops = 2;
  EXPECT_EQ(d.fold(test_key(1), f), 0u);
  EXPECT_EQ(d.fold(test_key(2), f), 0u);
  EXPECT_EQ(d.totals().metrics.at("requests").total, 80u);
  EXPECT_EQ(d.totals().events_received, 18u);
  EXPECT_EQ(d.tombstones(), 2u);
  EXPECT_EQ(d.unfold(test_key(1)), Unfold::kUnfolded);
  EXPECT_EQ(d.unfold(test_key(1)),
            Unfold::kNone);  // the stone is gone: a second unfold changes nothing
  EXPECT_EQ(d.unfold(test_key(99)), Unfold::kNone);
  EXPECT_EQ(d.totals().metrics.at("requests").total, 40u);
  EXPECT_EQ(d.totals().events_received, 9u);
  EXPECT_EQ(d.totals().drops, 2u);
  EXPECT_EQ(d.tombstones(), 1u);
}

// The incarnation is public: a key with another secret or uid, or without a secret, proves
// nothing. The stone stays and the totals are untouched.
TEST(Departed, OnlyTheKeyThatFoldedCanUnfold) {
  Departed d;
  agent::Folded f;
  f.metrics["requests"] = {MetricKind::kCounter, "", 40, {}};
  ASSERT_EQ(d.fold(test_key(5), f), 0u);
  agent::ReattachKey other_secret = test_key(5);
  other_secret.secret[3] ^= 1;
  agent::ReattachKey other_uid = test_key(5);
  other_uid.uid += 1;
  agent::ReattachKey no_secret;
  no_secret.incarnation = 5;
  no_secret.uid = other_secret.uid;
  EXPECT_EQ(d.unfold(other_secret), Unfold::kMismatch);
  EXPECT_EQ(d.unfold(other_uid), Unfold::kMismatch);
  EXPECT_EQ(d.unfold(no_secret), Unfold::kMismatch);
  EXPECT_EQ(d.totals().metrics.at("requests").total, 40u);
  EXPECT_EQ(d.tombstones(), 1u);
  EXPECT_EQ(d.unfold(test_key(5)), Unfold::kUnfolded);
  EXPECT_EQ(d.totals().metrics.at("requests").total, 0u);
}

// A client without a secret cannot be re-attached: its values are folded, no stone is kept.
TEST(Departed, UnboundKeyLeavesNoTombstone) {
  Departed d;
  agent::Folded f;
  f.metrics["requests"] = {MetricKind::kCounter, "", 3, {}};
  agent::ReattachKey no_secret;
  no_secret.incarnation = 8;
  d.fold(no_secret, f);
  EXPECT_EQ(d.totals().metrics.at("requests").total, 3u);
  EXPECT_EQ(d.tombstones(), 0u);
  EXPECT_EQ(d.unfold(no_secret), Unfold::kNone);
}

TEST(Departed, KindClashIsRefusedAndNotRemembered) {
  Departed d;
  agent::Folded a, b;
  a.metrics["m"] = {MetricKind::kCounter, "", 5, {}};
  b.metrics["m"] = {MetricKind::kEvent, "", 100, {}};
  EXPECT_EQ(d.fold(test_key(1), a), 0u);
  EXPECT_EQ(d.fold(test_key(2), b), 1u);
  EXPECT_EQ(d.totals().metrics.at("m").total, 5u);
  EXPECT_EQ(d.unfold(test_key(2)),
            Unfold::kUnfolded);  // only the accepted part was remembered: nothing to take back
  EXPECT_EQ(d.totals().metrics.at("m").total, 5u);
}

TEST(Departed, HistogramsSubtractOnUnfold) {
  Departed d;
  agent::Folded f;
  f.metrics["h"].kind = MetricKind::kHistogram;
  f.metrics["h"].hist.bounds = {1, 2, INT64_MAX};
  f.metrics["h"].hist.record(2);
  d.fold(test_key(1), f);
  d.fold(test_key(2), f);
  EXPECT_EQ(d.totals().metrics.at("h").hist.count, 2u);
  d.unfold(test_key(2));
  EXPECT_EQ(d.totals().metrics.at("h").hist.count, 1u);
  EXPECT_EQ(d.totals().metrics.at("h").hist.buckets, (std::vector<std::uint64_t>{0, 1, 0}));
}

// The scenario the tombstones exist for: a client leaves (folded), the same incarnation
// re-attaches with the same cumulative cells (now larger). The totals must equal its cells.
TEST(Departed, ReattachOfTheSameIncarnationIsNotCountedTwice) {
  Sample s(0xABCD);
  s.region.cell(0, s.counter) = 100;
  s.region.record(0, 0, 1, 15);
  Departed departed;
  {
    auto gone = s.region.make_client();
    std::uint64_t bad = 0;
    departed.fold(gone->reattach, fold_client(*gone, bad));
  }
  std::uint64_t bad = 0;
  auto totals = collect_metrics({}, departed, bad);
  EXPECT_EQ(totals.at("requests").total, 100u);
  EXPECT_EQ(totals.at("requests").departed_total, 100u);
  EXPECT_EQ(totals.at("requests").live_clients, 0u);

  s.region.cell(1, s.counter) = 20;  // it went on counting while detached
  s.region.record(1, 0, 2, 25);
  auto back = s.region.make_client();
  ASSERT_EQ(departed.unfold(back->reattach),
            Unfold::kUnfolded);  // what attach does under the table mutex
  totals = collect_metrics({back}, departed, bad);
  EXPECT_EQ(bad, 0u);
  EXPECT_EQ(totals.at("requests").total, 120u);
  EXPECT_EQ(totals.at("requests").departed_total, 0u);
  EXPECT_EQ(totals.at("requests").live_clients, 1u);
  EXPECT_EQ(totals.at("latency_ns").hist.count, 2u);
}

TEST(CollectMetrics, SumsLiveClientsAndDepartedByName) {
  Sample a(1, "a"), b(2, "b"), gone(3, "gone");
  a.region.cell(0, a.counter) = 1;
  b.region.cell(3, b.counter) = 2;
  gone.region.cell(0, gone.counter) = 4;
  a.region.set_gauge(a.gauge, 1.5);
  b.region.set_gauge(b.gauge, 2.0);
  a.region.record(0, 0, 0, 1);
  b.region.record(2, 0, 7, 500);
  Departed departed;
  std::uint64_t bad = 0;
  departed.fold(test_key(3), fold_client(*gone.region.make_client(), bad));
  const auto m = collect_metrics({a.region.make_client(0), b.region.make_client(1)}, departed, bad);
  EXPECT_EQ(bad, 0u);
  EXPECT_EQ(m.at("requests").total, 7u);
  EXPECT_EQ(m.at("requests").departed_total, 4u);
  EXPECT_EQ(m.at("requests").live_clients, 2u);
  ASSERT_EQ(m.at("requests").clients.size(), 2u);
  EXPECT_EQ(m.at("requests").clients[1].name, "b");
  EXPECT_EQ(m.at("requests").clients[1].value, 2.0);
  EXPECT_DOUBLE_EQ(m.at("depth").gauge_total, 3.5);
  EXPECT_EQ(m.at("latency_ns").hist.count, 2u);
  EXPECT_EQ(m.at("latency_ns").hist.min, 1);
  EXPECT_EQ(m.at("latency_ns").hist.max, 500);
}

TEST(CollectMetrics, ClashBetweenClientsIsCountedAndLeftOut) {
  TestRegion a(small_params(), "a", 1), b(small_params(), "b", 2);
  a.cell(0, a.add_metric("m", MetricKind::kCounter)) = 3;
  b.set_gauge(b.add_metric("m", MetricKind::kGauge), 9.0);
  std::uint64_t bad = 0;
  const auto m = collect_metrics({a.make_client(0), b.make_client(1)}, Departed{}, bad);
  EXPECT_EQ(bad, 1u);
  EXPECT_EQ(m.at("m").kind, MetricKind::kCounter);
  EXPECT_EQ(m.at("m").total, 3u);
  EXPECT_EQ(m.at("m").clients.size(), 1u);
}

}  // namespace
}  // namespace shmon::agent_test
