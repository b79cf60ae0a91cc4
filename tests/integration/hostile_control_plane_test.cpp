// Hostile clients against the agent's control plane (issue 12): re-attach claims, repeated
// requests, vandalised mailbox words, the drain doorbell and the rendezvous socket. Each attacker
// is a mode of shmon-testclient; honest loadgens run beside it and must keep exact totals.
#include "common.hpp"

namespace shmon::test {
namespace {

// The incarnation (hex, as `clients --json` prints it) of the app client called `name`.
std::string incarnation_of(const TestEnv& env, const std::string& instance,
                           const std::string& name) {
  auto apps = app_clients(env, instance);
  if (!apps) return {};
  for (const auto& c : *apps) {
    if (c.value("name", "") == name) return c.value("incarnation", "");
  }
  return {};
}

bool has_app(const TestEnv& env, const std::string& instance, const std::string& name) {
  auto apps = app_clients(env, instance);
  if (!apps) return false;
  for (const auto& c : *apps) {
    if (c.value("name", "") == name) return true;
  }
  return false;
}

// The number after `key=` in `text`, or nullopt.
std::optional<std::uint64_t> field_in(const std::string& text, const std::string& key) {
  const auto at = text.find(key + "=");
  if (at == std::string::npos) return std::nullopt;
  return std::strtoull(text.c_str() + at + key.size() + 1, nullptr, 10);
}

struct HonestRun {
  std::uint64_t accepted = 0, failed = 0, max_call_us = 0;
};

// An honest submitter (acknowledged calls) for `ms` beside whatever else runs.
std::unique_ptr<Child> spawn_submitter(const TestEnv& env, const std::string& instance,
                                       const std::string& name, int ms) {
  return spawn(
      env, testclient_bin(),
      {"submit-count", "--instance", instance, "--name", name, "--wait-ms", std::to_string(ms)});
}

::testing::AssertionResult finished(Child& honest, HonestRun& run) {
  if (auto ok = exits_zero(honest, deadline_in(kExitWait)); !ok) return ok;
  const std::string out = honest.stdout_text();
  auto accepted = field_in(out, "accepted"), failed = field_in(out, "failed"),
       max_us = field_in(out, "max_call_us");
  if (!accepted || !failed || !max_us)
    return ::testing::AssertionFailure() << "no summary:\n" << honest.describe();
  run = {*accepted, *failed, *max_us};
  return ::testing::AssertionSuccess();
}

std::unique_ptr<Child> spawn_vandal(const TestEnv& env, const std::string& instance,
                                    const std::string& variant, int ms) {
  return spawn(env, testclient_bin(),
               {"vandal", "--instance", instance, "--name", "vandal", "--variant", variant,
                "--wait-ms", std::to_string(ms)});
}

// After an attack: a fresh client attaches, counts and is acknowledged, and a query answers.
void expect_serving(const TestEnv& env, const std::string& instance, Child& agent,
                    const std::string& counter) {
  auto loadgen = spawn_loadgen(env, instance, "after", loadgen_args(counter, 1000, false));
  EXPECT_TRUE(exits_zero(*loadgen, deadline_in(kExitWait)));
  EXPECT_EQ(metric_total(env, instance, counter), 1000u);
  EXPECT_TRUE(agent.running()) << agent.describe();
}

std::string hex_digits(std::string s) {
  if (s.rfind("0x", 0) == 0) s.erase(0, 2);
  return s;
}

// Class 3b/4: the incarnation is public. A client that attaches with a live client's
// incarnation must not evict it, and one that attaches with a departed client's incarnation
// must not subtract its folded totals: both are new, unrelated clients, counted.
TEST(HostileControlPlane, ForeignIncarnationNeitherEvictsNorErasesTotals) {
  TestEnv env;
  const auto instance = env.instance("claim");
  auto agent = start_agent(env, instance);
  ASSERT_NE(agent, nullptr);

  auto victim = spawn_loadgen(env, instance, "victim", loadgen_args("stolen", 5000, true));
  ASSERT_TRUE(wait_until([&] { return metric_total(env, instance, "stolen") == 5000u; },
                         deadline_in(kConditionWait), 50ms))
      << victim->describe();
  const std::string incarnation = hex_digits(incarnation_of(env, instance, "victim"));
  ASSERT_FALSE(incarnation.empty());

  // While the victim lives.
  auto thief = spawn(env, testclient_bin(),
                     {"claim-incarnation", "--instance", instance, "--name", "thief",
                      "--incarnation", incarnation});
  ASSERT_TRUE(thief->wait_for_line("ATTACHED", deadline_in(kConditionWait))) << thief->describe();
  EXPECT_TRUE(has_app(env, instance, "victim")) << agent->describe();
  EXPECT_TRUE(victim->running()) << victim->describe();
  EXPECT_EQ(metric_total(env, instance, "stolen"), 5000u);
  thief->close_stdin();
  EXPECT_TRUE(exits_zero(*thief, deadline_in(kExitWait)));

  // After the victim left: its totals are folded under its tombstone.
  victim->close_stdin();
  ASSERT_TRUE(exits_zero(*victim, deadline_in(kExitWait)));
  ASSERT_TRUE(wait_until([&] { return !has_app(env, instance, "victim"); },
                         deadline_in(kConditionWait), 50ms));
  EXPECT_EQ(metric_total(env, instance, "stolen"), 5000u);
  auto grave_robber = spawn(env, testclient_bin(),
                            {"claim-incarnation", "--instance", instance, "--name", "robber",
                             "--incarnation", incarnation});
  ASSERT_TRUE(grave_robber->wait_for_line("ATTACHED", deadline_in(kConditionWait)))
      << grave_robber->describe();
  EXPECT_EQ(metric_total(env, instance, "stolen"), 5000u);
  grave_robber->close_stdin();
  EXPECT_TRUE(exits_zero(*grave_robber, deadline_in(kExitWait)));
  ASSERT_TRUE(wait_until([&] { return !has_app(env, instance, "robber"); },
                         deadline_in(kConditionWait), 50ms));
  EXPECT_EQ(metric_total(env, instance, "stolen"), 5000u);

  const auto mismatches = status_field(env, instance, "reattach_mismatches");
  ASSERT_TRUE(mismatches.has_value());
  EXPECT_EQ(*mismatches, 2u);
  EXPECT_NE(agent->output().find("without its re-attach secret"), std::string::npos)
      << agent->describe();
  EXPECT_TRUE(agent->running()) << agent->describe();
}

// Class 5: Exec set in a tight loop by another client must not make the agent execute the lock
// holder's request again. Every acknowledged record is counted exactly once.
TEST(HostileControlPlane, RepeatedExecDoesNotAnswerARequestTwice) {
  TestEnv env;
  const auto instance = env.instance("execstorm");
  auto agent = start_agent(env, instance);
  ASSERT_NE(agent, nullptr);

  auto honest = spawn_submitter(env, instance, "honest", 3000);
  ASSERT_TRUE(honest->wait_for_line("CONNECTED", deadline_in(kConditionWait)))
      << honest->describe();
  auto vandal = spawn_vandal(env, instance, "exec-storm", 2500);
  HonestRun run;
  ASSERT_TRUE(finished(*honest, run));
  EXPECT_TRUE(exits_zero(*vandal, deadline_in(kExitWait)));
  EXPECT_GT(run.accepted, 0u);
  EXPECT_EQ(run.failed, 0u) << honest->describe();
  EXPECT_EQ(metric_total(env, instance, "acked.event"), run.accepted) << honest->describe();
  const auto duplicates = status_field(env, instance, "duplicate_requests");
  ASSERT_TRUE(duplicates.has_value());
  EXPECT_GT(*duplicates, 0u) << vandal->describe() << honest->describe() << agent->describe()
                             << ctl_json(env, instance, "status")->dump();
  expect_serving(env, instance, *agent, "after");
}

}  // namespace
}  // namespace shmon::test
