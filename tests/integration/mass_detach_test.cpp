// SPDX-License-Identifier: Apache-2.0
// Clients that leave at once, and a leaver whose bye call is slow to finish, never leave the
// client mutex to be repaired or waited out: the agent honours the token of a client that is
// leaving mid-call (it marks it leaving while the bye's own call still holds the mutex).
#include <signal.h>

#include "common.hpp"

namespace shmon::test {
namespace {

TEST(MassDetach, LeaverMidCallKeepsItsToken) {
  TestEnv env;
  const auto instance = env.instance("byehold");
  // A lease far beyond the hold (three 50 ms ticks): only a wrong repair can take the lock away.
  auto agent = start_agent(env, instance, {"--lease-ms", "20000"});
  ASSERT_NE(agent, nullptr);

  // Answered bye, then the mutex kept for three housekeeping ticks, then released.
  auto leaver = spawn_testclient(env, "bye-hold", instance, "leaver", {"--wait-ms", "15000"});
  ASSERT_TRUE(leaver->wait_for_line("RELEASED", deadline_in(kConditionWait))) << leaver->describe();
  EXPECT_NE(leaver->stdout_text().find("ANSWERED ok"), std::string::npos) << leaver->describe();
  EXPECT_NE(leaver->stdout_text().find("RELEASED ok"), std::string::npos)
      << "the agent took the lock from a client finishing its bye:\n"
      << leaver->describe() << agent->describe();
  EXPECT_TRUE(exits_zero(*leaver, deadline_in(kExitWait)));

  EXPECT_EQ(status_field(env, instance, "lock_repairs"), 0u) << agent->describe();
  EXPECT_EQ(status_field(env, instance, "lease_revocations"), 0u) << agent->describe();
  EXPECT_EQ(app_count(env, instance), 0);
}

// The stall itself: a leaver descheduled between its bye's Exec and reading the answer, while
// another client calls. The old agent released the leaver's token at its next tick, the other
// client's request overwrote the answer, and the leaver waited out its whole Done timeout.
TEST(MassDetach, LeaverReadsItsAnswerWhileOthersCall) {
  TestEnv env;
  const auto instance = env.instance("latebye");
  auto agent = start_agent(env, instance, {"--lease-ms", "20000"});
  ASSERT_NE(agent, nullptr);
  // Pings back to back, for far longer than the test: it is stopped below.
  auto caller =
      spawn(env, ctl_bin(),
            {"--instance", instance, "--timeout-ms", "60000", "ping", "--count", "1000000"});
  ASSERT_TRUE(wait_until([&] { return status_field(env, instance, "requests").value_or(0) > 200; },
                         deadline_in(kConditionWait)))
      << caller->describe();

  auto leaver = spawn_testclient(env, "bye-hold", instance, "leaver",
                                 {"--variant", "late-read", "--wait-ms", "5000"});
  ASSERT_TRUE(leaver->wait_for_line("ANSWERED", deadline_in(kConditionWait))) << leaver->describe();
  EXPECT_NE(leaver->stdout_text().find("ANSWERED ok"), std::string::npos)
      << "the leaver's answer was lost (overwritten by the other client's):\n"
      << leaver->describe() << agent->describe();
  EXPECT_TRUE(leaver->wait_for_line("RELEASED ok", deadline_in(kConditionWait)))
      << leaver->describe();
  EXPECT_TRUE(exits_zero(*leaver, deadline_in(kExitWait)));
  // The caller goes first: back-to-back pings can keep a status query from the mutex for its
  // whole timeout (the mutex is not fair). Its death is a dead-owner release, never a repair.
  caller->signal(SIGTERM);
  caller->wait_exit(deadline_in(kExitWait));
  EXPECT_EQ(status_field(env, instance, "lock_repairs"), 0u) << agent->describe();
}

TEST(MassDetach, ManyProbesInFewProcessesAllLeave) {
  TestEnv env;
  const auto instance = env.instance("massdetach");
  auto agent = start_agent(env, instance, {"--max-clients", "256"});
  ASSERT_NE(agent, nullptr);

  constexpr int kProcesses = 4;
  constexpr int kProbesEach = 32;
  std::vector<std::unique_ptr<Child>> holders;
  for (int i = 0; i < kProcesses; ++i) {
    holders.push_back(
        spawn_testclient(env, "mass-detach", instance, "p" + std::to_string(i),
                         {"--variant", std::to_string(kProbesEach), "--wait-ms", "30000"}));
  }
  for (auto& h : holders) {
    ASSERT_TRUE(h->wait_for_line("READY", deadline_in(kConditionWait))) << h->describe();
  }
  ASSERT_EQ(app_count(env, instance), kProcesses * kProbesEach);

  for (auto& h : holders) h->close_stdin();  // all leave at once
  EXPECT_TRUE(all_exit_zero(holders, deadline_in(kExitWait)));
  EXPECT_TRUE(
      wait_until([&] { return app_count(env, instance) == 0; }, deadline_in(kConditionWait)));
  // Every leaver unlocked its own bye: nothing was repaired, nobody was revoked.
  EXPECT_EQ(status_field(env, instance, "lock_repairs"), 0u) << agent->describe();
  EXPECT_EQ(status_field(env, instance, "lease_revocations"), 0u) << agent->describe();
  EXPECT_EQ(metric_total(env, instance, "mass_detach.attached"),
            std::uint64_t(kProcesses * kProbesEach));
  for (auto& h : holders) {
    EXPECT_NE(h->stdout_text().find("LEFT "), std::string::npos) << h->describe();
  }
}

}  // namespace
}  // namespace shmon::test
