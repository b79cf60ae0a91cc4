// SPDX-License-Identifier: Apache-2.0
// Plain-text tables for shmonctl's views. Numbers are formatted by the reader library
// (format.hpp there), so shmonctl and the inspector print a value the same way; every cell is
// escaped for the terminal (a client chose the names in it).
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace shmonctl {

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
