// SPDX-License-Identifier: Apache-2.0
// Exact folding on every path by which a client leaves: a metric registered after attach, added
// to and flushed just before the client goes, is counted whether the client says bye, is killed
// (socket EOF + pidfd), closes its socket, dies while a keeper holds its socket (pidfd alone),
// loses its lease and re-attaches, or frees a slot of a full table. On the old code the agent
// folded against descriptors copied before the values were read and lost such a metric.
#include <signal.h>
#include <sys/wait.h>

#include "common.hpp"

namespace shmon::test {
namespace {

std::unique_ptr<Child> late_client(const TestEnv& env, const std::string& instance,
                                   const std::string& name, const std::string& variant) {
  return spawn_testclient(env, "late-metric", instance, name,
                          {"--variant", variant, "--wait-ms", "30000"});
}

// Waits until no app client is attached, then expects `late` == `expected`.
void expect_late_total_after_departure(const TestEnv& env, const std::string& instance,
                                       std::uint64_t expected, Child& agent) {
  ASSERT_TRUE(
      wait_until([&] { return app_count(env, instance) == 0; }, deadline_in(kConditionWait), 20ms))
      << agent.describe();
  EXPECT_EQ(metric_total(env, instance, "late"), expected) << agent.describe();
}

TEST(Departure, TwentyShortLivedAppsCountExactly) {
  TestEnv env;
  const auto instance = env.instance("short");
  auto agent = start_agent(env, instance);
  ASSERT_NE(agent, nullptr);
  std::vector<std::unique_ptr<Child>> apps;
  for (int i = 0; i < 20; ++i) {
    apps.push_back(late_client(env, instance, "short-" + std::to_string(i), "bye"));
  }
  EXPECT_TRUE(all_exit_zero(apps, deadline_in(kExitWait)));
  expect_late_total_after_departure(env, instance, 140, *agent);
}

TEST(Departure, KilledClientIsFoldedExactly) {
  TestEnv env;
  const auto instance = env.instance("killed");
  auto agent = start_agent(env, instance);
  ASSERT_NE(agent, nullptr);
  auto c = late_client(env, instance, "killed", "kill");
  const auto status = c->wait_exit(deadline_in(kExitWait));
  ASSERT_TRUE(status.has_value()) << c->describe();
  ASSERT_TRUE(WIFSIGNALED(*status) && WTERMSIG(*status) == SIGKILL) << c->describe();
  ASSERT_NE(c->stdout_text().find("FLUSHED"), std::string::npos) << c->describe();
  expect_late_total_after_departure(env, instance, 7, *agent);
}

TEST(Departure, SocketEofIsFoldedExactly) {
  TestEnv env;
  const auto instance = env.instance("eof");
  auto agent = start_agent(env, instance);
  ASSERT_NE(agent, nullptr);
  auto c = late_client(env, instance, "eof", "eof");
  ASSERT_TRUE(c->wait_for_line("SHUTDOWN", deadline_in(kConditionWait))) << c->describe();
  // The process lives on: only the closed socket tells the agent it left.
  expect_late_total_after_departure(env, instance, 7, *agent);
  EXPECT_TRUE(c->running());
  c->close_stdin();
  EXPECT_TRUE(exits_zero(*c, deadline_in(kExitWait)));
}

TEST(Departure, PidfdAloneIsFoldedExactly) {
  TestEnv env;
  const auto instance = env.instance("pidfd");
  auto agent = start_agent(env, instance);
  ASSERT_NE(agent, nullptr);
  auto c = late_client(env, instance, "pidfd", "pidfd");
  ASSERT_TRUE(c->wait_for_line("KEEPER", deadline_in(kConditionWait))) << c->describe();
  EXPECT_TRUE(exits_zero(*c, deadline_in(kExitWait)));
  // The keeper still holds the socket open: the pidfd alone says the client is gone.
  expect_late_total_after_departure(env, instance, 7, *agent);
  EXPECT_TRUE(wait_until(
      [&] { return agent->output().find("process exited") != std::string::npos; }, deadline_in(5s)))
      << "the departure was not noticed through the pidfd:\n"
      << agent->describe();
  c->close_stdin();  // releases the keeper (same process group, killed by the harness anyway)
}

TEST(Departure, FullTableFreesASlotAndEveryoneIsExact) {
  TestEnv env;
  const auto instance = env.instance("fullfold");
  auto agent = start_agent(env, instance, {"--max-clients", "2"});
  ASSERT_NE(agent, nullptr);
  auto a = late_client(env, instance, "holder-a", "hold");
  auto b = late_client(env, instance, "holder-b", "hold");
  ASSERT_TRUE(a->wait_for_line("FLUSHED", deadline_in(kConditionWait))) << a->describe();
  ASSERT_TRUE(b->wait_for_line("FLUSHED", deadline_in(kConditionWait))) << b->describe();
  auto third = late_client(env, instance, "third", "bye");
  ASSERT_TRUE(wait_until([&] { return status_field(env, instance, "clients_refused") >= 1u; },
                         deadline_in(kConditionWait), 20ms))
      << third->describe();
  a->close_stdin();  // frees a slot: a is folded, the third gets in, registers, flushes, leaves
  EXPECT_TRUE(exits_zero(*a, deadline_in(kExitWait)));
  EXPECT_TRUE(exits_zero(*third, deadline_in(kExitWait)));
  b->close_stdin();
  EXPECT_TRUE(exits_zero(*b, deadline_in(kExitWait)));
  expect_late_total_after_departure(env, instance, 21, *agent);
}

}  // namespace
}  // namespace shmon::test
