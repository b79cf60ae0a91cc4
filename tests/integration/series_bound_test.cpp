// SPDX-License-Identifier: Apache-2.0
// The series bound (docs/DESIGN.md, "The series bound"): --max-series holds for the agent's life,
// restarts included; no single client uses up the others' budget (a share per client, and a
// reserve for small clients at the end of the table); a departed flood that carries nothing is
// retired when room is needed. A well-behaved app's new metric is accepted during a flood and
// after it, across restarts, and the flooders' refusals are counted and logged once per client.
#include <algorithm>

#include "common.hpp"
#include "shmon_test/scrape.hpp"

namespace shmon::test {
namespace {

constexpr std::uint64_t kMaxSeries = 200;  // client share 100, reserve 20, reserve share 2

std::vector<std::string> agent_args() {
  return {"--max-series", std::to_string(kMaxSeries), "--metrics-listen", "127.0.0.1:0"};
}

// Series listed by `metrics --json` (live and departed), -1 when the query failed; with
// `prefix`, only the series whose key starts with it. This works with any agent version, so a
// test built on it fails on an agent without the bound rather than for lack of a field.
long series_count(const TestEnv& env, const std::string& instance, const std::string& prefix = "") {
  const auto metrics = ctl_json(env, instance, "metrics");
  if (!metrics || !metrics->is_array()) return -1;
  return long(std::count_if(metrics->begin(), metrics->end(), [&](const nlohmann::json& m) {
    return m.value("name", "").rfind(prefix, 0) == 0;
  }));
}

// The app client named `name` in `clients --json` (null when absent).
nlohmann::json app_named(const TestEnv& env, const std::string& instance, const std::string& name) {
  const auto apps = app_clients(env, instance);
  if (!apps) return nullptr;
  for (const auto& c : *apps) {
    if (c.value("name", "") == name) return c;
  }
  return nullptr;
}

// A flooder: `count` labelled series "flood{id="NAME-i"}", each counting `value`; holds.
std::unique_ptr<Child> flooder(const TestEnv& env, const std::string& instance,
                               const std::string& name, int count, int value = 1) {
  return spawn_testclient(env, "series-flood", instance, name,
                          {"--variant", std::to_string(count) + ",value=" + std::to_string(value),
                           "--wait-ms", "20000"});
}

// A well-behaved app: one new counter `metric` that counts 5; holds until its stdin closes.
std::unique_ptr<Child> good_app(const TestEnv& env, const std::string& instance,
                                const std::string& metric) {
  return spawn_testclient(env, "series-flood", instance, metric,
                          {"--variant", "1,metric=" + metric + ",value=5", "--wait-ms", "20000"});
}

::testing::AssertionResult counts(const TestEnv& env, const std::string& instance,
                                  const std::string& metric, std::uint64_t want) {
  std::optional<std::uint64_t> got;
  if (wait_until(
          [&] {
            got = metric_total(env, instance, metric);
            return got == want;
          },
          deadline_in(kConditionWait), 20ms)) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << metric << " totals " << (got ? std::to_string(*got) : "nothing") << ", not " << want;
}

// The bound holds now: what the agent lists and what its status says it holds.
void expect_within_bound(const TestEnv& env, const std::string& instance) {
  const long listed = series_count(env, instance);
  EXPECT_GE(listed, 0);
  EXPECT_LE(listed, long(kMaxSeries)) << "series listed";
  const auto status = ctl_json(env, instance, "status");
  ASSERT_TRUE(status.has_value());
  EXPECT_LE((*status)["series"].value("held", kMaxSeries + 1), kMaxSeries) << status->dump(2);
  EXPECT_LE((*status)["series"].value("restored", kMaxSeries + 1), kMaxSeries) << status->dump(2);
}

void leave(Child& child) {
  child.close_stdin();
  EXPECT_TRUE(exits_zero(child, deadline_in(kExitWait)));
}

// Four restarts under a label flood that carries counts (so nothing may be retired): a new
// flooder each round, the previous ones departed (their series restored from state.db). The
// agent never holds more than --max-series, the good app's new metric is accepted during every
// flood and after the last one, and every departed count stays exact.
TEST(SeriesBound, HoldsAcrossFourRestartsUnderAFlood) {
  TestEnv env;
  const auto instance = env.instance("bound");
  auto agent = start_agent(env, instance, agent_args());
  ASSERT_NE(agent, nullptr);
  for (int round = 0; round < 4; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    if (round > 0) {
      agent->signal(round % 2 == 0 ? SIGKILL : SIGTERM);
      ASSERT_TRUE(agent->wait_exit(deadline_in(kExitWait)).has_value());
      agent = start_agent(env, instance, agent_args());
      ASSERT_NE(agent, nullptr);
      expect_within_bound(env, instance);  // what state.db restored
    }
    const std::string flood_name = "flood" + std::to_string(round);
    auto flood = flooder(env, instance, flood_name, 300);
    ASSERT_TRUE(flood->wait_for_line("READY", deadline_in(kConditionWait))) << flood->describe();
    const std::string good = "good" + std::to_string(round);
    auto app = good_app(env, instance, good);
    ASSERT_TRUE(app->wait_for_line("READY", deadline_in(kConditionWait))) << app->describe();
    EXPECT_TRUE(counts(env, instance, good, 5)) << agent->describe();  // during the flood
    expect_within_bound(env, instance);

    // The flooder's refusals: counted on the client and agent-wide, logged once for it.
    nlohmann::json c;
    ASSERT_TRUE(wait_until(
        [&] {
          c = app_named(env, instance, flood_name);
          return !c.is_null() && c.value("series_held", 0u) + c.value("series_refused", 0u) == 300u;
        },
        deadline_in(kConditionWait), 20ms))
        << c.dump(2);
    EXPECT_GE(c.value("series_refused", 0u), 200u) << c.dump(2);
    EXPECT_LE(c.value("series_held", 301u), kMaxSeries / 2) << c.dump(2);
    const std::string logged = "client " + flood_name + " (pid ";
    const std::string out = agent->output();
    std::size_t lines = 0;
    for (std::size_t at = out.find(logged); at != std::string::npos;
         at = out.find(logged, at + 1)) {
      lines += out.compare(out.find(')', at) + 1, 11, ": metric 'f") == 0 ? 1 : 0;
    }
    EXPECT_EQ(lines, 1u) << out;

    leave(*flood);
    leave(*app);
    ASSERT_TRUE(wait_until([&] { return app_count(env, instance) == 0; },
                           deadline_in(kConditionWait), 20ms));
    for (int r = 0; r <= round; ++r) {
      EXPECT_TRUE(counts(env, instance, "good" + std::to_string(r), 5));  // departed, exact
    }
  }

  // After the flooders left and the agent restarted: a new metric is still accepted, the store
  // brought back no more than the bound, and the refusals show on /metrics by cause.
  agent->signal(SIGTERM);
  ASSERT_TRUE(agent->wait_exit(deadline_in(kExitWait)).has_value());
  agent = start_agent(env, instance, agent_args());
  ASSERT_NE(agent, nullptr);
  expect_within_bound(env, instance);
  auto after = good_app(env, instance, "good_after");
  ASSERT_TRUE(after->wait_for_line("READY", deadline_in(kConditionWait))) << after->describe();
  EXPECT_TRUE(counts(env, instance, "good_after", 5)) << agent->describe();
  for (int r = 0; r < 4; ++r) EXPECT_TRUE(counts(env, instance, "good" + std::to_string(r), 5));
  auto late = flooder(env, instance, "flood_late", 50);
  ASSERT_TRUE(late->wait_for_line("READY", deadline_in(kConditionWait))) << late->describe();
  expect_within_bound(env, instance);
  std::string body;
  ASSERT_TRUE(wait_until(
      [&] {
        body = http_get(metrics_url(*agent)).body;
        return sample_value(body, "shmon_series_refused_by_cause_total{cause=\"reserve\"}")
                   .value_or(0) >= 1;
      },
      deadline_in(kConditionWait), 20ms))
      << body;
  EXPECT_LE(sample_value(body, "shmon_series_held").value_or(1e9), double(kMaxSeries)) << body;
  EXPECT_EQ(sample_value(body, "shmon_series_max"), double(kMaxSeries)) << body;
  // The fork hand-off counters are where tools see them too (issue 17, item 1's counters).
  for (const char* name :
       {"shmon_slot_waits_total", "shmon_folded_without_slot_total",
        "shmon_slot_waits_refused_total", "shmon_pending_dropped_total",
        "shmon_live_clients_fork_handoffs_missed", "shmon_series_retired_total"}) {
    EXPECT_TRUE(sample_value(body, name).has_value()) << name << "\n" << body;
  }
  const auto status = ctl_json(env, instance, "status");
  ASSERT_TRUE(status.has_value());
  for (const char* name : {"slot_waits", "folded_without_slot", "slot_waits_refused",
                           "pending_dropped", "live_clients_fork_handoffs_missed"}) {
    EXPECT_TRUE((*status)["handoff"].contains(name)) << name << "\n" << status->dump(2);
  }
  const nlohmann::json late_client = app_named(env, instance, "flood_late");
  ASSERT_FALSE(late_client.is_null());
  EXPECT_TRUE(late_client["stats"].contains("fork_handoffs_missed")) << late_client.dump(2);
  leave(*late);
  leave(*after);
}

// A departed flood that carries nothing (every series at 0) holds no accepted count: when room
// is needed it is retired, so after the flooder left and the agent restarted a bigger app gets
// its full share, and the good app's departed count stays exact.
TEST(SeriesBound, RetiresADepartedFloodThatCarriesNothing) {
  TestEnv env;
  const auto instance = env.instance("retire");
  auto agent = start_agent(env, instance, agent_args());
  ASSERT_NE(agent, nullptr);
  auto zeros = flooder(env, instance, "zeros", 300, 0);
  ASSERT_TRUE(zeros->wait_for_line("READY", deadline_in(kConditionWait))) << zeros->describe();
  auto app = good_app(env, instance, "good");
  ASSERT_TRUE(app->wait_for_line("READY", deadline_in(kConditionWait))) << app->describe();
  EXPECT_TRUE(counts(env, instance, "good", 5));
  EXPECT_EQ(series_count(env, instance, "flood{"), long(kMaxSeries / 2));  // its share
  leave(*zeros);
  leave(*app);
  ASSERT_TRUE(
      wait_until([&] { return app_count(env, instance) == 0; }, deadline_in(kConditionWait), 20ms));

  agent->signal(SIGKILL);
  ASSERT_TRUE(agent->wait_exit(deadline_in(kExitWait)).has_value());
  agent = start_agent(env, instance, agent_args());
  ASSERT_NE(agent, nullptr);
  expect_within_bound(env, instance);
  // 150 new series with counts: the 100 zero series are retired to make room; the app gets its
  // share (100), no more.
  auto big = flooder(env, instance, "big", 150);
  ASSERT_TRUE(big->wait_for_line("READY", deadline_in(kConditionWait))) << big->describe();
  EXPECT_TRUE(wait_until([&] { return series_count(env, instance, "flood{id=\"big-") == 100; },
                         deadline_in(kConditionWait), 20ms))
      << series_count(env, instance, "flood{id=\"big-");
  EXPECT_EQ(series_count(env, instance, "flood{id=\"zeros-"), 0);
  EXPECT_TRUE(counts(env, instance, "good", 5));
  expect_within_bound(env, instance);
  const auto status = ctl_json(env, instance, "status");
  ASSERT_TRUE(status.has_value());
  EXPECT_GE((*status)["series"].value("retired", 0u), 100u) << status->dump(2);
  EXPECT_TRUE(agent->wait_for_line("retired 100 series", deadline_in(kConditionWait)))
      << agent->describe();
  leave(*big);
}

}  // namespace
}  // namespace shmon::test
