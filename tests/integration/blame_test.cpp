// SPDX-License-Identifier: Apache-2.0
// Blame only on evidence no other client can forge (issue 18, item 4). A client that swallows
// the mailbox's Exec and Done signals, or scribbles on the shared response, beside an honest
// client calling in a loop: the honest client is never revoked and never named as the one that
// held the mutex past the lease. Its calls succeed or end in a clear timeout; what the agent could
// not attribute it counts (`unattributed_interference`) and says so.
#include <unistd.h>

#include <sstream>

#include "common.hpp"

namespace shmon::test {
namespace {

// The number after `key=` in `text`, or nullopt.
std::optional<std::uint64_t> field_in(const std::string& text, const std::string& key) {
  const auto at = text.find(" " + key + "=");
  if (at == std::string::npos) return std::nullopt;
  return std::strtoull(text.c_str() + at + key.size() + 2, nullptr, 10);
}

struct HonestRun {
  std::uint64_t accepted = 0, failed = 0, revoked = 0, timeouts = 0, not_connected = 0;
};

std::unique_ptr<Child> spawn_honest(const TestEnv& env, const std::string& instance, int ms) {
  return spawn(env, testclient_bin(),
               {"submit-count", "--instance", instance, "--name", "honest", "--wait-ms",
                std::to_string(ms), "--variant", "honest.event"});
}

std::unique_ptr<Child> spawn_vandal(const TestEnv& env, const std::string& instance,
                                    const std::string& variant, int ms) {
  return spawn(env, testclient_bin(),
               {"vandal", "--instance", instance, "--name", "vandal", "--variant", variant,
                "--wait-ms", std::to_string(ms)});
}

::testing::AssertionResult finished(Child& honest, HonestRun& run) {
  if (auto ok = exits_zero(honest, deadline_in(kExitWait)); !ok) return ok;
  const std::string out = honest.stdout_text();
  const auto accepted = field_in(out, "accepted"), failed = field_in(out, "failed"),
             revoked = field_in(out, "revoked"), timeouts = field_in(out, "timeouts"),
             not_connected = field_in(out, "not_connected");
  if (!accepted || !failed || !revoked || !timeouts || !not_connected)
    return ::testing::AssertionFailure() << "no summary:\n" << honest.describe();
  run = {*accepted, *failed, *revoked, *timeouts, *not_connected};
  return ::testing::AssertionSuccess();
}

// Agent log lines that blame the honest client: revoked it, or say it held the lock too long.
std::string lines_blaming_honest(const std::string& log) {
  std::istringstream in(log);
  std::string line, blamed;
  while (std::getline(in, line)) {
    if (line.find("honest") == std::string::npos) continue;
    if (line.find("revoked") != std::string::npos ||
        line.find("past the lease") != std::string::npos)
      blamed += line + "\n";
  }
  return blamed;
}

// Runs the honest client for 3 s beside `variant` for 2.5 s and checks the verdicts.
void expect_nobody_blamed(const std::string& variant, bool interference_expected) {
  TestEnv env;
  const auto instance = env.instance("blame");
  auto agent = start_agent(env, instance);
  ASSERT_NE(agent, nullptr);

  auto honest = spawn_honest(env, instance, 3000);
  ASSERT_TRUE(honest->wait_for_line("CONNECTED", deadline_in(kConditionWait)))
      << honest->describe();
  auto vandal = spawn_vandal(env, instance, variant, 2500);
  EXPECT_TRUE(exits_zero(*vandal, deadline_in(kExitWait))) << vandal->describe();
  HonestRun run;
  ASSERT_TRUE(finished(*honest, run));

  // Every call succeeded or timed out (or, right after a timeout dropped the session, found it
  // not back yet): none was refused as revoked, none got another error.
  EXPECT_GT(run.accepted, 0u) << honest->describe();
  EXPECT_EQ(run.revoked, 0u) << honest->describe() << agent->describe();
  EXPECT_EQ(run.failed, run.timeouts + run.not_connected) << honest->describe();
  // Every acknowledged record counted once; a timed-out one at most once.
  const auto total = metric_total(env, instance, "honest.event");
  ASSERT_TRUE(total.has_value());
  EXPECT_GE(*total, run.accepted);
  EXPECT_LE(*total, run.accepted + run.failed);

  EXPECT_EQ(status_field(env, instance, "lease_revocations"), 0u) << agent->describe();
  EXPECT_EQ(lines_blaming_honest(agent->output()), "") << agent->describe();
  const auto unattributed = status_field(env, instance, "unattributed_interference");
  ASSERT_TRUE(unattributed.has_value());
  if (interference_expected) {
    EXPECT_GT(*unattributed, 0u) << honest->describe() << agent->describe();
    EXPECT_NE(agent->output().find("could not attribute"), std::string::npos) << agent->describe();
  }
  EXPECT_TRUE(agent->running()) << agent->describe();
}

// Exec and Done are hints in words every client can write: a client that consumes them must not
// make the honest caller overstay. The agent looks at the mailbox on any wake-up, and its tick
// wakes it whatever the word holds, so the honest calls are answered (within a tick at worst).
TEST(Blame, SignalSwallowerGetsNobodyRevoked) {
  expect_nobody_blamed("swallow-signals", /*interference_expected=*/false);
}

// The response lives in the shared mailbox: a scribbler hides the honest holder's answer, so it
// waits (holding the mutex) until its own Done timeout. Its own region says it waits for an
// answer: that is not evidence against it. The agent releases the mutex, revokes nobody and
// counts the interference as unattributed.
TEST(Blame, ResponseScribblerGetsNobodyRevoked) {
  expect_nobody_blamed("scribble-response", /*interference_expected=*/true);
}

// A hog that hides behind the shared mailbox: it holds the mutex (claimed in its own region) with
// a request of its own posted and the response scribbled, so the mailbox always shows its
// request "waiting". The agent judges "answered" by its own record, so the lease clock runs, and
// the hog's own region says it waits for nothing: it is revoked and named, the honest caller
// goes on.
TEST(Blame, HogHidingBehindAScribbledResponseIsRevokedAndNamed) {
  TestEnv env;
  const auto instance = env.instance("hiddenhog");
  auto agent = start_agent(env, instance);
  ASSERT_NE(agent, nullptr);
  auto honest = spawn_honest(env, instance, 3000);
  ASSERT_TRUE(honest->wait_for_line("CONNECTED", deadline_in(kConditionWait)))
      << honest->describe();
  auto vandal = spawn_vandal(env, instance, "hidden-hog", 2500);
  EXPECT_TRUE(exits_zero(*vandal, deadline_in(kExitWait))) << vandal->describe();
  HonestRun run;
  ASSERT_TRUE(finished(*honest, run));
  EXPECT_GT(run.accepted, 0u) << honest->describe();
  EXPECT_EQ(run.revoked, 0u) << honest->describe();
  EXPECT_NE(agent->output().find("revoked client mutex from vandal"), std::string::npos)
      << agent->describe();
  EXPECT_EQ(lines_blaming_honest(agent->output()), "") << agent->describe();
  EXPECT_TRUE(agent->running()) << agent->describe();
}

}  // namespace
}  // namespace shmon::test
