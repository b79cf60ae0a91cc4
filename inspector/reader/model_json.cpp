// SPDX-License-Identifier: Apache-2.0
// Lenient JSON -> model conversion: every field is optional and type-checked.
#include <nlohmann/json.hpp>

#include "model.hpp"

namespace shmon::inspector {
namespace {

using nlohmann::json;

template <class T>
void get(const json& j, const char* key, T& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return;
  if constexpr (std::is_same_v<T, std::string>) {
    if (it->is_string()) out = it->template get<std::string>();
  } else if constexpr (std::is_floating_point_v<T>) {
    if (it->is_number()) out = it->template get<T>();
  } else {
    if (it->is_number_unsigned() || it->is_number_integer()) {
      out = it->template get<T>();
    } else if (it->is_number_float()) {
      const double v = it->template get<double>();
      out = v < 0 ? T{} : static_cast<T>(v);
    }
  }
}

void get_hist(const json& j, WaitHist& out) {
  auto it = j.find("hist");
  if (it == j.end() || !it->is_array()) return;
  for (std::size_t i = 0; i < out.size() && i < it->size(); ++i) {
    if ((*it)[i].is_number()) out[i] = (*it)[i].get<std::uint64_t>();
  }
}

const json* member(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_object() ? &*it : nullptr;
}

std::optional<json> parse_doc(std::string_view text, bool want_array, std::string* error) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) {
    if (error) *error = "answer is not valid JSON";
    return std::nullopt;
  }
  if (want_array ? !j.is_array() : !j.is_object()) {
    if (error) *error = want_array ? "answer is not a JSON array" : "answer is not a JSON object";
    return std::nullopt;
  }
  return j;
}

}  // namespace

std::optional<AgentStatus> parse_status(std::string_view text, std::string* error) {
  auto doc = parse_doc(text, false, error);
  if (!doc) return std::nullopt;
  const json& j = *doc;
  AgentStatus s;
  get(j, "instance", s.instance);
  get(j, "generation", s.generation);
  get(j, "pid", s.pid);
  get(j, "abi_version", s.abi_version);
  get(j, "uptime_s", s.uptime_s);
  get(j, "heartbeat_age_ms", s.heartbeat_age_ms);
  get(j, "lease_ms", s.lease_ms);
  get(j, "max_clients", s.max_clients);
  get(j, "clients_connected", s.clients_connected);
  get(j, "clients_total", s.clients_total);
  get(j, "clients_refused", s.clients_refused);
  get(j, "requests", s.requests);
  get(j, "request_errors", s.request_errors);
  get(j, "torn_requests", s.torn_requests);
  get(j, "requests_per_s", s.requests_per_s);
  get(j, "lease_revocations", s.lease_revocations);
  get(j, "dead_owner_releases", s.dead_owner_releases);
  get(j, "events_received", s.events_received);
  get(j, "events_dropped", s.events_dropped);
  get(j, "events_per_s", s.events_per_s);
  get(j, "drain_batches", s.drain_batches);
  get(j, "bad_records", s.bad_records);
  if (const json* r = member(j, "regions")) {
    get(*r, "control_bytes", s.control_bytes);
    get(*r, "mailbox_bytes", s.mailbox_bytes);
    get(*r, "data_bytes_total", s.data_bytes_total);
  }
  if (const json* m = member(j, "mutex")) {
    get(*m, "acquired", s.mutex.acquired);
    get(*m, "timeouts", s.mutex.timeouts);
    get(*m, "done_timeouts", s.mutex.done_timeouts);
    get(*m, "wait_p50_ns", s.mutex.wait_p50_ns);
    get(*m, "wait_p99_ns", s.mutex.wait_p99_ns);
    get(*m, "wait_max_ns", s.mutex.wait_max_ns);
    get_hist(*m, s.mutex.hist);
    if (const json* h = member(*m, "holder")) {
      MutexHolder holder;
      get(*h, "slot", holder.slot);
      get(*h, "name", holder.name);
      get(*h, "pid", holder.pid);
      get(*h, "held_ns", holder.held_ns);
      s.mutex.holder = holder;
    }
  }
  return s;
}

std::optional<std::vector<ClientInfo>> parse_clients(std::string_view text, std::string* error) {
  auto doc = parse_doc(text, true, error);
  if (!doc) return std::nullopt;
  std::vector<ClientInfo> out;
  for (const json& j : *doc) {
    if (!j.is_object()) continue;
    ClientInfo c;
    get(j, "slot", c.slot);
    get(j, "name", c.name);
    get(j, "pid", c.pid);
    get(j, "kind", c.kind);
    get(j, "state", c.state);
    get(j, "incarnation", c.incarnation);
    get(j, "attached_realtime_ns", c.attached_realtime_ns);
    get(j, "last_seen_age_ms", c.last_seen_age_ms);
    get(j, "requests", c.requests);
    get(j, "request_errors", c.request_errors);
    get(j, "requests_per_s", c.requests_per_s);
    get(j, "events_written", c.events_written);
    get(j, "events_received", c.events_received);
    get(j, "events_per_s", c.events_per_s);
    get(j, "metric_count", c.metric_count);
    get(j, "data_region_bytes", c.data_region_bytes);
    get(j, "reconnects", c.reconnects);
    if (const json* d = member(j, "drops")) {
      get(*d, "ring_full", c.drops.ring_full);
      get(*d, "payload_too_large", c.drops.payload_too_large);
      get(*d, "not_connected", c.drops.not_connected);
      get(*d, "metric_table_full", c.drops.metric_table_full);
      get(*d, "wait_timeout", c.drops.wait_timeout);
    }
    if (const json* t = member(j, "timeouts")) {
      get(*t, "lock", c.lock_timeouts);
      get(*t, "done", c.done_timeouts);
    }
    if (const json* m = member(j, "mutex")) {
      get(*m, "acquired", c.mutex.acquired);
      get(*m, "wait_total_ns", c.mutex.wait_total_ns);
      get(*m, "wait_p50_ns", c.mutex.wait_p50_ns);
      get(*m, "wait_p99_ns", c.mutex.wait_p99_ns);
      get(*m, "wait_max_ns", c.mutex.wait_max_ns);
      get(*m, "revocations_seen", c.mutex.revocations_seen);
      get_hist(*m, c.mutex.hist);
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::optional<std::vector<MetricInfo>> parse_metrics(std::string_view text, std::string* error) {
  auto doc = parse_doc(text, true, error);
  if (!doc) return std::nullopt;
  std::vector<MetricInfo> out;
  for (const json& j : *doc) {
    if (!j.is_object()) continue;
    MetricInfo m;
    get(j, "name", m.name);
    get(j, "metric", m.metric);
    if (m.metric.empty()) m.metric = m.name;
    if (auto it = j.find("labels"); it != j.end() && it->is_object()) {
      for (const auto& [k, v] : it->items()) {
        if (v.is_string()) m.labels.emplace_back(k, v.get<std::string>());
      }
    }
    get(j, "kind", m.kind);
    get(j, "unit", m.unit);
    get(j, "total", m.total);
    get(j, "rate_per_s", m.rate_per_s);
    get(j, "live_clients", m.live_clients);
    get(j, "departed_total", m.departed_total);
    get(j, "count", m.count);
    get(j, "sum", m.sum);
    get(j, "min", m.min);
    get(j, "max", m.max);
    if (m.kind != "gauge") {
      get(j, "total", m.total_exact);
      get(j, "departed_total", m.departed_exact);
      get(j, "sum", m.sum_exact);
      get(j, "min", m.min_exact);
      get(j, "max", m.max_exact);
    }
    get(j, "mean", m.mean);
    get(j, "p50", m.p50);
    get(j, "p90", m.p90);
    get(j, "p99", m.p99);
    if (auto it = j.find("bounds"); it != j.end() && it->is_array()) {
      for (const json& b : *it) m.bounds.push_back(b.is_number() ? b.get<double>() : 0.0);
    }
    if (auto it = j.find("buckets"); it != j.end() && it->is_array()) {
      for (const json& b : *it) {
        m.buckets.push_back(b.is_number() ? b.get<std::uint64_t>() : 0);
      }
    }
    if (auto it = j.find("window"); it != j.end() && it->is_object()) {
      get(*it, "seconds", m.window.seconds);
      get(*it, "covered_s", m.window.covered_s);
      get(*it, "count", m.window.count);
      get(*it, "p50", m.window.p50);
      get(*it, "p90", m.window.p90);
      get(*it, "p99", m.window.p99);
    }
    if (auto it = j.find("clients"); it != j.end() && it->is_array()) {
      for (const json& c : *it) {
        if (!c.is_object()) continue;
        MetricClientValue v;
        get(c, "slot", v.slot);
        get(c, "name", v.name);
        get(c, "pid", v.pid);
        get(c, "value", v.value);
        m.clients.push_back(std::move(v));
      }
    }
    out.push_back(std::move(m));
  }
  return out;
}

std::optional<EventsPage> parse_events(std::string_view text, std::string* error,
                                       std::vector<std::string>* raw) {
  auto doc = parse_doc(text, false, error);
  if (!doc) return std::nullopt;
  EventsPage page;
  get(*doc, "next", page.next);
  get(*doc, "oldest", page.oldest);
  get(*doc, "end", page.end);
  if (auto it = doc->find("events"); it != doc->end() && it->is_array()) {
    for (const json& j : *it) {
      if (!j.is_object()) continue;
      if (raw != nullptr) raw->push_back(j.dump());
      EventInfo e;
      get(j, "seq", e.seq);
      get(j, "ts_ns", e.ts_ns);
      get(j, "slot", e.slot);
      get(j, "client", e.client);
      get(j, "pid", e.pid);
      get(j, "name", e.name);
      get(j, "level", e.level);
      get(j, "text", e.text);
      if (e.text.empty()) {
        std::string hex;
        get(j, "bytes_hex", hex);
        if (!hex.empty()) e.text = "0x" + hex;
      }
      page.events.push_back(std::move(e));
    }
  }
  return page;
}

std::optional<History> parse_history(std::string_view text, std::string* error) {
  auto doc = parse_doc(text, false, error);
  if (!doc) return std::nullopt;
  History h;
  get(*doc, "period_ms", h.period_ms);
  if (auto it = doc->find("series"); it != doc->end() && it->is_array()) {
    for (const json& j : *it) {
      if (!j.is_object()) continue;
      HistorySeries s;
      get(j, "name", s.name);
      get(j, "kind", s.kind);
      if (auto p = j.find("points"); p != j.end() && p->is_array()) {
        for (const json& pt : *p) {
          if (pt.is_array() && pt.size() >= 2 && pt[0].is_number() && pt[1].is_number()) {
            s.points.emplace_back(pt[0].get<double>(), pt[1].get<double>());
          }
        }
      }
      if (auto b = j.find("bounds"); b != j.end() && b->is_array()) {
        for (const json& v : *b) s.bounds.push_back(v.is_number() ? v.get<double>() : 0.0);
      }
      if (auto hm = j.find("heatmap"); hm != j.end() && hm->is_array()) {
        for (const json& col : *hm) {
          if (!col.is_array() || col.size() != 2 || !col[0].is_number() || !col[1].is_array()) {
            continue;
          }
          HeatColumn c;
          c.t_s = col[0].get<double>();
          for (const json& cell : col[1]) {
            if (cell.is_array() && cell.size() == 2 && cell[0].is_number_unsigned() &&
                cell[1].is_number_unsigned()) {
              c.cells.emplace_back(cell[0].get<std::uint32_t>(), cell[1].get<std::uint64_t>());
            }
          }
          s.heatmap.push_back(std::move(c));
        }
      }
      h.series.push_back(std::move(s));
    }
  }
  return h;
}

}  // namespace shmon::inspector
