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
  EXPECT_NE(refused[0].find("a gauge, but it is a counter"), std::string::npos) << refused[0];
  EXPECT_NE(refused[0].find("defined first by incumbent"), std::string::npos) << refused[0];
  EXPECT_NE(refused[1].find("another unit"), std::string::npos) << refused[1];
  EXPECT_NE(refused[2].find("other bucket bounds"), std::string::npos) << refused[2];
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
  EXPECT_NE(refused[0].find("departed"), std::string::npos) << refused[0];
  EXPECT_FALSE(cb->metric_admitted(hits));
}

}  // namespace
}  // namespace shmon::agent_test
