// SPDX-License-Identifier: Apache-2.0
// Events are counted exactly: with the wait policy nothing is dropped, and oversized payloads are
// all dropped and accounted for.
#include "common.hpp"

namespace shmon::test {
namespace {

TEST(Events, WaitPolicyDeliversEveryEvent) {
  TestEnv env;
  const auto instance = env.instance("events");
  auto agent = start_agent(env, instance);
  ASSERT_NE(agent, nullptr);

  constexpr int kClients = 4;
  constexpr std::uint64_t kEvents = 250'000;
  std::vector<std::unique_ptr<Child>> loadgens;
  for (int i = 0; i < kClients; ++i) {
    loadgens.push_back(spawn_loadgen(env, instance, "emitter-" + std::to_string(i),
                                     {"--threads", "2", "--counter", "ev", "--increments", "0",
                                      "--events", std::to_string(kEvents), "--policy", "wait"}));
  }
  EXPECT_TRUE(all_exit_zero(loadgens, deadline_in(90s)));
  EXPECT_EQ(status_field(env, instance, "events_received"), kClients * kEvents);
  EXPECT_EQ(status_field(env, instance, "events_dropped"), 0u);
}

TEST(Events, OversizedPayloadsAreDroppedAndCounted) {
  TestEnv env;
  const auto instance = env.instance("payload");
  auto agent = start_agent(env, instance);
  ASSERT_NE(agent, nullptr);

  constexpr std::uint64_t kEvents = 1000;
  auto loadgen =
      spawn_loadgen(env, instance, "too-big",
                    {"--threads", "1", "--counter", "big", "--increments", "0", "--events",
                     std::to_string(kEvents), "--payload", "100", "--hold-open"});
  nlohmann::json entry;
  ASSERT_TRUE(wait_until(
      [&] {
        auto apps = app_clients(env, instance);
        if (!apps || apps->size() != 1) return false;
        entry = (*apps)[0];
        return entry["drops"]["payload_too_large"].get<std::uint64_t>() == kEvents;
      },
      deadline_in(kConditionWait), 50ms))
      << entry.dump(2) << "\n"
      << loadgen->describe();
  EXPECT_EQ(entry["events_received"].get<std::uint64_t>(), 0u) << entry.dump(2);

  loadgen->close_stdin();
  EXPECT_TRUE(exits_zero(*loadgen, deadline_in(kExitWait)));
  EXPECT_EQ(status_field(env, instance, "events_received"), 0u);
  EXPECT_EQ(status_field(env, instance, "events_dropped"), kEvents);
}

}  // namespace
}  // namespace shmon::test
