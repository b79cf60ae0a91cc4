// SPDX-License-Identifier: Apache-2.0
// Windowed quantiles: `shmonctl metrics` shows a histogram's quantiles over the last seconds, so
// a metric that was slow and is now fast says so, where its lifetime quantiles still say slow.
// The app records values the test chooses (bounds 10, 100, 1000, 10000 us), so every expected
// quantile is a bucket, and every wait polls an observable with a deadline.
#include <nlohmann/json.hpp>

#include "common.hpp"

namespace shmon::test {
namespace {

// The metric "latency" as `metrics latency --window SECONDS --json` reports it (null on failure).
nlohmann::json latency(const TestEnv& env, const std::string& instance, int window_s) {
  const CtlRun run = run_ctl(
      env, instance, {"metrics", "latency", "--window", std::to_string(window_s), "--json"});
  if (!exited_with(run.status, 0)) return nullptr;
  const auto doc = nlohmann::json::parse(run.out, nullptr, false);
  return doc.is_array() && doc.size() == 1 ? doc[0] : nlohmann::json();
}

std::uint64_t window_count(const nlohmann::json& m) {
  return m.is_object() ? m["window"].value("count", std::uint64_t(0)) : UINT64_MAX;
}

TEST(WindowedQuantiles, FollowRecentTrafficWhileLifetimeOnesRemember) {
  TestEnv env;
  const auto instance = env.instance("window");
  auto agent = start_agent(env, instance);
  ASSERT_NE(agent, nullptr);
  auto app = spawn_testclient(env, "record-values", instance, "timed");
  constexpr int kWindowS = 3;

  // 1000 slow samples (bucket 1001..10000): both views say slow.
  ASSERT_TRUE(app->write_stdin("5000 1000\n"));
  ASSERT_TRUE(app->wait_for_line("RECORDED 1000", deadline_in(kConditionWait))) << app->describe();
  nlohmann::json m;
  ASSERT_TRUE(wait_until([&] { return window_count(m = latency(env, instance, kWindowS)) == 1000; },
                         deadline_in(kConditionWait)))
      << m.dump() << agent->describe();
  EXPECT_EQ(m["window"]["seconds"], kWindowS);
  EXPECT_GT(m["window"]["p99"].get<double>(), 1000.0) << m.dump();
  EXPECT_GT(m["p99"].get<double>(), 1000.0) << m.dump();

  // Three quiet seconds later the window is empty: nothing recent to report.
  ASSERT_TRUE(wait_until([&] { return window_count(m = latency(env, instance, kWindowS)) == 0; },
                         deadline_in(kConditionWait)))
      << m.dump();

  // 1000 fast samples (bucket ..10): the window says fast, the lifetime p99 still says slow.
  ASSERT_TRUE(app->write_stdin("5 1000\n"));
  ASSERT_TRUE(app->wait_for_line("RECORDED 2000", deadline_in(kConditionWait))) << app->describe();
  ASSERT_TRUE(wait_until([&] { return window_count(m = latency(env, instance, kWindowS)) == 1000; },
                         deadline_in(kConditionWait)))
      << m.dump();
  EXPECT_LE(m["window"]["p50"].get<double>(), 10.0) << m.dump();
  EXPECT_LE(m["window"]["p99"].get<double>(), 10.0) << m.dump();
  EXPECT_EQ(m["count"], 2000u) << m.dump();
  EXPECT_GT(m["p99"].get<double>(), 1000.0) << m.dump();
  EXPECT_GE(m["window"]["covered_s"].get<int>(), kWindowS) << m.dump();

  // The text view names what its quantile columns cover.
  const CtlRun windowed = run_ctl(env, instance, {"metrics", "--window", "2m"});
  ASSERT_TRUE(exited_with(windowed.status, 0)) << windowed.describe;
  EXPECT_NE(windowed.out.find("p99 120s"), std::string::npos) << windowed.out;
  const CtlRun lifetime = run_ctl(env, instance, {"metrics", "--lifetime"});
  ASSERT_TRUE(exited_with(lifetime.status, 0)) << lifetime.describe;
  EXPECT_NE(lifetime.out.find("p99 life"), std::string::npos) << lifetime.out;

  app->close_stdin();
  EXPECT_TRUE(exits_zero(*app, deadline_in(kExitWait)));
}

TEST(WindowedQuantiles, AWindowOutOfRangeIsAUsageError) {
  TestEnv env;
  const auto instance = env.instance("badwindow");
  for (const char* bad : {"11m", "0", "2h", "soon"}) {
    const CtlRun run = run_ctl(env, instance, {"metrics", "--window", bad});
    EXPECT_TRUE(exited_with(run.status, 2)) << bad << ": " << run.describe;
    EXPECT_NE(run.err.find("--window"), std::string::npos) << bad << ": " << run.err;
  }
}

}  // namespace
}  // namespace shmon::test
