// SPDX-License-Identifier: Apache-2.0
// A Prometheus name has one owner for the life of the state (docs/PROMETHEUS.md, "Name
// ownership"): two app metrics that map to one exported name, the first definer keeps it across
// agent restarts, the other is refused for export, counted, listed in status and logged.
#include <map>

#include "common.hpp"
#include "shmon_test/scrape.hpp"

namespace shmon::test {
namespace {

const std::vector<std::string> kWithEndpoint = {"--metrics-listen", "127.0.0.1:0"};

// Scrapes until `series` shows `want` (bounded); the last body for messages.
bool scrape_shows(const std::string& url, const std::string& series, double want,
                  std::string& body) {
  return wait_until(
      [&] {
        const auto a = http_get(url);
        body = a.body;
        return a.status == 200 && sample_value(body, series) == want;
      },
      deadline_in(kConditionWait), 20ms);
}

// shmon-loadgen also defines an event type COUNTER.event: it clashes the same way.
void expect_refusal_listed(const TestEnv& env, const std::string& instance) {
  const auto status = ctl_json(env, instance, "status");
  ASSERT_TRUE(status.has_value());
  const auto& names = (*status)["export_names"];
  EXPECT_EQ(names.value("refused", 0u), 2u) << status->dump(2);
  std::map<std::string, std::pair<std::string, std::string>> refused;
  for (const auto& r : names["refused_metrics"]) {
    refused[r.value("metric", "")] = {r.value("exported", ""), r.value("owner", "")};
  }
  EXPECT_EQ(refused["http-requests"],
            std::make_pair(std::string("http_requests"), std::string("http_requests")))
      << status->dump(2);
  EXPECT_EQ(refused["http-requests.event"].second, "http_requests.event") << status->dump(2);
}

TEST(ExportOwners, FirstDefinerKeepsTheNameAcrossRestarts) {
  TestEnv env;
  const auto instance = env.instance("owners");
  auto agent = start_agent(env, instance, kWithEndpoint);
  ASSERT_NE(agent, nullptr);
  // The first app defines http_requests (and leaves); another app then defines http-requests,
  // which sorts first in bytes ('-' < '_') and maps to the same exported name.
  auto first = spawn_loadgen(env, instance, "first", loadgen_args("http_requests", 1000, false));
  ASSERT_TRUE(exits_zero(*first, deadline_in(kExitWait)));
  ASSERT_TRUE(wait_until([&] { return metric_total(env, instance, "http_requests") == 1000u; },
                         deadline_in(kConditionWait), 20ms));
  auto second = spawn_loadgen(env, instance, "second", loadgen_args("http-requests", 666, true));
  ASSERT_TRUE(wait_until([&] { return metric_total(env, instance, "http-requests") == 666u; },
                         deadline_in(kConditionWait), 20ms))
      << second->describe();
  std::string body;
  EXPECT_TRUE(scrape_shows(metrics_url(*agent), "http_requests_total", 1000.0, body)) << body;
  EXPECT_TRUE(agent->wait_for_line("metric 'http-requests' is not exported to Prometheus",
                                   deadline_in(kConditionWait)))
      << agent->describe();
  expect_refusal_listed(env, instance);

  // Four restarts, the last two with the second app still live: the owner never changes.
  for (int i = 0; i < 4; ++i) {
    SCOPED_TRACE("restart " + std::to_string(i + 1));
    agent->signal(i % 2 == 0 ? SIGKILL : SIGTERM);
    ASSERT_TRUE(agent->wait_exit(deadline_in(kExitWait)).has_value());
    if (i == 1) {
      second->close_stdin();
      ASSERT_TRUE(exits_zero(*second, deadline_in(kExitWait)));
    }
    agent = start_agent(env, instance, kWithEndpoint);
    ASSERT_NE(agent, nullptr);
    ASSERT_TRUE(wait_until([&] { return metric_total(env, instance, "http-requests") == 666u; },
                           deadline_in(kConditionWait), 20ms));
    EXPECT_TRUE(scrape_shows(metrics_url(*agent), "http_requests_total", 1000.0, body)) << body;
    EXPECT_TRUE(agent->wait_for_line("metric 'http-requests' is not exported to Prometheus",
                                     deadline_in(kConditionWait)))
        << agent->describe();
    expect_refusal_listed(env, instance);
    EXPECT_EQ(metric_total(env, instance, "http_requests"), 1000u);  // queries keep both
  }
  EXPECT_GE(sample_value(body, "shmon_exposition_skipped_metrics_total").value_or(0), 1.0) << body;
}

}  // namespace
}  // namespace shmon::test
