#include <iostream>

#include "commands.hpp"
#include "json_fields.hpp"

namespace shmonctl {
namespace {

std::string with_unit(double value, const std::string& unit) {
  return unit.empty() ? format_count(value) : format_count(value) + " " + unit;
}

}  // namespace

Table metrics_table(const nlohmann::json& metrics, std::size_t max_rows) {
  using Align = Table::Align;
  Table table;
  table.add_column("name", Align::kLeft);
  table.add_column("kind", Align::kLeft);
  for (const char* title : {"total", "rate/s", "clients", "count", "p50", "p99", "max"}) {
    table.add_column(title);
  }
  if (!metrics.is_array()) return table;
  std::size_t rows = 0;
  for (const auto& m : metrics) {
    if (rows++ == max_rows) break;
    const std::string kind = text(m, "kind");
    const std::string unit = text(m, "unit");
    const bool histogram = kind == "histogram";
    const bool gauge = kind == "gauge";
    const auto clients = m.contains("clients") && m["clients"].is_array() ? m["clients"].size() : 0;
    table.add_row({text(m, "name"), kind,
                   gauge ? with_unit(number(m, "total"), unit) : format_count(number(m, "total")),
                   gauge ? "" : format_rate(number(m, "rate_per_s")), std::to_string(clients),
                   histogram ? std::to_string(count(m, "count")) : "",
                   histogram ? with_unit(number(m, "p50"), unit) : "",
                   histogram ? with_unit(number(m, "p99"), unit) : "",
                   histogram ? with_unit(number(m, "max"), unit) : ""});
  }
  return table;
}

int run_metrics(Connection& connection, const std::string& name, bool json) {
  nlohmann::json metrics = connection.query(shmon::QueryKind::kMetrics, name);
  if (!metrics.is_array()) metrics = nlohmann::json::array();
  if (!name.empty()) {
    // The agent filters already; filtering again keeps the promise if it ever does not.
    nlohmann::json kept = nlohmann::json::array();
    for (auto& m : metrics) {
      if (text(m, "name") == name) kept.push_back(std::move(m));
    }
    metrics = std::move(kept);
  }
  if (json) std::cout << metrics.dump() << '\n';
  if (!name.empty() && metrics.empty()) {
    std::cerr << "shmonctl: no metric named '" << name << "' on instance '"
              << connection.options().instance << "'\n";
    return 1;
  }
  if (!json) metrics_table(metrics).print(std::cout);
  return 0;
}

}  // namespace shmonctl
