// SPDX-License-Identifier: Apache-2.0
#include "table.hpp"

#include <algorithm>

#include "escape.hpp"

namespace shmonctl {
namespace {

// Terminal columns of a UTF-8 string: every byte that does not continue a sequence ("µ").
std::size_t display_width(const std::string& s) {
  return std::size_t(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

}  // namespace

void Table::add_column(std::string title, Align align) {
  titles_.push_back(std::move(title));
  aligns_.push_back(align);
}

void Table::add_row(std::vector<std::string> cells) {
  cells.resize(titles_.size());
  for (auto& cell : cells) cell = shmon::inspector::escape_for_terminal(cell);
  rows_.push_back(std::move(cells));
}

void Table::print(std::ostream& out) const {
  std::vector<std::size_t> widths(titles_.size());
  for (std::size_t c = 0; c < titles_.size(); ++c) widths[c] = display_width(titles_[c]);
  for (const auto& row : rows_) {
    for (std::size_t c = 0; c < row.size(); ++c) {
      widths[c] = std::max(widths[c], display_width(row[c]));
    }
  }
  auto print_row = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      const std::string pad(widths[c] - display_width(cells[c]), ' ');
      if (c > 0) line += "  ";
      line += aligns_[c] == Align::kLeft ? cells[c] + pad : pad + cells[c];
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
  };
  print_row(titles_);
  for (const auto& row : rows_) print_row(row);
}

}  // namespace shmonctl
