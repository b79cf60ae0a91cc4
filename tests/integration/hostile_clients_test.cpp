// Clients that lie: the agent refuses bad attaches, answers garbage with errors, counts them,
// and keeps serving everyone else.
#include "common.hpp"

namespace shmon::test {
namespace {

void expect_serving(const TestEnv& env, const std::string& instance, Child& agent) {
  auto loadgen = spawn_loadgen(env, instance, "after", loadgen_args("after", 1000, false));
  EXPECT_TRUE(exits_zero(*loadgen, deadline_in(kExitWait)));
  EXPECT_EQ(metric_total(env, instance, "after"), 1000u);
  EXPECT_TRUE(agent.running()) << agent.describe();
}

class RefusedAttach : public ::testing::TestWithParam<const char*> {};

TEST_P(RefusedAttach, IsRefusedAndAgentKeepsServing) {
  TestEnv env;
  const auto instance = env.instance(GetParam());
  auto agent = start_agent(env, instance);
  ASSERT_NE(agent, nullptr);

  auto client = spawn_testclient(env, GetParam(), instance, "liar");
  EXPECT_TRUE(exits_zero(*client, deadline_in(kExitWait)));
  const auto refused = status_field(env, instance, "clients_refused");
  ASSERT_TRUE(refused.has_value());
  EXPECT_GE(*refused, 1u);
  expect_serving(env, instance, *agent);
}

INSTANTIATE_TEST_SUITE_P(Hostile, RefusedAttach,
                         ::testing::Values("bad-magic", "bad-abi", "bad-region-size"),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (auto& c : name) c = c == '-' ? '_' : c;
                           return name;
                         });

TEST(Hostile, GarbageInTheMailboxIsAnsweredWithErrors) {
  TestEnv env;
  const auto instance = env.instance("garbage");
  auto agent = start_agent(env, instance);
  ASSERT_NE(agent, nullptr);

  auto client = spawn_testclient(env, "garbage-mailbox", instance, "vandal");
  EXPECT_TRUE(exits_zero(*client, deadline_in(kExitWait)));
  expect_serving(env, instance, *agent);

  const auto errors = status_field(env, instance, "request_errors");
  const auto torn = status_field(env, instance, "torn_requests");
  ASSERT_TRUE(errors.has_value() && torn.has_value());
  EXPECT_GT(*errors + *torn, 0u);
}

}  // namespace
}  // namespace shmon::test
