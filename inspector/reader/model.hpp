// SPDX-License-Identifier: Apache-2.0
// The typed model every reader (shmonctl, the inspector) shows: what the agent answers to
// queries (docs/QUERIES.md), parsed once into plain structs, and the same structs filled from
// the lock-free directory in the control region. JSON parsing is lenient: a missing or mistyped
// field keeps its default, so a newer agent never breaks us.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shmon::inspector {

using WaitHist = std::array<std::uint64_t, 32>;  // bucket i: wait in [2^i, 2^(i+1)) ns

struct MutexHolder {
  std::uint32_t slot = 0;
  std::string name;
  std::int64_t pid = 0;
  std::uint64_t held_ns = 0;
};

struct AgentMutex {
  std::uint64_t acquired = 0, timeouts = 0, done_timeouts = 0;
  std::uint64_t wait_p50_ns = 0, wait_p99_ns = 0, wait_max_ns = 0;
  WaitHist hist{};
  std::optional<MutexHolder> holder;
};

struct AgentStatus {
  std::string instance, generation;
  std::int64_t pid = 0;
  std::uint64_t abi_version = 0;
  double uptime_s = 0;
  std::uint64_t heartbeat_age_ms = 0, lease_ms = 0, max_clients = 0;
  std::uint64_t clients_connected = 0, clients_total = 0, clients_refused = 0;
  std::uint64_t requests = 0, request_errors = 0, torn_requests = 0;
  double requests_per_s = 0;
  std::uint64_t lease_revocations = 0, dead_owner_releases = 0;
  std::uint64_t events_received = 0, events_dropped = 0, drain_batches = 0, bad_records = 0;
  double events_per_s = 0;
  std::uint64_t control_bytes = 0, mailbox_bytes = 0, data_bytes_total = 0;
  AgentMutex mutex;
};

struct ClientDrops {
  std::uint64_t ring_full = 0, payload_too_large = 0, not_connected = 0, metric_table_full = 0,
                wait_timeout = 0;
  std::uint64_t total() const {
    return ring_full + payload_too_large + not_connected + metric_table_full + wait_timeout;
  }
};

struct ClientMutex {
  std::uint64_t acquired = 0, wait_total_ns = 0, wait_p50_ns = 0, wait_p99_ns = 0, wait_max_ns = 0,
                revocations_seen = 0;
  WaitHist hist{};
};

struct ClientInfo {
  std::uint32_t slot = 0;
  std::string name, kind, state, incarnation;
  std::int64_t pid = 0;
  std::uint64_t attached_realtime_ns = 0, last_seen_age_ms = 0;
  std::uint64_t requests = 0, request_errors = 0;
  double requests_per_s = 0, events_per_s = 0;
  std::uint64_t events_written = 0, events_received = 0, metric_count = 0;
  std::uint64_t data_region_bytes = 0, reconnects = 0;
  ClientDrops drops;
  std::uint64_t lock_timeouts = 0, done_timeouts = 0;
  ClientMutex mutex;

  // Stable identity across refreshes (a slot is reused by other clients).
  std::string key() const {
    return incarnation.empty() ? name + "#" + std::to_string(pid) : incarnation;
  }
};

struct MetricClientValue {
  std::uint32_t slot = 0;
  std::string name;
  std::int64_t pid = 0;
  double value = 0;
};

// A histogram's quantiles over the agent's recent window (the last `seconds`, of which it has seen
// `covered_s`): unlike the lifetime ones, they move when an old metric gets slow.
struct QuantileWindow {
  std::uint32_t seconds = 0, covered_s = 0;
  std::uint64_t count = 0;
  double p50 = 0, p90 = 0, p99 = 0;
};

struct MetricInfo {
  std::string name;    // the series: metric{labels} (shmon/labels.hpp), or the metric alone
  std::string metric;  // the metric name
  std::vector<std::pair<std::string, std::string>> labels;  // sorted by name
  std::string kind, unit;
  double total = 0, rate_per_s = 0;
  std::uint64_t live_clients = 0;
  double departed_total = 0;
  // The integral values as the agent sent them (a double loses units past 2^53): counters' and
  // event types' totals, histograms' count; summing tools add these, never the doubles.
  std::uint64_t total_exact = 0, departed_exact = 0;
  // Histograms.
  std::uint64_t count = 0;
  double sum = 0, min = 0, max = 0, mean = 0, p50 = 0, p90 = 0, p99 = 0;
  std::int64_t sum_exact = 0, min_exact = 0, max_exact = 0;
  std::vector<double> bounds;
  std::vector<std::uint64_t> buckets;
  QuantileWindow window;
  std::vector<MetricClientValue> clients;
};

struct EventInfo {
  std::uint64_t seq = 0, ts_ns = 0;
  std::uint32_t slot = 0;
  std::int64_t pid = 0;
  std::string client, name, level, text;
};

struct EventsPage {
  std::uint64_t next = 0, oldest = 0;
  std::uint64_t end = 0;  // the seq of the agent's next event (0: an agent that does not say)
  std::vector<EventInfo> events;
};

// One second of a histogram's heatmap: the buckets that received samples then, with how many.
struct HeatColumn {
  double t_s = 0;
  std::vector<std::pair<std::uint32_t, std::uint64_t>> cells;  // [bucket index, samples]
};

struct HistorySeries {
  std::string name, kind;
  std::vector<std::pair<double, double>> points;  // [t_s, value]
  // Only in the answer for one histogram asked by name (docs/QUERIES.md kHistory).
  std::vector<double> bounds;
  std::vector<HeatColumn> heatmap;  // oldest first
};

struct History {
  std::uint64_t period_ms = 1000;
  std::vector<HistorySeries> series;
};

// Each returns nullopt (and sets *error) when the text is not JSON of the expected shape.
std::optional<std::vector<MetricInfo>> parse_metrics(std::string_view json, std::string* error);
// With `raw`, also each event object as compact JSON (shmonctl events --json prints them, so the
// answer is parsed once).
std::optional<EventsPage> parse_events(std::string_view json, std::string* error,
                                       std::vector<std::string>* raw = nullptr);
std::optional<History> parse_history(std::string_view json, std::string* error);

}  // namespace shmon::inspector

namespace shmon::client {
struct Directory;
}

namespace shmon::inspector {

// The agent's state and its clients from a directory copy (no client mutex taken): the same
// values as the status and clients queries, computed the same way.
AgentStatus status_from_directory(const client::Directory& directory);
std::vector<ClientInfo> clients_from_directory(const client::Directory& directory);

}  // namespace shmon::inspector
