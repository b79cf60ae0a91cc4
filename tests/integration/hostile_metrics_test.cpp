// SPDX-License-Identifier: Apache-2.0
// Metric identity: a client that publishes another client's metric name as something else
// (another kind, unit or histogram bounds) is refused for that metric. The incumbent's total
// never changes, while both are live and after both left, and the newcomer is named: its
// metric_clashes and refused_metrics, the agent's hostile.metric_clashes and its log.
#include "common.hpp"

namespace shmon::test {
namespace {

constexpr std::uint64_t kHonest = 20'000;

std::optional<nlohmann::json> client_entry(const TestEnv& env, const std::string& instance,
                                           const std::string& name) {
  auto apps = app_clients(env, instance);
  if (!apps) return std::nullopt;
  for (const auto& c : *apps) {
    if (c["name"] == name) return c;
  }
  return std::nullopt;
}

std::string metric_kind(const TestEnv& env, const std::string& instance, const std::string& name) {
  auto metrics = ctl_json(env, instance, "metrics");
  if (!metrics) return "query failed";
  for (const auto& m : *metrics) {
    if (m["name"] == name) return m["kind"].get<std::string>();
  }
  return "absent";
}

std::unique_ptr<Child> start_newcomer(const TestEnv& env, const std::string& instance,
                                      const char* variant) {
  auto c =
      spawn(env, testclient_bin(),
            {"clash-metric", "--instance", instance, "--name", "squatter", "--variant", variant});
  EXPECT_TRUE(c->wait_for_line("REGISTERED", deadline_in(kConditionWait))) << c->describe();
  return c;
}

void expect_clash_reported(const TestEnv& env, const std::string& instance, Child& agent) {
  std::optional<nlohmann::json> entry;
  EXPECT_TRUE(wait_until(
      [&] {
        entry = client_entry(env, instance, "squatter");
        return entry && entry->contains("metric_clashes") &&
               (*entry)["metric_clashes"].get<std::uint64_t>() == 1;
      },
      deadline_in(kConditionWait), 20ms))
      << (entry ? entry->dump(2) : "no entry") << agent.describe();
  if (entry && entry->contains("refused_metrics")) {
    EXPECT_EQ((*entry)["refused_metrics"], nlohmann::json::array({"shared_hits"}));
  }
  EXPECT_TRUE(agent.wait_for_line("client squatter (pid", deadline_in(kConditionWait)))
      << agent.describe();
  auto status = ctl_json(env, instance, "status");
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ((*status)["hostile"]["metric_clashes"].get<std::uint64_t>(), 1u) << status->dump(2);
}

class MetricClash : public ::testing::TestWithParam<const char*> {};

TEST_P(MetricClash, NewcomerIsRefusedAndIncumbentKeepsItsTotal) {
  TestEnv env;
  const auto instance = env.instance("clash");
  auto agent = start_agent(env, instance);
  ASSERT_NE(agent, nullptr);
  auto honest = spawn_loadgen(env, instance, "honest", loadgen_args("shared_hits", kHonest, true));
  ASSERT_TRUE(wait_until([&] { return metric_total(env, instance, "shared_hits") == kHonest; },
                         deadline_in(kConditionWait), 20ms))
      << honest->describe();

  auto newcomer = start_newcomer(env, instance, GetParam());
  expect_clash_reported(env, instance, *agent);
  EXPECT_EQ(metric_total(env, instance, "shared_hits"), kHonest);
  EXPECT_EQ(metric_kind(env, instance, "shared_hits"), "counter");

  // The newcomer leaves first: nothing of it is folded over the incumbent.
  newcomer->close_stdin();
  EXPECT_TRUE(exits_zero(*newcomer, deadline_in(kExitWait)));
  ASSERT_TRUE(
      wait_until([&] { return app_count(env, instance) == 1; }, deadline_in(kConditionWait), 20ms));
  EXPECT_EQ(metric_total(env, instance, "shared_hits"), kHonest);

  honest->close_stdin();
  EXPECT_TRUE(exits_zero(*honest, deadline_in(kExitWait)));
  ASSERT_TRUE(
      wait_until([&] { return app_count(env, instance) == 0; }, deadline_in(kConditionWait), 20ms));
  EXPECT_EQ(metric_total(env, instance, "shared_hits"), kHonest);
  EXPECT_EQ(metric_kind(env, instance, "shared_hits"), "counter");
  EXPECT_TRUE(agent->running()) << agent->describe();
}

INSTANTIATE_TEST_SUITE_P(Hostile, MetricClash, ::testing::Values("gauge", "unit", "bounds"));

// The incumbent left before the newcomer came: its departed total still owns the name.
TEST(MetricClash, DepartedIncumbentKeepsItsName) {
  TestEnv env;
  const auto instance = env.instance("clash-departed");
  auto agent = start_agent(env, instance);
  ASSERT_NE(agent, nullptr);
  auto honest = spawn_loadgen(env, instance, "honest", loadgen_args("shared_hits", kHonest, false));
  EXPECT_TRUE(exits_zero(*honest, deadline_in(kExitWait)));
  ASSERT_TRUE(wait_until([&] { return metric_total(env, instance, "shared_hits") == kHonest; },
                         deadline_in(kConditionWait), 20ms));

  auto newcomer = start_newcomer(env, instance, "gauge");
  expect_clash_reported(env, instance, *agent);
  EXPECT_EQ(metric_total(env, instance, "shared_hits"), kHonest);
  newcomer->close_stdin();
  EXPECT_TRUE(exits_zero(*newcomer, deadline_in(kExitWait)));
  ASSERT_TRUE(
      wait_until([&] { return app_count(env, instance) == 0; }, deadline_in(kConditionWait), 20ms));
  EXPECT_EQ(metric_total(env, instance, "shared_hits"), kHonest);
  EXPECT_EQ(metric_kind(env, instance, "shared_hits"), "counter");
}

// A client that publishes the name exactly as the incumbent does is the same metric: summed.
TEST(MetricClash, SameIdentityIsSummed) {
  TestEnv env;
  const auto instance = env.instance("clash-same");
  auto agent = start_agent(env, instance);
  ASSERT_NE(agent, nullptr);
  auto honest = spawn_loadgen(env, instance, "honest", loadgen_args("shared_hits", kHonest, true));
  ASSERT_TRUE(wait_until([&] { return metric_total(env, instance, "shared_hits") == kHonest; },
                         deadline_in(kConditionWait), 20ms));
  auto peer = start_newcomer(env, instance, "same");
  EXPECT_TRUE(
      wait_until([&] { return metric_total(env, instance, "shared_hits") == kHonest + 777; },
                 deadline_in(kConditionWait), 20ms));
  auto entry = client_entry(env, instance, "squatter");
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ((*entry)["metric_clashes"].get<std::uint64_t>(), 0u);
  peer->close_stdin();
  honest->close_stdin();
  EXPECT_TRUE(exits_zero(*peer, deadline_in(kExitWait)));
  EXPECT_TRUE(exits_zero(*honest, deadline_in(kExitWait)));
  ASSERT_TRUE(
      wait_until([&] { return app_count(env, instance) == 0; }, deadline_in(kConditionWait), 20ms));
  EXPECT_EQ(metric_total(env, instance, "shared_hits"), kHonest + 777);
}

}  // namespace
}  // namespace shmon::test
