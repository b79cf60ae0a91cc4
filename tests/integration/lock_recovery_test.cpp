// SPDX-License-Identifier: Apache-2.0
// The client mutex survives its holder dying (dead-owner release) and its holder freezing
// (lease revocation); the frozen holder, resumed, learns it lost the lock and re-attaches.
#include <signal.h>

#include <algorithm>
#include <cctype>

#include "common.hpp"

namespace shmon::test {
namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  return text;
}

std::vector<std::unique_ptr<Child>> three_loadgens(const TestEnv& env, const std::string& instance,
                                                   const std::string& counter) {
  std::vector<std::unique_ptr<Child>> loadgens;
  for (int i = 0; i < 3; ++i) {
    loadgens.push_back(spawn_loadgen(env, instance, counter + "-" + std::to_string(i),
                                     loadgen_args(counter, 10000, false)));
  }
  return loadgens;
}

TEST(LockRecovery, DeadOwnerIsReleased) {
  TestEnv env;
  const auto instance = env.instance("deadowner");
  // A lease far beyond the clients' lock timeout: only the death notice can free the lock.
  auto agent = start_agent(env, instance, {"--lease-ms", "60000"});
  ASSERT_NE(agent, nullptr);

  auto holder = spawn_testclient(env, "hold-lock", instance, "holder");
  ASSERT_TRUE(holder->wait_for_line("HOLDING", deadline_in(15s))) << holder->describe();
  holder->signal(SIGKILL);
  ASSERT_TRUE(holder->wait_exit(deadline_in(10s)).has_value());

  auto loadgens = three_loadgens(env, instance, "after_death");
  EXPECT_TRUE(all_exit_zero(loadgens, deadline_in(kExitWait)));
  for (auto& lg : loadgens) {  // the lock came free without anyone timing out on it
    EXPECT_NE(lg->stdout_text().find(" timeouts=0 "), std::string::npos) << lg->describe();
  }
  EXPECT_EQ(metric_total(env, instance, "after_death"), 30000u);

  const auto releases = status_field(env, instance, "dead_owner_releases");
  ASSERT_TRUE(releases.has_value());
  EXPECT_GE(*releases, 1u);
  EXPECT_EQ(status_field(env, instance, "lease_revocations"), 0u);
  EXPECT_TRUE(wait_until([&] { return lower(agent->output()).find("releas") != std::string::npos; },
                         deadline_in(5s)))
      << "the agent's log does not mention the release:\n"
      << agent->describe();
}

TEST(LockRecovery, StoppedOwnerLosesItsLease) {
  TestEnv env;
  const auto instance = env.instance("stopped");
  auto agent = start_agent(env, instance, {"--lease-ms", "500"});
  ASSERT_NE(agent, nullptr);

  auto holder = spawn_testclient(env, "hold-lock", instance, "sleeper");
  ASSERT_TRUE(holder->wait_for_line("HOLDING", deadline_in(15s))) << holder->describe();
  holder->signal_group(SIGSTOP);

  // The others wait at most about the lease, then proceed.
  auto loadgens = three_loadgens(env, instance, "while_stopped");
  EXPECT_TRUE(all_exit_zero(loadgens, deadline_in(kExitWait)));
  EXPECT_EQ(metric_total(env, instance, "while_stopped"), 30000u);
  const auto revocations = status_field(env, instance, "lease_revocations");
  ASSERT_TRUE(revocations.has_value());
  EXPECT_GE(*revocations, 1u);

  holder->signal_group(SIGCONT);
  ASSERT_TRUE(holder->write_stdin("go on\n"));
  ASSERT_TRUE(holder->wait_for_line("RESULT", deadline_in(15s))) << holder->describe();
  EXPECT_EQ(holder->stdout_text().find("RESULT ok"), std::string::npos)
      << "a revoked holder must not see success:\n"
      << holder->describe();
  EXPECT_TRUE(holder->wait_for_line("RECONNECTED ok", deadline_in(20s))) << holder->describe();
  EXPECT_TRUE(exits_zero(*holder, deadline_in(kExitWait)));
  EXPECT_TRUE(agent->running()) << agent->describe();
}

}  // namespace
}  // namespace shmon::test
