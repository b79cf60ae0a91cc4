// SPDX-License-Identifier: Apache-2.0
// Acknowledged submissions (Probe::submit) and metrics registered after attach stay exact across
// a lease revocation with re-attach and across an agent SIGKILL + restart. On the old code the
// agent kept submissions in its memory only (lost on re-attach and on restart).
#include <signal.h>

#include "common.hpp"

namespace shmon::test {
namespace {

// The values submissions.hpp (test client) writes: cells, submitted counter, histogram, events.
::testing::AssertionResult late_totals_exact(const TestEnv& env, const std::string& instance) {
  const auto late = metric_total(env, instance, "late");
  const auto submitted = metric_total(env, instance, "late_submitted");
  const auto hist = metric_total(env, instance, "late_hist");
  const auto events = metric_total(env, instance, "late_event");
  if (late == 7u && submitted == 5u && hist == 3u && events == 2u) {
    return ::testing::AssertionSuccess();
  }
  auto show = [](const std::optional<std::uint64_t>& v) {
    return v ? std::to_string(*v) : std::string("none");
  };
  return ::testing::AssertionFailure()
         << "late=" << show(late) << " (7) late_submitted=" << show(submitted)
         << " (5) late_hist=" << show(hist) << " (3) late_event=" << show(events) << " (2)";
}

TEST(Submissions, RevocationAndReattachKeepEverything) {
  TestEnv env;
  const auto instance = env.instance("subrevoke");
  auto agent = start_agent(env, instance, {"--lease-ms", "300"});
  ASSERT_NE(agent, nullptr);
  auto holder = spawn_testclient(env, "hold-lock", instance, "holder", {"--variant", "late"});
  ASSERT_TRUE(holder->wait_for_line("SUBMITTED", deadline_in(kConditionWait)))
      << holder->describe();
  ASSERT_TRUE(holder->wait_for_line("HOLDING", deadline_in(kConditionWait))) << holder->describe();
  holder->signal_group(SIGSTOP);
  ASSERT_TRUE(wait_until([&] { return status_field(env, instance, "lease_revocations") >= 1u; },
                         deadline_in(kConditionWait), 20ms))
      << agent->describe();
  holder->signal_group(SIGCONT);
  ASSERT_TRUE(holder->write_stdin("go on\n"));
  ASSERT_TRUE(holder->wait_for_line("RECONNECTED ok", deadline_in(kConditionWait)))
      << holder->describe();
  // Re-attached: the old slot was folded and unfolded again; the live values must be whole.
  EXPECT_TRUE(late_totals_exact(env, instance)) << agent->describe();
  EXPECT_TRUE(exits_zero(*holder, deadline_in(kExitWait)));
  ASSERT_TRUE(
      wait_until([&] { return app_count(env, instance) == 0; }, deadline_in(kConditionWait), 20ms));
  EXPECT_TRUE(late_totals_exact(env, instance)) << agent->describe();
}

TEST(Submissions, AgentKillKeepsAcknowledgedSubmissions) {
  TestEnv env;
  const auto instance = env.instance("subkill");
  auto agent = start_agent(env, instance);
  ASSERT_NE(agent, nullptr);
  auto client = spawn_testclient(env, "submit", instance, "submitter", {"--wait-ms", "30000"});
  ASSERT_TRUE(client->wait_for_line("SUBMITTED", deadline_in(kConditionWait)))
      << client->describe();
  agent->signal(SIGKILL);
  ASSERT_TRUE(agent->wait_exit(deadline_in(10s)).has_value());
  agent = start_agent(env, instance);
  ASSERT_NE(agent, nullptr);
  ASSERT_TRUE(
      wait_until([&] { return app_count(env, instance) == 1 && late_totals_exact(env, instance); },
                 deadline_in(kConditionWait), 50ms))
      << late_totals_exact(env, instance).message() << "\n"
      << agent->describe();
  client->close_stdin();
  EXPECT_TRUE(exits_zero(*client, deadline_in(kExitWait)));
  ASSERT_TRUE(
      wait_until([&] { return app_count(env, instance) == 0; }, deadline_in(kConditionWait), 20ms));
  EXPECT_TRUE(late_totals_exact(env, instance)) << agent->describe();
}

}  // namespace
}  // namespace shmon::test
