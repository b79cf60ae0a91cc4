// SPDX-License-Identifier: Apache-2.0
#include "state_codec.hpp"

#include <stdexcept>

namespace shmon::agent {

using nlohmann::json;

namespace {

void require(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("malformed state document: ") + what);
}

}  // namespace

json encode_folded(const Folded& f) {
  json metrics = json::object();
  for (const auto& [name, m] : f.metrics) {
    json j{{"kind", std::uint32_t(m.kind)}, {"unit", m.unit}, {"total", m.total}};
    if (m.kind == MetricKind::kHistogram) {
      j["hist"] = {{"count", m.hist.count}, {"sum", m.hist.sum},       {"min", m.hist.min},
                   {"max", m.hist.max},     {"bounds", m.hist.bounds}, {"buckets", m.hist.buckets}};
    }
    metrics[name] = std::move(j);
  }
  return json{
      {"metrics", std::move(metrics)}, {"events_received", f.events_received}, {"drops", f.drops}};
}

Folded decode_folded(const json& j) {
  require(j.is_object() && j.contains("metrics") && j["metrics"].is_object(), "folded values");
  Folded f;
  for (const auto& [name, m] : j["metrics"].items()) {
    FoldedMetric fm;
    const auto kind = m.at("kind").get<std::uint32_t>();
    require(kind >= 1 && kind <= 4, "metric kind");
    fm.kind = MetricKind(kind);
    fm.unit = m.at("unit").get<std::string>();
    fm.total = m.at("total").get<std::uint64_t>();
    if (fm.kind == MetricKind::kHistogram && m.contains("hist")) {
      const json& h = m["hist"];
      fm.hist.count = h.at("count").get<std::uint64_t>();
      fm.hist.sum = h.at("sum").get<std::int64_t>();
      fm.hist.min = h.at("min").get<std::int64_t>();
      fm.hist.max = h.at("max").get<std::int64_t>();
      fm.hist.bounds = h.at("bounds").get<std::vector<std::int64_t>>();
      fm.hist.buckets = h.at("buckets").get<std::vector<std::uint64_t>>();
      require(fm.hist.buckets.size() == fm.hist.bounds.size(), "histogram buckets");
    }
    f.metrics.emplace(name, std::move(fm));
  }
  f.events_received = j.at("events_received").get<std::uint64_t>();
  f.drops = j.at("drops").get<std::uint64_t>();
  return f;
}

json encode_source(const EventSource& s) {
  return json{{"slot", s.slot}, {"pid", s.pid}, {"client", s.client}, {"names", s.names}};
}

EventSource decode_source(const json& j) {
  EventSource s;
  s.slot = j.at("slot").get<std::uint32_t>();
  s.pid = j.at("pid").get<pid_t>();
  s.client = j.at("client").get<std::string>();
  s.names = j.at("names").get<std::vector<std::string>>();
  for (const auto& n : s.names) s.valid.push_back(n.empty() ? 0 : 1);
  s.valid.push_back(0);
  return s;
}

}  // namespace shmon::agent
