// SPDX-License-Identifier: Apache-2.0
// shmonctl metrics --sum and --group-by against the agent's own series (docs/QUERIES.md, "Sums in
// the tools"): every kind, live and departed clients, each event counted once, integral totals
// integral in JSON.
#include <map>
#include <set>

#include "common.hpp"

namespace shmon::test {
namespace {

// What summing a metric's series by hand gives (from the agent's answer, not from shmonctl's
// grouping).
struct HandSum {
  std::string kind;
  double gauge = 0;
  std::uint64_t total = 0;  // counters, event levels, histogram counts
  std::int64_t sum = 0;     // histograms
  std::vector<std::uint64_t> buckets;
  std::uint64_t event_type_total = 0;  // the event type's own total series
};

std::map<std::string, HandSum> sum_by_hand(const nlohmann::json& series) {
  std::map<std::string, HandSum> out;
  for (const auto& s : series) {
    HandSum& h = out[s.value("metric", "")];
    h.kind = s.value("kind", "");
    if (h.kind == "gauge") {
      h.gauge += s.value("total", 0.0);
    } else if (h.kind == "event" && !s["labels"].contains("level")) {
      h.event_type_total += s.value("total", std::uint64_t{0});
    } else {
      h.total += s.value("total", std::uint64_t{0});
    }
    if (h.kind == "histogram") {
      h.sum += s.value("sum", std::int64_t{0});
      const auto buckets = s.value("buckets", std::vector<std::uint64_t>{});
      h.buckets.resize(std::max(h.buckets.size(), buckets.size()));
      for (std::size_t i = 0; i < buckets.size(); ++i) h.buckets[i] += buckets[i];
    }
  }
  return out;
}

nlohmann::json ctl_rows(const TestEnv& env, const std::string& instance,
                        std::vector<std::string> args) {
  std::vector<std::string> full{"metrics", "--json"};
  full.insert(full.end(), args.begin(), args.end());
  const CtlRun r = run_ctl(env, instance, full);
  EXPECT_TRUE(exited_with(r.status, 0)) << r.describe;
  return nlohmann::json::parse(r.out, nullptr, false);
}

TEST(CtlSums, SumAndGroupByEqualTheSumOfTheSeriesForEveryKind) {
  TestEnv env;
  const std::string instance = env.instance();
  auto agent = start_agent(env, instance, {"--no-state"});
  ASSERT_TRUE(agent);
  // Each mode once departed and once live: labelled series of counters, gauges and histograms,
  // and an event type with levels.
  std::vector<std::unique_ptr<Child>> live;
  for (const std::string mode : {"exposition-mix", "labelled"}) {
    auto gone = spawn_testclient(env, mode, instance, mode + "-gone", {"--variant", "exit"});
    ASSERT_TRUE(exits_zero(*gone, deadline_in(kExitWait))) << gone->describe();
    live.push_back(spawn_testclient(env, mode, instance, mode + "-live", {"--variant", "hold"}));
    ASSERT_TRUE(live.back()->wait_for_line("READY", deadline_in(kConditionWait)))
        << live.back()->describe();
  }
  std::optional<nlohmann::json> series;
  ASSERT_TRUE(wait_until(
      [&] {
        series = ctl_json(env, instance, "metrics");
        if (!series) return false;
        const auto hand = sum_by_hand(*series);
        const auto total = [&](const char* m) {
          auto it = hand.find(m);
          return it == hand.end() ? std::uint64_t{0} : it->second.total;
        };
        return total("http.requests") == 28 && total("job.done") == 6 && total("latency_us") == 4 &&
               total("latency_ns") == 8;
      },
      deadline_in(kConditionWait)))
      << (series ? series->dump() : "no answer");
  const auto hand = sum_by_hand(*series);

  const nlohmann::json summed = ctl_rows(env, instance, {"--sum"});
  ASSERT_TRUE(summed.is_array()) << summed.dump();
  std::set<std::string> rows_seen;
  for (const auto& row : summed) {
    const std::string metric = row.value("metric", "");
    SCOPED_TRACE(row.dump());
    ASSERT_TRUE(hand.count(metric)) << metric;
    EXPECT_TRUE(rows_seen.insert(metric).second) << "two rows for " << metric;
    const HandSum& h = hand.at(metric);
    EXPECT_EQ(row.value("kind", ""), h.kind);
    if (h.kind == "gauge") {
      EXPECT_EQ(row.value("total", -1.0), h.gauge);
      continue;
    }
    // Whole things stay whole: an integer in the JSON, not 28.0.
    ASSERT_TRUE(row["total"].is_number_integer()) << row["total"].dump();
    EXPECT_EQ(row["total"].get<std::uint64_t>(), h.total);
    if (h.kind == "event") {
      EXPECT_EQ(h.event_type_total, h.total);  // the levels sum to the type
    }
    if (h.kind == "histogram") {
      EXPECT_EQ(row.value("count", std::uint64_t{0}), h.total);
      ASSERT_TRUE(row["sum"].is_number_integer()) << row["sum"].dump();
      EXPECT_EQ(row["sum"].get<std::int64_t>(), h.sum);
      EXPECT_EQ(row.value("buckets", std::vector<std::uint64_t>{}), h.buckets);
    }
  }
  EXPECT_EQ(rows_seen.size(), hand.size()) << summed.dump();
  // The demo's case in numbers: both job.done clients' three events, once each.
  EXPECT_EQ(hand.at("job.done").total, 6u);

  // Grouping by level: one row per level, the same totals the agent gives, nothing left over.
  const nlohmann::json by_level = ctl_rows(env, instance, {"job.done", "--group-by", "level"});
  std::map<std::string, std::uint64_t> levels;
  for (const auto& row : by_level) {
    ASSERT_TRUE(row["total"].is_number_integer()) << row.dump();
    levels[row["labels"].value("level", "<none>")] = row["total"].get<std::uint64_t>();
  }
  EXPECT_EQ(levels.count("<none>"), 0u) << by_level.dump();
  EXPECT_EQ(levels["info"], 4u) << by_level.dump();
  EXPECT_EQ(levels["error"], 2u) << by_level.dump();
  // Grouping by a label the event type lacks: one row, each event once.
  const nlohmann::json by_code = ctl_rows(env, instance, {"job.done", "--group-by", "code"});
  ASSERT_EQ(by_code.size(), 1u) << by_code.dump();
  EXPECT_EQ(by_code[0].value("total", std::uint64_t{0}), 6u) << by_code.dump();
  // The table says the same.
  const CtlRun table = run_ctl(env, instance, {"metrics", "job.done", "--sum"});
  ASSERT_TRUE(exited_with(table.status, 0)) << table.describe;
  EXPECT_NE(table.out.find("event"), std::string::npos) << table.out;
  EXPECT_EQ(table.out.find("12"), std::string::npos) << table.out;

  for (auto& c : live) c->close_stdin();
  EXPECT_TRUE(all_exit_zero(live, deadline_in(kExitWait)));
}

}  // namespace
}  // namespace shmon::test
