#include "format.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace shmonctl {
namespace {

std::string printf_string(const char* format, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

// Terminal columns of a UTF-8 string: every byte that does not continue a sequence ("µ").
std::size_t display_width(const std::string& s) {
  return std::size_t(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

}  // namespace

std::string format_ns(double ns) {
  if (!std::isfinite(ns) || ns < 0) return "-";
  if (ns < 1e3) return printf_string("%.0f ns", ns);
  if (ns < 1e6) return printf_string("%.1f µs", ns / 1e3);
  if (ns < 1e9) return printf_string("%.2f ms", ns / 1e6);
  return printf_string("%.2f s", ns / 1e9);
}

std::string format_uptime(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "-";
  const auto s = std::uint64_t(seconds);
  char buffer[48];
  if (s < 60) {
    std::snprintf(buffer, sizeof buffer, "%.1fs", seconds);
  } else if (s < 3600) {
    std::snprintf(buffer, sizeof buffer, "%lum%02lus", s / 60, s % 60);
  } else if (s < 86400) {
    std::snprintf(buffer, sizeof buffer, "%luh%02lum", s / 3600, s / 60 % 60);
  } else {
    std::snprintf(buffer, sizeof buffer, "%lud%02luh", s / 86400, s / 3600 % 24);
  }
  return buffer;
}

std::string format_rate(double r) {
  if (!std::isfinite(r)) return "-";
  if (r == 0) return "0";
  if (r < 1000) return printf_string(r < 10 ? "%.2f" : "%.1f", r);
  if (r < 1e6) return printf_string("%.1fk", r / 1e3);
  return printf_string("%.2fM", r / 1e6);
}

std::string format_count(double v) {
  if (!std::isfinite(v)) return "-";
  if (v == std::floor(v) && std::fabs(v) < 1e18) return printf_string("%.0f", v);
  if (std::fabs(v) >= 100) return printf_string("%.0f", v);  // no exponents for big values
  return printf_string("%.3g", v);
}

std::string format_wall_time(std::uint64_t realtime_ns) {
  const time_t seconds = time_t(realtime_ns / 1'000'000'000u);
  tm local{};
  localtime_r(&seconds, &local);
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%02d:%02d:%02d.%03u", local.tm_hour, local.tm_min,
                local.tm_sec, unsigned(realtime_ns / 1'000'000u % 1000u));
  return buffer;
}

void Table::add_column(std::string title, Align align) {
  titles_.push_back(std::move(title));
  aligns_.push_back(align);
}

void Table::add_row(std::vector<std::string> cells) {
  cells.resize(titles_.size());
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
