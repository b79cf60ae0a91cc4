// SPDX-License-Identifier: Apache-2.0
// Chaos soak (short version; scripts/soak.sh runs the long one): the agent is SIGKILLed and
// restarted 50 times while loadgens keep joining, finishing and leaving, some held open. Every
// loadgen exits 0 only when the agent acknowledged its exact total; at the end the agent's total
// equals the sum of everything acknowledged, exactly.
#include <signal.h>

#include "common.hpp"

namespace shmon::test {
namespace {

TEST(Chaos, FiftyAgentKillsLoseNothingAcknowledged) {
  TestEnv env;
  const auto instance = env.instance("chaos");
  auto agent = start_agent(env, instance);
  ASSERT_NE(agent, nullptr);

  constexpr int kKills = 50;
  constexpr std::uint64_t kIncrements = 20000;
  std::vector<std::unique_ptr<Child>> running, held;
  std::uint64_t expected = 0;
  int finished = 0;
  auto reap = [&] {
    for (auto it = running.begin(); it != running.end();) {
      if ((*it)->running()) {
        ++it;
        continue;
      }
      EXPECT_TRUE(exits_zero(**it, deadline_in(1s)));
      ++finished;
      it = running.erase(it);
    }
  };
  auto loadgen = [&](const std::string& name, bool hold) {
    auto args = loadgen_args("chaos", kIncrements, hold, 1);
    args.insert(args.end(), {"--wait-ms", "120000"});
    expected += kIncrements;
    return spawn_loadgen(env, instance, name, args);
  };

  for (int kill = 0; kill < kKills; ++kill) {
    running.push_back(loadgen("run-" + std::to_string(kill) + "a", false));
    running.push_back(loadgen("run-" + std::to_string(kill) + "b", false));
    if (kill % 10 == 0) held.push_back(loadgen("held-" + std::to_string(kill), true));
    // Let some work reach the agent (bounded), then kill it mid-flight.
    wait_until([&] { return app_count(env, instance) >= 1; }, deadline_in(400ms), 5ms);
    reap();
    agent->signal(SIGKILL);
    ASSERT_TRUE(agent->wait_exit(deadline_in(10s)).has_value());
    agent = start_agent(env, instance);
    ASSERT_NE(agent, nullptr) << "restart " << kill;
  }
  for (auto& h : held) h->close_stdin();
  for (auto& c : running) EXPECT_TRUE(exits_zero(*c, deadline_in(kExitWait)));
  for (auto& h : held) EXPECT_TRUE(exits_zero(*h, deadline_in(kExitWait)));
  std::cout << finished << " loadgens finished during the kills, " << running.size() + held.size()
            << " after\n";
  std::optional<std::uint64_t> total;
  EXPECT_TRUE(wait_until(
      [&] {
        total = metric_total(env, instance, "chaos");
        return app_count(env, instance) == 0 && total == expected;
      },
      deadline_in(kConditionWait), 50ms))
      << "chaos=" << total.value_or(0) << " expected=" << expected << "\n"
      << agent->describe();
  // And once more across a last kill, with nobody attached.
  agent->signal(SIGKILL);
  ASSERT_TRUE(agent->wait_exit(deadline_in(10s)).has_value());
  agent = start_agent(env, instance);
  ASSERT_NE(agent, nullptr);
  EXPECT_EQ(metric_total(env, instance, "chaos"), expected);
}

}  // namespace
}  // namespace shmon::test
