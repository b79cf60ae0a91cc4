#include <iostream>

#include "commands.hpp"
#include "format.hpp"
#include "shmon/limits.hpp"

namespace shmonctl {
namespace {

using namespace shmon::inspector;

std::string with_unit(double value, const std::string& unit) {
  return unit.empty() ? fmt_count(value) : fmt_count(value) + " " + unit;
}

}  // namespace

Table metrics_table(const std::vector<MetricInfo>& metrics, std::size_t max_rows) {
  using Align = Table::Align;
  Table table;
  table.add_column("name", Align::kLeft);
  table.add_column("kind", Align::kLeft);
  for (const char* title : {"total", "rate", "clients", "count", "p50", "p99", "max"}) {
    table.add_column(title);
  }
  std::size_t rows = 0;
  for (const MetricInfo& m : metrics) {
    if (rows++ == max_rows) break;
    const bool histogram = m.kind == "histogram";
    const bool gauge = m.kind == "gauge";
    table.add_row(
        {m.name, m.kind, gauge ? with_unit(m.total, m.unit) : fmt_count(m.total),
         gauge ? "" : fmt_rate(m.rate_per_s), std::to_string(m.clients.size()),
         histogram ? std::to_string(m.count) : "", histogram ? with_unit(m.p50, m.unit) : "",
         histogram ? with_unit(m.p99, m.unit) : "", histogram ? with_unit(m.max, m.unit) : ""});
  }
  return table;
}

int run_metrics(Connection& connection, const std::string& name, bool json) {
  const std::string answer = connection.query(shmon::QueryKind::kMetrics, name);
  std::string error;
  auto metrics = parse_metrics(answer, &error);
  if (!metrics) throw CtlError(shmon::exit_code::kFailure, "the agent's answer: " + error);
  if (!name.empty()) {
    // The agent filters already; filtering again keeps the promise if it ever does not.
    std::erase_if(*metrics, [&](const MetricInfo& m) { return m.name != name; });
  }
  if (json) std::cout << answer << '\n';
  if (!name.empty() && metrics->empty()) {
    throw CtlError(shmon::exit_code::kNotFound, "no metric named '" + name + "' on instance '" +
                                                    connection.options().instance + "'");
  }
  if (!json) metrics_table(*metrics).print(std::cout);
  return 0;
}

}  // namespace shmonctl
