// SPDX-License-Identifier: Apache-2.0
// Counters are exact across many processes, across a client that starts before the agent, and
// across a crowd of clients arriving and leaving at once.
#include "common.hpp"

namespace shmon::test {
namespace {

TEST(Counters, EightLoadgensCountExactly) {
  TestEnv env;
  const auto instance = env.instance("eight");
  auto agent = start_agent(env, instance);
  ASSERT_NE(agent, nullptr);

  std::vector<std::unique_ptr<Child>> loadgens;
  for (int i = 0; i < 8; ++i) {
    loadgens.push_back(spawn_loadgen(env, instance, "lg-" + std::to_string(i),
                                     loadgen_args("hits", 100000, /*hold_open=*/true)));
  }
  std::optional<std::uint64_t> total;
  int apps = -1;
  const bool settled = wait_until(
      [&] {
        apps = app_count(env, instance);
        total = metric_total(env, instance, "hits");
        return apps == 8 && total == 800000u;
      },
      deadline_in(kConditionWait), 50ms);
  ASSERT_TRUE(settled) << "apps=" << apps << " hits=" << (total ? std::to_string(*total) : "none")
                       << "\n"
                       << agent->describe();

  auto clients = app_clients(env, instance);
  ASSERT_TRUE(clients.has_value());
  ASSERT_EQ(clients->size(), 8u) << clients->dump(2);
  for (const auto& c : *clients) {
    EXPECT_GT(c["mutex"]["acquired"].get<std::uint64_t>(), 0u) << c.dump(2);
    EXPECT_EQ(c["timeouts"]["lock"].get<std::uint64_t>(), 0u) << c.dump(2);
    EXPECT_EQ(c["timeouts"]["done"].get<std::uint64_t>(), 0u) << c.dump(2);
  }

  for (auto& lg : loadgens) lg->close_stdin();
  EXPECT_TRUE(all_exit_zero(loadgens, deadline_in(kExitWait)));
  // Departed clients are folded into the totals: still exact.
  EXPECT_EQ(metric_total(env, instance, "hits"), 800000u);
  EXPECT_TRUE(agent->running()) << agent->describe();
}

TEST(Counters, ClientStartsBeforeAgent) {
  TestEnv env;
  const auto instance = env.instance("early");
  auto loadgen =
      spawn_loadgen(env, instance, "early-bird", loadgen_args("hits", 100000, /*hold_open=*/true));
  // No agent exists: the probe buffers in its own region and keeps running.
  ASSERT_TRUE(loadgen->running()) << loadgen->describe();
  // Nothing can acknowledge its total yet, so it has no summary line.
  EXPECT_EQ(loadgen->stdout_text().find("status="), std::string::npos) << loadgen->describe();

  auto agent = start_agent(env, instance);
  ASSERT_NE(agent, nullptr);
  std::optional<std::uint64_t> total;
  ASSERT_TRUE(wait_until(
      [&] {
        total = metric_total(env, instance, "hits");
        return total == 100000u;
      },
      deadline_in(kConditionWait), 50ms))
      << "hits=" << (total ? std::to_string(*total) : "none") << "\n"
      << loadgen->describe();

  loadgen->close_stdin();
  EXPECT_TRUE(exits_zero(*loadgen, deadline_in(kExitWait)));
  EXPECT_EQ(metric_total(env, instance, "hits"), 100000u);
}

TEST(Counters, ManyClientsJoinAndLeaveAtOnce) {
  TestEnv env;
  const auto instance = env.instance("crowd");
  auto agent = start_agent(env, instance);
  ASSERT_NE(agent, nullptr);

  constexpr int kClients = 32;
  constexpr std::uint64_t kIncrements = 1000;
  std::vector<std::unique_ptr<Child>> loadgens;
  for (int i = 0; i < kClients; ++i) {
    loadgens.push_back(spawn_loadgen(env, instance, "crowd-" + std::to_string(i),
                                     loadgen_args("crowd", kIncrements, false, /*threads=*/1)));
  }
  EXPECT_TRUE(all_exit_zero(loadgens, deadline_in(90s)));
  EXPECT_EQ(metric_total(env, instance, "crowd"), kClients * kIncrements);

  // Every app left: only tools (the querying shmonctl) remain connected.
  nlohmann::json clients;
  ASSERT_TRUE(wait_until(
      [&] {
        auto c = ctl_json(env, instance, "clients");
        if (!c || !c->is_array()) return false;
        clients = *c;
        for (const auto& entry : clients) {
          if (entry.value("kind", "") == "app") return false;
        }
        return true;
      },
      deadline_in(kConditionWait), 50ms))
      << clients.dump(2);
  const auto connected = status_field(env, instance, "clients_connected");
  ASSERT_TRUE(connected.has_value());
  EXPECT_LE(*connected, 1u) << "only the querying shmonctl may be connected";
  EXPECT_TRUE(agent->running()) << agent->describe();
}

}  // namespace
}  // namespace shmon::test
