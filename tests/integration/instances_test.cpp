// SPDX-License-Identifier: Apache-2.0
// One agent per instance: a second agent is turned away naming the first; instances side by side
// do not see each other's clients.
#include "common.hpp"

namespace shmon::test {
namespace {

bool lists_client(const TestEnv& env, const std::string& instance, const std::string& name) {
  auto apps = app_clients(env, instance);
  if (!apps) return false;
  for (const auto& c : *apps) {
    if (c.value("name", "") == name) return true;
  }
  return false;
}

TEST(Instances, SecondAgentExitsThreeNamingTheFirst) {
  TestEnv env;
  const auto instance = env.instance("taken");
  auto first = start_agent(env, instance);
  ASSERT_NE(first, nullptr);

  auto second = spawn(env, agent_bin(), {"--instance", instance});
  const auto status = second->wait_exit(deadline_in(10s));
  EXPECT_TRUE(exited_with(status, 3)) << second->describe();
  EXPECT_NE(second->stderr_text().find(std::to_string(first->pid())), std::string::npos)
      << "stderr must name the running agent's pid " << first->pid() << ":\n"
      << second->describe();
  EXPECT_TRUE(first->running()) << first->describe();
}

TEST(Instances, TwoInstancesSideBySide) {
  TestEnv env;
  const auto a = env.instance("a");
  const auto b = env.instance("b");
  auto agent_a = start_agent(env, a);
  ASSERT_NE(agent_a, nullptr);
  auto agent_b = start_agent(env, b);
  ASSERT_NE(agent_b, nullptr);

  auto loadgen = spawn_loadgen(env, a, "only-on-a", loadgen_args("side", 1000, true));
  ASSERT_TRUE(wait_until([&] { return lists_client(env, a, "only-on-a"); },
                         deadline_in(kConditionWait), 20ms))
      << loadgen->describe();
  EXPECT_FALSE(lists_client(env, b, "only-on-a"));
  EXPECT_EQ(app_count(env, b), 0);

  loadgen->close_stdin();
  EXPECT_TRUE(exits_zero(*loadgen, deadline_in(kExitWait)));
  EXPECT_EQ(metric_total(env, a, "side"), 1000u);
  EXPECT_EQ(metric_total(env, b, "side"), std::nullopt);
}

}  // namespace
}  // namespace shmon::test
