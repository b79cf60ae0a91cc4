// SPDX-License-Identifier: Apache-2.0
#include "report_table.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace shmon::bench {

std::optional<double> median(std::vector<double> v) {
  if (v.empty()) return std::nullopt;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string spread(const std::vector<double>& v) {
  const auto m = median(v);
  if (v.size() < 2 || !m || *m == 0) return "-";
  const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  return "±" + format_number(50.0 * (*hi - *lo) / std::fabs(*m), 0) + "%";
}

std::string format_number(double v, int precision) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", precision, v);
  return buf;
}

std::string format_ns(double ns) {
  if (ns < 1'000) return format_number(ns, ns < 10 ? 2 : 1) + " ns";
  if (ns < 1'000'000) return format_number(ns / 1e3, 2) + " µs";
  return format_number(ns / 1e6, 2) + " ms";
}

std::string format_rate(double per_second) {
  if (per_second >= 1e6) return format_number(per_second / 1e6, 2) + " M/s";
  if (per_second >= 1e3) return format_number(per_second / 1e3, 1) + " k/s";
  return format_number(per_second, 0) + " /s";
}

std::string format_bytes(double bytes) {
  if (bytes >= 1 << 20) return format_number(bytes / double(1 << 20), 1) + " MiB";
  if (bytes >= 1 << 10) return format_number(bytes / double(1 << 10), 1) + " KiB";
  return format_number(bytes, 0) + " B";
}

void Table::print(std::ostream& out) const {
  out << "| metric | median | spread | target | verdict | note |\n";
  out << "|---|---:|---:|---|---|---|\n";
  for (const Row& r : rows_) {
    out << "| " << r.metric << " | " << r.value << " | " << r.spread << " | " << r.target << " | "
        << r.verdict << " | " << r.note << " |\n";
  }
}

}  // namespace shmon::bench
