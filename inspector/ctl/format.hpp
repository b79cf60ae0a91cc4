// Human-readable numbers and plain-text tables for shmonctl's views.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace shmonctl {

std::string format_ns(double ns);            // "850 ns", "12.3 µs", "4.50 ms", "1.20 s"
std::string format_uptime(double seconds);   // "45s", "12m03s", "3h02m", "2d04h"
std::string format_rate(double per_second);  // "0", "12.5", "3.4k", "1.20M"
std::string format_count(double value);      // integers as is, others with 3 significant digits
std::string format_wall_time(std::uint64_t realtime_ns);  // "08:35:39.123" local time

// Columns are left-aligned for text, right-aligned for numbers (declared per column).
class Table {
 public:
  enum class Align { kLeft, kRight };
  void add_column(std::string title, Align align = Align::kRight);
  void add_row(std::vector<std::string> cells);
  void print(std::ostream& out) const;
  bool empty() const { return rows_.empty(); }

 private:
  std::vector<std::string> titles_;
  std::vector<Align> aligns_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace shmonctl
