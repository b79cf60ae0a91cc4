// SPDX-License-Identifier: Apache-2.0
// The agent dies (SIGKILL) while clients are busy; a new agent on the same instance picks up
// their regions: counters and event accounting stay exact.
#include "common.hpp"

namespace shmon::test {
namespace {

TEST(AgentRestart, KilledAgentIsReplacedWithoutLosingCounts) {
  TestEnv env;
  const auto instance = env.instance("restart");
  auto agent = start_agent(env, instance);
  ASSERT_NE(agent, nullptr);

  constexpr int kClients = 4;
  constexpr std::uint64_t kIncrements = 20'000'000;
  constexpr std::uint64_t kEvents = 1'000'000;
  std::vector<std::unique_ptr<Child>> loadgens;
  for (int i = 0; i < kClients; ++i) {
    auto args = loadgen_args("restart_hits", kIncrements, /*hold_open=*/true);
    // While no agent runs nothing drains: a producer with a full ring must outwait the restart,
    // which takes seconds on a loaded 2-core machine.
    args.insert(args.end(), {"--events", std::to_string(kEvents), "--policy", "wait",
                             "--overflow-wait-ms", "60000"});
    loadgens.push_back(spawn_loadgen(env, instance, "busy-" + std::to_string(i), args));
  }
  ASSERT_TRUE(wait_until([&] { return app_count(env, instance) == kClients; },
                         deadline_in(kConditionWait), 20ms))
      << agent->describe();

  // Loadgens print their summary only once acknowledged: those without one are still working.
  int still_working = 0;
  for (auto& lg : loadgens) still_working += lg->stdout_text().find("status=") == std::string::npos;
  std::cout << still_working << " of " << kClients << " loadgens were still working at the kill\n";
  agent->signal(SIGKILL);
  ASSERT_TRUE(agent->wait_exit(deadline_in(10s)).has_value());
  agent = start_agent(env, instance);
  ASSERT_NE(agent, nullptr);

  // Everything the clients wrote (cumulative cells, undrained rings) reaches the new agent.
  std::optional<std::uint64_t> total, received, dropped;
  const bool settled = wait_until(
      [&] {
        total = metric_total(env, instance, "restart_hits");
        received = status_field(env, instance, "events_received");
        dropped = status_field(env, instance, "events_dropped");
        return app_count(env, instance) == kClients && total == kClients * kIncrements &&
               received && dropped && *received + *dropped == kClients * kEvents;
      },
      deadline_in(90s), 100ms);
  ASSERT_TRUE(settled) << "hits=" << total.value_or(0) << " received=" << received.value_or(0)
                       << " dropped=" << dropped.value_or(0) << "\n"
                       << agent->describe();
  // The wait policy and a quick restart leave no reason to drop anything.
  EXPECT_EQ(*received, kClients * kEvents);

  for (auto& lg : loadgens) lg->close_stdin();
  EXPECT_TRUE(all_exit_zero(loadgens, deadline_in(kExitWait)));
  EXPECT_EQ(metric_total(env, instance, "restart_hits"), kClients * kIncrements);
  EXPECT_EQ(status_field(env, instance, "events_received"), kClients * kEvents);
}

}  // namespace
}  // namespace shmon::test
