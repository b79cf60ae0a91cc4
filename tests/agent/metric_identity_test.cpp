// SPDX-License-Identifier: Apache-2.0
// Metric identity: the first client that defines a name owns it; a later client's metric of the
// same name is admitted only when kind, unit and histogram bounds agree, and a refused metric
// counts in no total, live or departed.
#include "metric_identity.hpp"

#include "agent_test_util.hpp"

namespace shmon::agent_test {
namespace {

using agent::Departed;
using agent::MetricIdentities;

std::vector<std::int64_t> bounds(std::int64_t step) {
  return linear_bounds(8, step);
}

TEST(MetricIdentity, FirstDefinerOwnsTheName) {
  TestRegion a(small_params(), "incumbent", 1), b(small_params(), "newcomer", 2);
  a.add_metric("hits", MetricKind::kCounter);
  const std::uint32_t same = b.add_metric("hits", MetricKind::kCounter);
  const std::uint32_t other_kind = b.add_metric("load", MetricKind::kGauge);
  a.add_metric("load", MetricKind::kCounter, 0, "jobs");
  auto ca = a.make_client(0), cb = b.make_client(1);

  MetricIdentities ids;
  EXPECT_TRUE(ids.admit(*ca).empty());  // seen first: defines "hits" and "load"
  const auto refused = ids.admit(*cb);
  EXPECT_TRUE(ca->metric_admitted(0) && ca->metric_admitted(1));
  EXPECT_TRUE(cb->metric_admitted(same));         // the same metric: admitted, summed
  EXPECT_FALSE(cb->metric_admitted(other_kind));  // "load" is the incumbent's counter
  EXPECT_EQ(refused.size(), 1u);
}

TEST(MetricIdentity, KindUnitAndBoundsMustAgree) {
  TestRegion a(small_params(), "incumbent", 1), b(small_params(), "newcomer", 2);
  a.add_metric("x", MetricKind::kCounter);
  a.add_metric("y", MetricKind::kCounter, 0, "bytes");
  const auto ba = bounds(10), bb = bounds(20);
  a.add_histogram("z", 0, ba);
  const std::uint32_t x = b.add_metric("x", MetricKind::kGauge);
  const std::uint32_t y = b.add_metric("y", MetricKind::kCounter, 0, "ms");
  const std::uint32_t z = b.add_histogram("z", 1, bb);
  auto ca = a.make_client(0), cb = b.make_client(1);

  MetricIdentities ids;
  ids.admit(*ca);
  const auto refused = ids.admit(*cb);
  ASSERT_EQ(refused.size(), 3u);
  EXPECT_NE(refused[0].why.find("a gauge, but it is a counter"), std::string::npos)
      << refused[0].why;
  EXPECT_NE(refused[0].why.find("defined first by incumbent"), std::string::npos) << refused[0].why;
  EXPECT_NE(refused[1].why.find("another unit"), std::string::npos) << refused[1].why;
  EXPECT_NE(refused[2].why.find("other bucket bounds"), std::string::npos) << refused[2].why;
  EXPECT_FALSE(cb->metric_admitted(x));
  EXPECT_FALSE(cb->metric_admitted(y));
  EXPECT_FALSE(cb->metric_admitted(z));
  EXPECT_EQ(cb->refused_metrics, (std::vector<std::string>{"x", "y", "z"}));

  // Refused metrics count in neither the live view nor the departed totals.
  a.cell(0, 0) = 5;
  std::uint64_t bad = 0;
  const agent::AdmitFn admit = [&](agent::Client& c) { ids.admit(c); };
  auto live = agent::collect_metrics({ca, cb}, Departed{}, bad, admit);
  EXPECT_EQ(live.at("x").kind, MetricKind::kCounter);
  EXPECT_EQ(live.at("x").total, 5u);
  EXPECT_EQ(live.at("x").live_clients, 1u);
  Departed departed;
  departed.fold(agent::ReattachKey{2, {}, 0}, agent::fold_client(*cb, bad, admit));
  departed.fold(agent::ReattachKey{1, {}, 0}, agent::fold_client(*ca, bad, admit));
  EXPECT_EQ(bad, 0u);
  EXPECT_EQ(departed.totals().metrics.at("x").kind, MetricKind::kCounter);
  EXPECT_EQ(departed.totals().metrics.at("x").total, 5u);
}

TEST(MetricIdentity, DepartedTotalsDefineNamesAfterARestart) {
  Departed departed;
  agent::Folded f;
  f.metrics["hits"] = {MetricKind::kCounter, "", 40, {}};
  departed.fold(agent::ReattachKey{9, {}, 0}, f);
  TestRegion b(small_params(), "newcomer", 2);
  const std::uint32_t hits = b.add_metric("hits", MetricKind::kGauge);
  auto cb = b.make_client(0);
  MetricIdentities ids;
  const auto refused = ids.admit(*cb, &departed);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_NE(refused[0].why.find("departed"), std::string::npos) << refused[0].why;
  EXPECT_FALSE(cb->metric_admitted(hits));
}

TEST(MetricIdentity, EachLabelSetIsASeriesOfOneFamily) {
  TestRegion a(small_params(), "incumbent", 1), b(small_params(), "newcomer", 2);
  const std::uint32_t get = a.add_metric("http", MetricKind::kCounter, 0, "", R"(method="GET")");
  const std::uint32_t put = b.add_metric("http", MetricKind::kCounter, 0, "", R"(method="PUT")");
  // Another kind under the same name, even with a new label set, would split the family.
  const std::uint32_t clash = b.add_metric("http", MetricKind::kGauge, 0, "", R"(method="DEL")");
  const std::uint32_t same = b.add_metric("http", MetricKind::kCounter, 0, "", R"(method="GET")");
  a.cell(0, get) = 3;
  b.cell(0, put) = 4;
  b.cell(0, same) = 5;
  b.cell(0, clash) = 100;
  auto ca = a.make_client(0), cb = b.make_client(1);
  MetricIdentities ids;
  EXPECT_TRUE(ids.admit(*ca).empty());
  const auto refused = ids.admit(*cb);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_FALSE(refused[0].bound());
  EXPECT_NE(refused[0].why.find(R"(http{method="DEL"})"), std::string::npos) << refused[0].why;
  EXPECT_TRUE(cb->metric_admitted(put) && cb->metric_admitted(same));
  EXPECT_FALSE(cb->metric_admitted(clash));

  std::uint64_t bad = 0;
  const agent::AdmitFn admit = [&](agent::Client& c) { ids.admit(c); };
  auto live = agent::collect_metrics({ca, cb}, Departed{}, bad, admit);
  EXPECT_EQ(live.at(R"(http{method="GET"})").total, 8u);  // one series, two clients
  EXPECT_EQ(live.at(R"(http{method="PUT"})").total, 4u);
  EXPECT_EQ(live.count(R"(http{method="DEL"})"), 0u);
}

TEST(MetricIdentity, NonCanonicalLabelTextIsABadDescriptor) {
  TestRegion a(small_params(), "hostile", 1);
  // Unsorted, a reserved name, an empty value, a control byte, a bad escape, an event type.
  for (const char* text :
       {R"(b="1",a="2")", R"(le="1")", R"(a="")", "a=\"\x01\"", R"(a="\q")", R"(a="1)"}) {
    a.add_metric("m", MetricKind::kCounter, 0, "", text);
  }
  a.add_metric("e", MetricKind::kEvent, 0, "", R"(a="1")");
  auto c = a.make_client(0);
  c->refresh_descriptors();
  ASSERT_EQ(c->descriptor_count(), 7u);
  MetricIdentities ids;
  EXPECT_TRUE(ids.admit(*c).empty());  // invalid descriptors are never admitted, nor refused
  for (std::uint32_t i = 0; i < 7; ++i) EXPECT_FALSE(c->metric_admitted(i)) << i;
}

// A client that publishes `n` labelled series "req{id=TAG-i}".
std::unique_ptr<TestRegion> series_client(const std::string& tag, int n,
                                          std::uint64_t incarnation) {
  auto r = std::make_unique<TestRegion>(small_params(), tag, incarnation);
  for (int i = 0; i < n; ++i) {
    r->add_metric("req", MetricKind::kCounter, 0, "", "id=\"" + tag + std::to_string(i) + "\"");
  }
  return r;
}

std::vector<MetricIdentities::Cause> causes(const std::vector<MetricIdentities::Refusal>& r) {
  std::vector<MetricIdentities::Cause> out;
  for (const auto& x : r) out.push_back(x.cause);
  return out;
}

TEST(MetricIdentity, TheSeriesTableIsBoundedWithASharePerClientAndAReserve) {
  using Cause = MetricIdentities::Cause;
  MetricIdentities ids(10);  // share 5, reserve 1, reserve share 1
  ASSERT_EQ(ids.share(), 5u);
  ASSERT_EQ(ids.reserve(), 1u);
  ASSERT_EQ(ids.reserve_share(), 1u);
  auto a = series_client("a", 8, 1), b = series_client("b", 6, 2), c = series_client("c", 1, 3),
       d = series_client("d", 1, 4);
  auto ca = a->make_client(0), cb = b->make_client(1), cc = c->make_client(2),
       cd = d->make_client(3);
  // a: its share (5), then refused; b: up to the reserve (9 held); c: a small client takes the
  // reserve; d: the table is full.
  EXPECT_EQ(causes(ids.admit(*ca)), std::vector<Cause>(3, Cause::kShare));
  EXPECT_EQ(causes(ids.admit(*cb)), std::vector<Cause>(2, Cause::kReserve));
  EXPECT_TRUE(ids.admit(*cc).empty());
  const auto refused = ids.admit(*cd);
  ASSERT_EQ(causes(refused), std::vector<Cause>{Cause::kFull});
  EXPECT_NE(refused[0].why.find("--max-series"), std::string::npos) << refused[0].why;
  EXPECT_EQ(ids.size(), 10u);
  EXPECT_TRUE(ca->metric_admitted(4));
  EXPECT_FALSE(ca->metric_admitted(5));
}

TEST(MetricIdentity, RestoredSeriesCountAndUnusedOnesAreRetired) {
  // The departed totals of a previous agent: 6 series, 3 of them carrying counts.
  agent::Folded totals;
  for (int i = 0; i < 6; ++i) {
    totals.metrics["req{id=\"old" + std::to_string(i) + "\"}"] =
        agent::FoldedMetric{MetricKind::kCounter, "", std::uint64_t(i % 2), {}};
  }
  Departed departed;
  departed.restore(totals, {});
  MetricIdentities ids(6);
  ids.seed(departed);
  EXPECT_EQ(ids.size(), 6u);  // restored series count against the bound
  EXPECT_EQ(ids.restored(), 6u);
  auto n = series_client("n", 2, 7);
  auto cn = n->make_client(0);
  // Without a departed set to retire from, the table is full.
  EXPECT_EQ(causes(ids.admit(*cn, &departed)),
            std::vector<MetricIdentities::Cause>(2, MetricIdentities::Cause::kFull));
  // With one, the three series that carry nothing are retired first: both are admitted.
  auto n2 = series_client("n", 2, 8);
  auto cn2 = n2->make_client(1);
  std::vector<std::string> retired;
  EXPECT_TRUE(ids.admit(*cn2, &departed, &departed, &retired).empty());
  EXPECT_EQ(retired.size(), 3u);
  EXPECT_EQ(ids.size(), 5u);
  EXPECT_EQ(departed.totals().metrics.size(), 3u);  // the counts stay, exact
  EXPECT_EQ(departed.totals().metrics.at("req{id=\"old1\"}").total, 1u);
  // A leaving client's series lose their live publisher: retirable once they carry nothing.
  ids.release(*cn2);
  auto m = series_client("m", 3, 9);
  auto cm = m->make_client(2);
  retired.clear();
  EXPECT_EQ(ids.admit(*cm, &departed, &departed, &retired).size(), 0u);
  EXPECT_EQ(retired.size(), 2u);  // n's two series: never folded, so nothing departed carries them
}

}  // namespace
}  // namespace shmon::agent_test
