// SPDX-License-Identifier: Apache-2.0
// Poisoned totals: a client writes ring positions and drop counters no honest client can reach,
// at attach or later. The agent credits none of it: the agent-wide events_received and
// events_dropped stay exactly what the honest client produced, while the liar is live and after
// it left, and the liar is named (its implausible_values, the agent's log).
#include <cstdlib>
#include <cstring>

#include "common.hpp"

namespace shmon::test {
namespace {

constexpr std::uint64_t kHonestEvents = 1000;
constexpr std::uint64_t kHonestIncrements = 10'000;
constexpr std::uint64_t kDropCounters = 3;  // ring full, payload too large, not connected

// How many implausible values the liar says the agent must count for it ("POISONED lies=N").
std::uint64_t lies_told(const Child& liar) {
  const std::string out = liar.stdout_text();
  const auto at = out.find("POISONED lies=");
  if (at == std::string::npos) return 0;
  return std::strtoull(out.c_str() + at + std::strlen("POISONED lies="), nullptr, 10);
}

std::uint64_t implausible_of(const TestEnv& env, const std::string& instance,
                             const std::string& name) {
  auto apps = app_clients(env, instance);
  if (!apps) return 0;
  for (const auto& c : *apps) {
    if (c["name"] == name && c.contains("implausible_values")) {
      return c["implausible_values"].get<std::uint64_t>();
    }
  }
  return 0;
}

void expect_honest_totals(const TestEnv& env, const std::string& instance, const char* when) {
  EXPECT_EQ(status_field(env, instance, "events_received"), kHonestEvents) << when;
  EXPECT_EQ(status_field(env, instance, "events_dropped"), 0u) << when;
  EXPECT_EQ(metric_total(env, instance, "honest_hits"), kHonestIncrements) << when;
}

class PoisonedTotals : public ::testing::TestWithParam<const char*> {};

TEST_P(PoisonedTotals, AreLeftOutAndAttributed) {
  TestEnv env;
  const auto instance = env.instance("poison");
  auto agent = start_agent(env, instance);
  ASSERT_NE(agent, nullptr);

  auto args = loadgen_args("honest_hits", kHonestIncrements, /*hold_open=*/true);
  args.insert(args.end(), {"--events", std::to_string(kHonestEvents), "--policy", "wait"});
  auto honest = spawn_loadgen(env, instance, "honest", args);
  ASSERT_TRUE(wait_until(
      [&] {
        return status_field(env, instance, "events_received") == kHonestEvents &&
               metric_total(env, instance, "honest_hits") == kHonestIncrements;
      },
      deadline_in(kConditionWait), 20ms))
      << honest->describe();

  auto liar = spawn(
      env, testclient_bin(),
      {"poison-totals", "--instance", instance, "--name", "poisoner", "--variant", GetParam()});
  ASSERT_TRUE(liar->wait_for_line("POISONED", deadline_in(kConditionWait))) << liar->describe();
  const std::uint64_t lies = lies_told(*liar);
  ASSERT_GT(lies, 0u) << liar->describe();
  // Every lie is counted, once. Waiting for all of them, not just the first, is what makes the
  // next step meaningful: the drain reports a ring head at once, but drop counters are sampled
  // by the 50 ms tick, and a counter the agent never saw at 10^19 rightly looks like an honest
  // 0 -> 1 when it goes "backwards".
  ASSERT_TRUE(wait_until([&] { return implausible_of(env, instance, "poisoner") >= lies; },
                         deadline_in(kConditionWait), 20ms))
      << agent->describe();
  EXPECT_EQ(implausible_of(env, instance, "poisoner"), lies);
  EXPECT_TRUE(agent->wait_for_line("client poisoner (pid", deadline_in(kConditionWait)))
      << agent->describe();
  expect_honest_totals(env, instance, "while the liar is live");

  // Counters that go backwards are implausible too (one per drop counter), and what they show
  // then is not credited.
  ASSERT_TRUE(liar->write_stdin("backwards\n"));
  ASSERT_TRUE(liar->wait_for_line("BACKWARDS", deadline_in(kConditionWait)));
  const std::uint64_t after_backwards = lies + kDropCounters;
  EXPECT_TRUE(
      wait_until([&] { return implausible_of(env, instance, "poisoner") >= after_backwards; },
                 deadline_in(kConditionWait), 20ms))
      << agent->describe();
  EXPECT_EQ(implausible_of(env, instance, "poisoner"), after_backwards);
  expect_honest_totals(env, instance, "after the liar's counters went backwards");
  auto status = ctl_json(env, instance, "status");
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ((*status)["hostile"]["implausible_values"].get<std::uint64_t>(), after_backwards);

  liar->close_stdin();
  EXPECT_TRUE(exits_zero(*liar, deadline_in(kExitWait)));
  ASSERT_TRUE(
      wait_until([&] { return app_count(env, instance) == 1; }, deadline_in(kConditionWait), 20ms));
  expect_honest_totals(env, instance, "after the liar left");

  honest->close_stdin();
  EXPECT_TRUE(exits_zero(*honest, deadline_in(kExitWait)));
  ASSERT_TRUE(
      wait_until([&] { return app_count(env, instance) == 0; }, deadline_in(kConditionWait), 20ms));
  expect_honest_totals(env, instance, "after everyone left");
  EXPECT_TRUE(agent->running()) << agent->describe();
}

INSTANTIATE_TEST_SUITE_P(Hostile, PoisonedTotals, ::testing::Values("at-attach", "after-attach"),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (auto& c : name) c = c == '-' ? '_' : c;
                           return name;
                         });

}  // namespace
}  // namespace shmon::test
