// SPDX-License-Identifier: Apache-2.0
// Shapes of the kQuery answers (docs/QUERIES.md): every documented field exists with its type,
// over an agent context built in-process (real control and mailbox regions, clients from test
// data regions). Events are not covered here (the event log has its own owner and tests).
#include "query_json.hpp"

#include <nlohmann/json.hpp>

#include "agent_test_util.hpp"
#include "regions.hpp"
#include "shmon/clock.hpp"
#include "shmon/layout_fields.hpp"

namespace shmon::agent_test {
namespace {

using nlohmann::json;

class QueryJson : public ::testing::Test {
 protected:
  void SetUp() override {
    auto regions = agent::create_regions({"query-test", 4, 500, 0x1234});
    ASSERT_TRUE(regions) << regions.error();
    ctx_.options.instance = "query-test";
    ctx_.options.max_clients = 4;
    ctx_.generation = 0x1234;
    ctx_.start_monotonic_ns = monotonic_ns();
    ctx_.regions = std::move(regions.value());
    ctx_.slots.assign(ctx_.regions.capacity, nullptr);
    ctx_.slot_generation.assign(ctx_.regions.capacity, 0);
  }

  // Puts a client for `region` into `slot`, as a finished attach would.
  std::shared_ptr<agent::Client> attach(const TestRegion& region, std::uint32_t slot) {
    auto c = region.make_client(slot);
    c->state.store(std::uint32_t(ClientState::kLive));
    ctx_.slots[slot] = c;
    ctx_.data_bytes_total += c->geo.region_size;
    return c;
  }

  json query(QueryKind kind, std::string_view filter = {}) {
    std::lock_guard lock(ctx_.mu);
    const std::string text = agent::render_query(ctx_, kind, filter, 0);
    json doc = json::parse(text, nullptr, false);
    EXPECT_FALSE(doc.is_discarded()) << text;
    return doc;
  }

  agent::AgentContext ctx_;
};

void expect_uint(const json& j, const char* key) {
  ASSERT_TRUE(j.contains(key)) << key << " missing in " << j.dump();
  EXPECT_TRUE(j[key].is_number_unsigned() || (j[key].is_number_integer() && j[key] >= 0))
      << key << " = " << j[key];
}
void expect_number(const json& j, const char* key) {
  ASSERT_TRUE(j.contains(key)) << key << " missing";
  EXPECT_TRUE(j[key].is_number()) << key << " = " << j[key];
}
void expect_string(const json& j, const char* key) {
  ASSERT_TRUE(j.contains(key)) << key << " missing";
  EXPECT_TRUE(j[key].is_string()) << key << " = " << j[key];
}
void expect_wait_fields(const json& m) {
  for (const char* k : {"acquired", "wait_p50_ns", "wait_p99_ns", "wait_max_ns"}) expect_uint(m, k);
  ASSERT_TRUE(m["hist"].is_array());
  EXPECT_EQ(m["hist"].size(), kWaitHistBuckets);
  EXPECT_LE(m["wait_p50_ns"].get<std::uint64_t>(), m["wait_p99_ns"].get<std::uint64_t>());
  EXPECT_LE(m["wait_p99_ns"].get<std::uint64_t>(), m["wait_max_ns"].get<std::uint64_t>());
}

TEST_F(QueryJson, StatusHasEveryDocumentedField) {
  const json s = query(QueryKind::kStatus);
  ASSERT_TRUE(s.is_object());
  EXPECT_EQ(s["instance"], "query-test");
  EXPECT_EQ(s["generation"], "0000000000001234");
  for (const char* k :
       {"pid", "abi_version", "start_realtime_ns", "heartbeat_age_ms", "lease_ms", "max_clients",
        "clients_connected", "clients_total", "clients_refused", "requests", "request_errors",
        "torn_requests", "lease_revocations", "dead_owner_releases", "events_received",
        "events_dropped", "drain_batches", "bad_records"}) {
    expect_uint(s, k);
  }
  for (const char* k : {"uptime_s", "requests_per_s", "events_per_s"}) expect_number(s, k);
  for (const char* k : {"control_bytes", "mailbox_bytes", "data_bytes_total"})
    expect_uint(s["regions"], k);
  const json& m = s["mutex"];
  expect_wait_fields(m);
  expect_uint(m, "timeouts");
  expect_uint(m, "done_timeouts");
  EXPECT_TRUE(m["holder"].is_null());
}

TEST_F(QueryJson, ClientsHaveEveryDocumentedField) {
  TestRegion r(small_params(), "loadgen-1", 0xAB);
  r.add_metric("requests", MetricKind::kCounter);
  r.header()->stats.lock_acquired.store(3);
  r.header()->stats.lock_wait_hist[0].store(3);  // three uncontended acquisitions
  attach(r, 2);
  const json a = query(QueryKind::kClients);
  ASSERT_TRUE(a.is_array());
  ASSERT_EQ(a.size(), 1u);
  const json& c = a[0];
  EXPECT_EQ(c["slot"], 2);
  EXPECT_EQ(c["name"], "loadgen-1");
  EXPECT_EQ(c["kind"], "app");
  EXPECT_EQ(c["state"], "live");
  EXPECT_EQ(c["incarnation"], "00000000000000ab");
  expect_uint(c, "pid");
  for (const char* k :
       {"attached_realtime_ns", "last_seen_age_ms", "requests", "request_errors", "events_written",
        "events_received", "metric_count", "data_region_bytes", "reconnects"}) {
    expect_uint(c, k);
  }
  for (const char* k : {"requests_per_s", "events_per_s"}) expect_number(c, k);
  EXPECT_EQ(c["metric_count"], 1);
  for (const char* k :
       {"ring_full", "payload_too_large", "not_connected", "metric_table_full", "wait_timeout"})
    expect_uint(c["drops"], k);
  expect_uint(c["timeouts"], "lock");
  expect_uint(c["timeouts"], "done");
  expect_wait_fields(c["mutex"]);
  expect_uint(c["mutex"], "wait_total_ns");
  expect_uint(c["mutex"], "revocations_seen");
  EXPECT_EQ(c["mutex"]["wait_p50_ns"], 0);  // all waits 0 ns: not "1 ns"
  EXPECT_EQ(query(QueryKind::kClients, "someone-else").size(), 0u);
}

// The "stats" and "agent_stats" objects come from the field lists: every non-reserved field of
// ClientStats / AgentStats appears under its name with the value at its offset.
TEST_F(QueryJson, StatsObjectsListEveryFieldOfTheirStruct) {
  TestRegion r(small_params(), "fields", 7);
  auto* words = reinterpret_cast<std::atomic<std::uint64_t>*>(&r.header()->stats);
  for (std::size_t i = 0; i < sizeof(ClientStats) / 8; ++i) words[i].store(100 + i);
  attach(r, 0);
  ctx_.stats().drain_batches.store(77);
  const json clients = query(QueryKind::kClients);
  ASSERT_EQ(clients.size(), 1u);
  const json& st = clients[0]["stats"];
  std::size_t fields = 0;
  for (const FieldDesc& f : kClientStatsFields.fields) {
    if (f.reserved()) continue;
    ++fields;
    ASSERT_TRUE(st.contains(f.name)) << f.name;
    const json& v = f.count == 1 ? st[f.name] : st[f.name][0];
    EXPECT_EQ(v.get<std::uint64_t>(), 100 + f.offset / 8) << f.name;
    if (f.count > 1) {
      EXPECT_EQ(st[f.name].size(), f.count) << f.name;
    }
  }
  EXPECT_EQ(st.size(), fields);
  EXPECT_EQ(st["drops_ring_full"], 100 + 336 / 8);
  const json status = query(QueryKind::kStatus);
  for (const FieldDesc& f : kAgentStatsFields.fields) {
    if (!f.reserved()) {
      EXPECT_TRUE(status["agent_stats"].contains(f.name)) << f.name;
    }
  }
  EXPECT_EQ(status["agent_stats"]["drain_batches"], 77);
}

TEST_F(QueryJson, WaitPercentilesAreInterpolatedAndClampedToMax) {
  TestRegion r(small_params(), "waiter", 1);
  ClientStats& st = r.header()->stats;
  st.lock_acquired.store(100);
  st.lock_wait_hist[0].store(50);   // uncontended
  st.lock_wait_hist[19].store(50);  // ~1 ms
  st.lock_wait_max_ns.store(1'000'000);
  attach(r, 0);
  const json m = query(QueryKind::kClients)[0]["mutex"];
  EXPECT_LE(m["wait_p50_ns"].get<std::uint64_t>(), 2u);
  EXPECT_GT(m["wait_p99_ns"].get<std::uint64_t>(), 900'000u);
  EXPECT_LE(m["wait_p99_ns"].get<std::uint64_t>(), 1'000'000u);
  const json s = query(QueryKind::kStatus)["mutex"];
  EXPECT_EQ(s["acquired"], 100);
  EXPECT_EQ(s["wait_max_ns"], 1'000'000);
  EXPECT_EQ(s["wait_p99_ns"], m["wait_p99_ns"]);
}

TEST_F(QueryJson, MetricsHaveEveryDocumentedField) {
  TestRegion r(small_params(), "app", 5);
  r.cell(1, r.add_metric("requests", MetricKind::kCounter)) = 800;
  r.set_gauge(r.add_metric("queue_depth", MetricKind::kGauge), 3.0);
  r.add_histogram("latency_ns", 0, linear_bounds(8));
  r.record(0, 0, 1, 15);
  r.record(0, 0, 2, 25);
  r.cell(0, r.add_metric("job_done", MetricKind::kEvent)) = 50;
  attach(r, 1);
  const json a = query(QueryKind::kMetrics);
  ASSERT_TRUE(a.is_array());
  ASSERT_EQ(a.size(), 4u);
  std::map<std::string, json> by_name;
  for (const json& m : a) {
    expect_string(m, "name");
    expect_string(m, "kind");
    expect_string(m, "unit");
    expect_number(m, "total");
    expect_uint(m, "live_clients");
    expect_uint(m, "departed_total");
    ASSERT_TRUE(m["clients"].is_array());
    for (const json& c : m["clients"]) {
      expect_uint(c, "slot");
      expect_string(c, "name");
      expect_number(c, "pid");
      expect_number(c, "value");
    }
    by_name[m["name"]] = m;
  }
  EXPECT_EQ(by_name["requests"]["kind"], "counter");
  EXPECT_EQ(by_name["requests"]["total"], 800);
  expect_number(by_name["requests"], "rate_per_s");
  EXPECT_EQ(by_name["queue_depth"]["kind"], "gauge");
  EXPECT_TRUE(by_name["queue_depth"]["total"].is_number_float());
  EXPECT_EQ(by_name["queue_depth"]["total"], 3.0);
  EXPECT_EQ(by_name["job_done"]["kind"], "event");
  EXPECT_EQ(by_name["job_done"]["total"], 50);
  const json& h = by_name["latency_ns"];
  EXPECT_EQ(h["kind"], "histogram");
  EXPECT_EQ(h["unit"], "ns");
  EXPECT_EQ(h["total"], 2);
  EXPECT_EQ(h["count"], 2);
  EXPECT_EQ(h["sum"], 40);
  EXPECT_EQ(h["min"], 15);
  EXPECT_EQ(h["max"], 25);
  for (const char* k : {"mean", "p50", "p90", "p99"}) expect_number(h, k);
  EXPECT_LE(h["p50"].get<double>(), h["p99"].get<double>());
  EXPECT_EQ(h["bounds"].size(), 8u);
  EXPECT_EQ(h["buckets"].size(), 8u);
  EXPECT_EQ(h["clients"][0]["value"], 2);
  EXPECT_EQ(query(QueryKind::kMetrics, "job_done").size(), 1u);
}

TEST_F(QueryJson, HistoryHasPeriodAndSeries) {
  ctx_.history.add("requests", "counter", 1.0, 10);
  ctx_.history.add("requests", "counter", 2.0, 15);
  const json h = query(QueryKind::kHistory);
  EXPECT_EQ(h["period_ms"], 1000);
  ASSERT_EQ(h["series"].size(), 1u);
  const json& s = h["series"][0];
  EXPECT_EQ(s["name"], "requests");
  EXPECT_EQ(s["kind"], "counter");
  ASSERT_EQ(s["points"].size(), 2u);
  EXPECT_EQ(s["points"][1], json::array({2.0, 15.0}));
}

}  // namespace
}  // namespace shmon::agent_test
