// SPDX-License-Identifier: Apache-2.0
// The benchmark table: rows of median, spread over runs, target, verdict and a note, printed as
// Markdown so that it can be pasted into docs/BENCHMARKS.md as is.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace shmon::bench {

// Median of `v` (nullopt when empty).
std::optional<double> median(std::vector<double> v);
// (max - min) / median over the runs, in percent ("-" for a single run).
std::string spread(const std::vector<double>& v);

// Human units.
std::string format_ns(double ns);
std::string format_rate(double per_second);
std::string format_bytes(double bytes);
std::string format_number(double v, int precision = 2);

struct Row {
  std::string metric;
  std::string value;   // median, formatted
  std::string spread;  // over repetitions / runs
  std::string target;
  std::string verdict;  // "met", "MISSED ...", "" (no target)
  std::string note;
};

class Table {
 public:
  void section(std::string title) {
    rows_.push_back({"**" + std::move(title) + "**", "", "", "", "", ""});
  }
  void add(Row row) { rows_.push_back(std::move(row)); }
  void print(std::ostream& out) const;

 private:
  std::vector<Row> rows_;
};

}  // namespace shmon::bench
