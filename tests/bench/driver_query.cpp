// SPDX-License-Identifier: Apache-2.0
// Query latency with big clients: N clients with the largest legal data region (every metric slot
// used, as the testclient's big-region mode) plus one small client; a tool probe then times its
// queries. Run it against two agents ($SHMON_AGENT) to compare: scripts/bench_query.sh.
#include <stdlib.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "agent_process.hpp"
#include "children.hpp"
#include "driver.hpp"
#include "shmon/clock.hpp"
#include "shmon/layout.hpp"
#include "shmon/probe.hpp"
#include "shmon_test/big_region.hpp"

namespace shmon::bench {
namespace {

constexpr std::uint64_t kSmallHits = 12'345;

struct QueryShared {
  Gate gate;  // ready = clients connected and flushed; open = leave
  std::atomic<std::uint32_t> failed;
};

int big_client(QueryShared* s, std::uint32_t index) {
  ProbeOptions options;
  options.name = "big-" + std::to_string(index);
  Probe probe(test::with_largest_region(options));
  test::fill_every_metric_slot(probe);
  if (!probe.wait_connected(60'000) || probe.flush().status != CallStatus::kOk) s->failed += 1;
  return s->gate.arrive_and_wait(600'000) ? 0 : 1;
}

int small_client(QueryShared* s) {
  ProbeOptions options;
  options.name = "small";
  Probe probe(options);
  probe.counter("small_hits").add(kSmallHits);
  if (!probe.wait_connected(60'000) || probe.flush().status != CallStatus::kOk) s->failed += 1;
  return s->gate.arrive_and_wait(600'000) ? 0 : 1;
}

// `samples` timed queries of one kind; latency summary plus how many failed.
Json time_queries(Probe& tool, QueryKind kind, const std::string& filter, std::uint32_t samples,
                  std::string* last) {
  std::vector<std::uint64_t> ns;
  std::uint32_t failed = 0;
  for (std::uint32_t i = 0; i < samples; ++i) {
    const std::uint64_t t0 = monotonic_ns();
    QueryResult r = tool.query(kind, filter);
    const std::uint64_t t1 = monotonic_ns();
    if (r.status != CallStatus::kOk) {
      ++failed;
      continue;
    }
    ns.push_back(t1 - t0);
    if (last != nullptr) *last = std::move(r.json);
  }
  Json j = latency_summary(std::move(ns));
  j["failed"] = failed;
  return j;
}

}  // namespace

Json run_query(const DriverConfig& config) {
  SharedBlock<QueryShared> s;
  AgentProcess agent;
  // A fresh state directory: departed totals of earlier runs must not be restored.
  char state_dir[] = "/tmp/shmon-bench-query-XXXXXX";
  if (::mkdtemp(state_dir) == nullptr) return Json{{"error", "cannot create a state directory"}};
  if (!s.ok() ||
      !agent.start("bench-query", {"--log-level", "warn", "--state-dir", state_dir}, 10'000)) {
    return Json{{"error", "cannot start agent: " + agent.error()}};
  }
  ChildGroup children;
  for (std::uint32_t i = 0; i < config.big_clients; ++i) {
    children.add(spawn([&, i] { return big_client(&*s, i); }));
  }
  children.add(spawn([&] { return small_client(&*s); }));
  Json j{{"big_clients", config.big_clients}, {"samples", config.query_samples}};
  if (!s->gate.wait_ready(config.big_clients + 1, 300'000) || s->failed.load() != 0) {
    s->gate.open.store(1);
    j["error"] = "clients did not connect";
    return j;
  }
  {
    ProbeOptions options;
    options.name = "bench-query";
    options.kind = ClientKind::kTool;
    options.lock_timeout_ms = 10'000;
    options.done_timeout_ms = 10'000;
    Probe tool(options);
    if (!tool.wait_connected(30'000)) {
      j["error"] = "tool did not connect";
    } else {
      const std::uint32_t n = config.query_samples;
      std::string small;
      j["status"] = time_queries(tool, QueryKind::kStatus, "", n, nullptr);
      j["clients"] = time_queries(tool, QueryKind::kClients, "", n, nullptr);
      j["metric_small"] = time_queries(tool, QueryKind::kMetrics, "small_hits", n, &small);
      j["metrics_all"] = time_queries(tool, QueryKind::kMetrics, "", std::max(1u, n / 4), nullptr);
      const auto doc = Json::parse(small, nullptr, false);
      // The small client's own value, read live (not from a snapshot).
      j["small_exact"] = doc.is_array() && doc.size() == 1 && doc[0]["clients"].size() == 1 &&
                         doc[0]["clients"][0].value("value", 0ull) == kSmallHits &&
                         !doc[0]["clients"][0].value("stale", false);
      if (!j["small_exact"].get<bool>()) j["small_answer"] = small.substr(0, 400);
    }
  }
  s->gate.open.store(1);
  children.wait_all(60'000);
  agent.stop();
  std::filesystem::remove_all(state_dir);
  return j;
}

}  // namespace shmon::bench
