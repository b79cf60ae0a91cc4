// SPDX-License-Identifier: Apache-2.0
// fork(): the child of an instrumented process becomes a client of its own; parent and child
// counts add up and appear as two clients.
#include <set>

#include "common.hpp"

namespace shmon::test {
namespace {

TEST(Fork, ChildCountsAsItsOwnClient) {
#if defined(__SANITIZE_THREAD__)
  // TSan cannot start threads in the child of a multi-threaded process, and the child's probe
  // starts its connector thread; the release and ASan runs cover this test.
  GTEST_SKIP() << "fork of a multi-threaded process is not supported under ThreadSanitizer";
#endif
  TestEnv env;
  const auto instance = env.instance("fork");
  auto agent = start_agent(env, instance);
  ASSERT_NE(agent, nullptr);

  auto client = spawn_testclient(env, "fork", instance, "forker");
  ASSERT_TRUE(client->wait_for_line("PARENT slot=", deadline_in(kConditionWait)))
      << client->describe();
  ASSERT_TRUE(client->wait_for_line("CHILD slot=", deadline_in(kConditionWait)))
      << client->describe();

  nlohmann::json entries;
  std::optional<std::uint64_t> total;
  ASSERT_TRUE(wait_until(
      [&] {
        total = metric_total(env, instance, "forked");
        entries = metric_clients(env, instance, "forked");
        return total == 12u && entries.size() == 2;
      },
      deadline_in(kConditionWait), 50ms))
      << "total=" << total.value_or(0) << " clients=" << entries.dump(2) << "\n"
      << client->describe();
  std::set<std::uint64_t> values;
  std::set<int> pids, slots;
  for (const auto& e : entries) {
    values.insert(e["value"].get<std::uint64_t>());
    pids.insert(e["pid"].get<int>());
    slots.insert(e["slot"].get<int>());
  }
  EXPECT_EQ(values, (std::set<std::uint64_t>{5, 7})) << entries.dump(2);
  EXPECT_EQ(pids.size(), 2u) << entries.dump(2);
  EXPECT_EQ(slots.size(), 2u) << entries.dump(2);

  client->close_stdin();
  EXPECT_TRUE(exits_zero(*client, deadline_in(kExitWait)));
  EXPECT_TRUE(client->wait_for_line("DONE child=ok parent_flush=ok", deadline_in(1s)))
      << client->describe();
  EXPECT_EQ(metric_total(env, instance, "forked"), 12u);
}

// Runs shmon-testclient `mode` (children that update and _exit) against a fresh agent; the
// agent must end with `metric` at exactly `expected` and no app client left.
void expect_burst_counted(const char* mode, const char* metric, std::uint64_t expected) {
  TestEnv env;
  const auto instance = env.instance(mode);
  auto agent = start_agent(env, instance, {"--max-clients", "1024"});
  ASSERT_NE(agent, nullptr);
  auto client = spawn_testclient(env, mode, instance, "burst");
  EXPECT_TRUE(exits_zero(*client, deadline_in(kExitWait)));
  std::optional<std::uint64_t> total;
  EXPECT_TRUE(wait_until(
      [&] {
        total = metric_total(env, instance, metric);
        return app_count(env, instance) == 0 && total == expected;
      },
      deadline_in(kConditionWait), 50ms))
      << metric << "=" << total.value_or(0) << " (expected " << expected << ")\n"
      << client->describe();
}

// Issue 11, failure 4: children that only update counters and _exit, without ever making a
// call, are counted: the fork handler sends their attach (with the region) at fork time.
TEST(Fork, ChildrenThatExitWithoutACallAreCounted) {
#if defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "fork of a multi-threaded process is not supported under ThreadSanitizer";
#endif
  expect_burst_counted("fork-burst", "forked_burst", 14750u);
}

// Issue 19: a process that opens its probe, updates and _exits before the connector thread could
// attach it is counted: the probe sends its attach request (with the region) when it opens.
TEST(Fork, ProcessesThatOpenAProbeAndExitAtOnceAreCounted) {
#if defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "fork of a multi-threaded process is not supported under ThreadSanitizer";
#endif
  expect_burst_counted("open-burst", "opened_burst", 1100u);
}

// Issue 17, item 1: 1000 children alive at once each add (i+1)*10 and leave, with or without a
// flush, against a table of 64 or 1024 app slots. Every region a child hands over is folded
// exactly once: the fork hand-off waits for room in the backlog, the agent never drops a
// connection that carries a complete request, a full table queues the newcomers and folds those
// that exit without a slot. The agent must end with exactly 2,000 + 10 * 500,500 = 5,007,000.
void expect_storm_counted(const char* variant, const char* max_clients) {
  TestEnv env;
  const auto instance = env.instance(std::string("storm-") + variant + "-" + max_clients);
  auto agent = start_agent(env, instance, {"--max-clients", max_clients});
  ASSERT_NE(agent, nullptr);
  auto client = spawn_testclient(env, "fork-storm", instance, "storm", {"--variant", variant});
  EXPECT_TRUE(exits_zero(*client, deadline_in(kExitWait)));
  std::optional<std::uint64_t> total;
  EXPECT_TRUE(wait_until(
      [&] {
        total = metric_total(env, instance, "storm_total");
        return app_count(env, instance) == 0 && total == 5'007'000u;
      },
      deadline_in(kConditionWait), 50ms))
      << "storm_total=" << total.value_or(0) << " (expected 5007000), status: "
      << ctl_json(env, instance, "status").value_or(nlohmann::json()).dump() << "\n"
      << client->describe();
  const auto status = ctl_json(env, instance, "status");
  ASSERT_TRUE(status.has_value());
  const nlohmann::json handoff = status->value("handoff", nlohmann::json::object());
  auto count = [&](const char* key) { return handoff.value(key, UINT64_MAX); };
  // No connection that carried a request was dropped, no waiter was turned away.
  EXPECT_EQ(count("pending_dropped"), 0u) << status->dump();
  EXPECT_EQ(count("slot_waits_refused"), 0u) << status->dump();
  if (std::string(max_clients) == "64") {
    EXPECT_GT(count("slot_waits"), 0u) << status->dump();  // the table was full
  }
}

TEST(ForkStorm, ThousandChildrenWithoutACallAt64Slots) {
#if defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "fork of a multi-threaded process is not supported under ThreadSanitizer";
#endif
  expect_storm_counted("exit", "64");
}

TEST(ForkStorm, ThousandChildrenWithoutACallAt1024Slots) {
#if defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "fork of a multi-threaded process is not supported under ThreadSanitizer";
#endif
  expect_storm_counted("exit", "1024");
}

TEST(ForkStorm, ThousandChildrenThatFlushAt64Slots) {
#if defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "fork of a multi-threaded process is not supported under ThreadSanitizer";
#endif
  expect_storm_counted("flush", "64");
}

TEST(ForkStorm, ThousandChildrenThatFlushAt1024Slots) {
#if defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "fork of a multi-threaded process is not supported under ThreadSanitizer";
#endif
  expect_storm_counted("flush", "1024");
}

}  // namespace
}  // namespace shmon::test
