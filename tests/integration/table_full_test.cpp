// SPDX-License-Identifier: Apache-2.0
// A full client table: the extra client is refused with "full", keeps buffering, and gets in
// with every count when a slot frees up.
#include "common.hpp"

namespace shmon::test {
namespace {

TEST(TableFull, ExtraClientBuffersUntilASlotFrees) {
  TestEnv env;
  const auto instance = env.instance("full");
  auto agent = start_agent(env, instance, {"--max-clients", "4"});
  ASSERT_NE(agent, nullptr);

  std::vector<std::unique_ptr<Child>> holders;
  for (int i = 0; i < 4; ++i) {
    holders.push_back(spawn_loadgen(env, instance, "holder-" + std::to_string(i),
                                    loadgen_args("held", 100, true)));
  }
  ASSERT_TRUE(
      wait_until([&] { return app_count(env, instance) == 4; }, deadline_in(kConditionWait), 20ms));

  auto fifth = spawn_loadgen(env, instance, "fifth", loadgen_args("fifth", 12345, true));
  std::optional<std::uint64_t> refused;
  ASSERT_TRUE(wait_until(
      [&] {
        refused = status_field(env, instance, "clients_refused");
        return refused >= 1u;
      },
      deadline_in(kConditionWait), 20ms))
      << fifth->describe();
  EXPECT_TRUE(wait_until([&] { return agent->output().find("agent full") != std::string::npos; },
                         deadline_in(5s)))
      << "the agent's log does not say why the fifth client was refused:\n"
      << agent->describe();
  EXPECT_EQ(app_count(env, instance), 4);
  EXPECT_TRUE(fifth->running()) << fifth->describe();

  holders[0]->close_stdin();
  EXPECT_TRUE(exits_zero(*holders[0], deadline_in(kExitWait)));
  std::optional<std::uint64_t> total;
  ASSERT_TRUE(wait_until(
      [&] {
        total = metric_total(env, instance, "fifth");
        return total == 12345u;
      },
      deadline_in(kConditionWait), 50ms))
      << "fifth=" << total.value_or(0) << "\n"
      << fifth->describe();

  fifth->close_stdin();
  EXPECT_TRUE(exits_zero(*fifth, deadline_in(kExitWait)));
  EXPECT_EQ(metric_total(env, instance, "fifth"), 12345u);
  std::cout << "fifth loadgen's output:\n" << fifth->output() << std::endl;
  for (auto& h : holders) h->close_stdin();
  EXPECT_TRUE(all_exit_zero(holders, deadline_in(kExitWait)));
  EXPECT_EQ(metric_total(env, instance, "held"), 400u);
}

}  // namespace
}  // namespace shmon::test
