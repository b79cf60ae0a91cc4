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
