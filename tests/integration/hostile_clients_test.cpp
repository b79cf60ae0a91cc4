// SPDX-License-Identifier: Apache-2.0
// Clients that lie: the agent refuses bad attaches, answers garbage with errors, counts them,
// and keeps serving everyone else.
#include <cctype>

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

// A rogue agent: shmon-testclient rogue-agent listens on the instance's socket and answers the
// probe's attach with kOk and a control region whose magic or ABI version is wrong. The real
// probe (probe-attach-once) must refuse the session, say why in last_error(), hang up, and keep
// taking updates without crashing.
struct RogueCase {
  const char* variant;
  const char* expected_error;  // besides "agent at <socket path>"; empty: nothing more
};

class RogueAgent : public ::testing::TestWithParam<RogueCase> {};

struct RogueRun {
  std::string socket;
  std::string client_output;
  bool client_ok = false;
};

RogueRun run_against_rogue(TestEnv& env, const char* variant) {
  RogueRun run;
  const auto instance = env.instance("rogue");
  run.socket = env.runtime_dir() + "/" + instance + ".sock";
  auto rogue =
      spawn(env, testclient_bin(), {"rogue-agent", "--instance", instance, "--variant", variant});
  EXPECT_TRUE(rogue->wait_for_line("ROGUE READY", deadline_in(10s))) << rogue->describe();

  auto client =
      spawn(env, testclient_bin(),
            {"probe-attach-once", "--instance", instance, "--name", "victim", "--wait-ms", "3000"});
  run.client_ok = bool(exits_zero(*client, deadline_in(kExitWait)));
  EXPECT_TRUE(run.client_ok) << client->describe();
  run.client_output = client->stdout_text();

  // The probe dropped the refused connection: the rogue saw EOF and exited cleanly.
  EXPECT_TRUE(rogue->wait_for_line("ROGUE PEER CLOSED", deadline_in(kExitWait)))
      << rogue->describe();
  EXPECT_TRUE(exits_zero(*rogue, deadline_in(kExitWait)));
  return run;
}

TEST_P(RogueAgent, CorruptControlRegionIsRefused) {
  TestEnv env;
  const RogueCase& c = GetParam();
  const RogueRun run = run_against_rogue(env, c.variant);
  const std::string& out = run.client_output;

  EXPECT_NE(out.find("STATE refused\n"), std::string::npos) << out;
  EXPECT_NE(out.find("ERROR agent at " + run.socket), std::string::npos) << out;
  if (*c.expected_error != '\0') {
    EXPECT_NE(out.find(c.expected_error), std::string::npos) << out;
  }
  // Updates after the refusal went on (buffered) and the process did not crash.
  EXPECT_NE(out.find("UPDATES "), std::string::npos) << out;
}

// bad-magic: the probe currently reports it with its ABI sentence ("speaks ABI 1; this probe
// speaks 1"), so only the refusal and the socket path are checked above; the wording is pinned
// by the disabled test below until the probe names the magic.
INSTANTIATE_TEST_SUITE_P(
    Hostile, RogueAgent,
    ::testing::Values(RogueCase{"bad-magic", "control region with a bad magic"},
                      RogueCase{"bad-abi", "speaks ABI 999; this client speaks 4"}),
    [](const auto& info) {
      std::string name = info.param.variant;
      for (auto& c : name) c = c == '-' ? '_' : c;
      return name;
    });

}  // namespace
}  // namespace shmon::test
