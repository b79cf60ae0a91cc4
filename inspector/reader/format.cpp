// SPDX-License-Identifier: Apache-2.0
#include "format.hpp"

#include <cmath>
#include <cstdio>
#include <ctime>

namespace shmon::inspector {
namespace {

std::string printf_string(const char* fmt, double v, const char* unit) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v, unit);
  return buf;
}

std::string scaled(double v, const char* const* units, int n, double step) {
  int i = 0;
  while (i + 1 < n && std::fabs(v) >= step) {
    v /= step;
    ++i;
  }
  if (i == 0) return printf_string("%.0f %s", v, units[0]);
  return printf_string(std::fabs(v) < 10    ? "%.2f %s"
                       : std::fabs(v) < 100 ? "%.1f %s"
                                            : "%.0f %s",
                       v, units[i]);
}

}  // namespace

std::string fmt_ns(double ns) {
  static const char* const kUnits[] = {"ns", "\xc2\xb5s", "ms", "s"};
  return scaled(ns, kUnits, 4, 1000);
}

std::string fmt_bytes(double b) {
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB"};
  return scaled(b, kUnits, 4, 1024);
}

std::string fmt_count(double v) {
  if (std::fabs(v) < 10000 && v == std::floor(v)) return printf_string("%.0f%s", v, "");
  if (std::fabs(v) < 10000) return printf_string("%.2f%s", v, "");
  static const char* const kUnits[] = {"", "k", "M", "G", "T"};
  std::string s = scaled(v, kUnits, 5, 1000);
  return s;
}

std::string fmt_rate(double per_s) {
  if (per_s == 0) return "0/s";
  if (per_s < 10) return printf_string("%.2f%s", per_s, "/s");
  return fmt_count(std::round(per_s)) + "/s";
}

std::string fmt_duration_s(double s) {
  char buf[48];
  const auto t = static_cast<long long>(s);
  if (s < 60)
    std::snprintf(buf, sizeof buf, "%.1f s", s);
  else if (t < 3600)
    std::snprintf(buf, sizeof buf, "%lld m %02lld s", t / 60, t % 60);
  else if (t < 86400)
    std::snprintf(buf, sizeof buf, "%lld h %02lld m", t / 3600, t / 60 % 60);
  else
    std::snprintf(buf, sizeof buf, "%lld d %02lld h", t / 86400, t / 3600 % 24);
  return buf;
}

std::string fmt_wall(std::uint64_t ns) {
  if (ns == 0) return "-";
  const std::time_t t = static_cast<std::time_t>(ns / 1'000'000'000u);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
  return buf;
}

std::string fmt_wall_ms(std::uint64_t ns) {
  if (ns == 0) return "-";
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s.%03u", fmt_wall(ns).c_str(),
                static_cast<unsigned>(ns / 1'000'000u % 1000));
  return buf;
}

}  // namespace shmon::inspector
