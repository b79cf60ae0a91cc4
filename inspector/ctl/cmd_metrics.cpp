// SPDX-License-Identifier: Apache-2.0
#include <cstdint>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "format.hpp"
#include "metric_labels.hpp"
#include "shmon/labels.hpp"
#include "shmon/limits.hpp"

namespace shmonctl {
namespace {

using namespace shmon::inspector;

// A histogram's bounds as the agent sent them (integers; the last one may be INT64_MAX, which a
// double rounds up past the range).
std::vector<std::int64_t> integral_bounds(const std::vector<double>& bounds) {
  std::vector<std::int64_t> out;
  for (double b : bounds) out.push_back(b >= 9.2e18 ? INT64_MAX : std::int64_t(b));
  return out;
}

// The rows shown (selected or grouped) in the shape of the agent's metrics answer, with the fields
// a row keeps (docs/QUERIES.md).
nlohmann::json metrics_json(const std::vector<MetricInfo>& rows) {
  nlohmann::json out = nlohmann::json::array();
  for (const MetricInfo& m : rows) {
    nlohmann::json labels = nlohmann::json::object();
    for (const auto& [k, v] : m.labels) labels[k] = v;
    // Counters, event types and histograms count whole things: their totals stay integers, as
    // in the agent's own answer; only gauges are real numbers.
    const bool gauge = m.kind == "gauge";
    nlohmann::json j{{"name", m.name},
                     {"metric", m.metric},
                     {"labels", std::move(labels)},
                     {"kind", m.kind},
                     {"unit", m.unit},
                     {"total", gauge ? nlohmann::json(m.total) : nlohmann::json(m.total_exact)},
                     {"rate_per_s", m.rate_per_s},
                     {"live_clients", m.live_clients},
                     {"departed_total",
                      gauge ? nlohmann::json(m.departed_total) : nlohmann::json(m.departed_exact)}};
    if (m.kind == "histogram") {
      j.update({{"count", m.count},
                {"sum", m.sum_exact},
                {"min", m.min_exact},
                {"max", m.max_exact},
                {"bounds", integral_bounds(m.bounds)},
                {"buckets", m.buckets},
                {"mean", m.mean},
                {"p50", m.p50},
                {"p90", m.p90},
                {"p99", m.p99},
                {"window",
                 {{"seconds", m.window.seconds},
                  {"count", m.window.count},
                  {"p50", m.window.p50},
                  {"p90", m.window.p90},
                  {"p99", m.window.p99}}}});
    }
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace

Table metrics_table(const std::vector<MetricInfo>& metrics, const QuantileView& view,
                    std::size_t max_rows) {
  using Align = Table::Align;
  Table table;
  table.add_column("name", Align::kLeft);
  table.add_column("kind", Align::kLeft);
  // The quantile columns say what they cover: "p99 60s" (the default) or "p99 life".
  const std::string span = view.lifetime ? " life" : " " + std::to_string(view.window_s) + "s";
  for (const std::string title : {"total", "rate", "clients", "count"}) table.add_column(title);
  table.add_column("p50" + span);
  table.add_column("p99" + span);
  table.add_column("max");
  std::size_t rows = 0;
  for (const MetricInfo& m : metrics) {
    if (rows++ == max_rows) break;
    const bool histogram = m.kind == "histogram";
    const bool gauge = m.kind == "gauge";
    // A window with no samples has no quantiles: "-", never a stale or zero latency.
    const bool quiet = !view.lifetime && m.window.count == 0;
    const double p50 = view.lifetime ? m.p50 : m.window.p50;
    const double p99 = view.lifetime ? m.p99 : m.window.p99;
    const auto quantile = [&](double v) {
      return !histogram ? std::string() : quiet ? std::string("-") : fmt_value(v, m.unit);
    };
    // A histogram's total is its sample count; counters and gauges are in their unit.
    table.add_row({m.name, m.kind, histogram ? fmt_count(m.total) : fmt_value(m.total, m.unit),
                   gauge ? "" : fmt_rate(m.rate_per_s), fmt_count(double(m.clients.size())),
                   histogram ? fmt_count(double(m.count)) : "", quantile(p50), quantile(p99),
                   histogram ? fmt_value(m.max, m.unit) : ""});
  }
  return table;
}

int run_metrics(Connection& connection, const std::string& name, const QuantileView& view,
                const SeriesSelection& select, bool json) {
  std::vector<LabelMatcher> matchers;
  for (const std::string& text : select.labels) {
    std::string why;
    auto m = parse_label_matcher(text, &why);
    if (!m) throw CtlError(shmon::exit_code::kUsage, "--label: " + why);
    matchers.push_back(std::move(*m));
  }
  for (const std::string& label : select.group_by) {
    if (auto why = shmon::check_label_name(label)) {
      throw CtlError(shmon::exit_code::kUsage, "--group-by: " + *why);
    }
  }
  // The query's cursor carries the window in seconds (docs/QUERIES.md).
  const std::string answer = connection.query(shmon::QueryKind::kMetrics, name, view.window_s);
  std::string error;
  auto metrics = parse_metrics(answer, &error);
  if (!metrics) throw CtlError(shmon::exit_code::kFailure, "the agent's answer: " + error);
  if (!name.empty()) {
    // The agent filters already; filtering again keeps the promise if it ever does not.
    std::erase_if(*metrics, [&](const MetricInfo& m) { return m.metric != name; });
  }
  const bool selecting = !matchers.empty() || select.grouping();
  if (!name.empty() && metrics->empty()) {
    if (json) std::cout << answer << '\n';
    throw CtlError(shmon::exit_code::kNotFound, "no metric named '" + name + "' on instance '" +
                                                    connection.options().instance + "'");
  }
  std::erase_if(*metrics, [&](const MetricInfo& m) { return !matches(m, matchers); });
  if (select.grouping()) *metrics = group_by_labels(*metrics, select.group_by);
  if (!matchers.empty() && metrics->empty()) {
    throw CtlError(shmon::exit_code::kNotFound, "no series carries the labels given with --label");
  }
  if (json) {
    // Selecting or grouping answers with the rows shown; otherwise the agent's answer as is.
    if (!selecting) {
      std::cout << answer << '\n';
    } else {
      std::cout << metrics_json(*metrics).dump() << '\n';
    }
  }
  if (!json) {
    sort_by_metric(*metrics);
    // Level series that counted nothing are left out of the table (not of --json).
    std::erase_if(*metrics, is_unused_event_level);
    metrics_table(*metrics, view).print(std::cout);
  }
  return 0;
}

}  // namespace shmonctl
