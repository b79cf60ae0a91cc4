// SPDX-License-Identifier: Apache-2.0
#include "format.hpp"

#include <cmath>
#include <cstdio>
#include <ctime>

namespace shmon::inspector {
namespace {

// A family of prefixes: powers of `step`, prefix index 0 is the base unit.
struct Prefixes {
  double step;
  int min, max;  // the smallest and largest prefix index used
  const char* symbol(int p) const {
    static const char* const kDecimal[] = {"n", "\xc2\xb5", "m", "", "k", "M", "G", "T", "P", "E"};
    static const char* const kBinary[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
    return step == 1024 ? kBinary[p] : kDecimal[p + 3];
  }
};
constexpr Prefixes kSi{1000, 0, 6};
constexpr Prefixes kTime{1000, -3, 0};  // ns .. s
constexpr Prefixes kIec{1024, 0, 6};

// Decimals that give `x` (> 0) three significant digits, at most 9.
int decimals_for(double x) {
  if (x >= 100) return 0;
  if (x >= 10) return 1;
  if (x >= 1) return 2;
  return std::min(9, 2 - int(std::floor(std::log10(x))));
}

// `x` (> 0) rounded to three significant digits where it stands: 9995 becomes 10000 (scaling to
// 9.995 first would give 9.99499... and round down).
double round3(double x) {
  const int e = int(std::floor(std::log10(x)));
  if (e >= 2) {
    const double q = std::pow(10.0, e - 2);
    return std::round(x / q) * q;
  }
  const double m = std::pow(10.0, 2 - e);
  return std::round(x * m) / m;
}

double round_to(double x, int decimals) {
  const double scale = std::pow(10.0, decimals);
  return std::round(x * scale) / scale;
}

std::string join(const char* number, const std::string& suffix) {
  return suffix.empty() ? std::string(number) : std::string(number) + " " + suffix;
}

// `v`, given in prefix `in` of `unit`, with three significant digits at the prefix that keeps
// the number below `step` (the rules are in format.hpp).
std::string quantity(double v, int in, const Prefixes& pf, std::string_view unit) {
  const std::string u(unit);
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (v == 0) return join("0", pf.symbol(in) + u);
  const char* sign = v < 0 ? "-" : "";
  double a = std::fabs(v);
  char buf[64];
  // Exact: a whole number below one step, in the unit it came in.
  if (a < pf.step && a == std::floor(a)) {
    std::snprintf(buf, sizeof buf, "%s%.0f", sign, a);
    return join(buf, pf.symbol(in) + u);
  }
  // Decimal prefixes round in the unit given; binary ones (1024) after scaling, below.
  if (pf.step == 1000 && a < 1e300) a = round3(a);
  int p = in;
  while (a >= pf.step && p < pf.max) {
    a /= pf.step;
    ++p;
  }
  while (a < 1 && p > pf.min) {
    a *= pf.step;
    --p;
  }
  if (a >= pf.step) {  // past the largest prefix
    if (a < 1e6) {
      std::snprintf(buf, sizeof buf, "%s%.0f", sign, a);
      return join(buf, pf.symbol(p) + u);
    }
    std::snprintf(buf, sizeof buf, "%s%.2e", sign, std::fabs(v));
    return join(buf, pf.symbol(in) + u);
  }
  if (a < 1e-9) {  // far below the smallest prefix
    std::snprintf(buf, sizeof buf, "%s%.2e", sign, a);
    return join(buf, pf.symbol(p) + u);
  }
  int d = decimals_for(a);
  double r = round_to(a, d);
  if (r >= pf.step && p < pf.max) {  // 999.5 rounds to 1000: that is 1.00 of the next prefix
    a = r / pf.step;
    ++p;
    d = decimals_for(a);
    r = round_to(a, d);
  }
  d = std::min(d, decimals_for(r));  // 9.996 rounds to 10.00: print 10.0
  std::snprintf(buf, sizeof buf, "%s%.*f", sign, d, r);
  return join(buf, pf.symbol(p) + u);
}

bool is_one_of(std::string_view unit, std::initializer_list<std::string_view> names) {
  for (std::string_view n : names) {
    if (unit == n) return true;
  }
  return false;
}

}  // namespace

std::string fmt_si(double v, std::string_view unit) {
  return quantity(v, 0, kSi, unit);
}

std::string fmt_count(double v) {
  return quantity(v, 0, kSi, {});
}

std::string fmt_rate(double per_s) {
  return quantity(per_s, 0, kSi, "/s");
}

std::string fmt_ns(double ns) {
  return quantity(ns, -3, kTime, "s");
}

std::string fmt_seconds(double s) {
  return quantity(s, 0, kTime, "s");
}

std::string fmt_bytes(double bytes) {
  return quantity(bytes, 0, kIec, "B");
}

std::string fmt_value(double v, std::string_view unit) {
  if (unit == "ns") return quantity(v, -3, kTime, "s");
  if (is_one_of(unit, {"us", "\xc2\xb5s", "\xce\xbcs"})) return quantity(v, -2, kTime, "s");
  if (unit == "ms") return quantity(v, -1, kTime, "s");
  if (is_one_of(unit, {"s", "sec", "second", "seconds"})) return quantity(v, 0, kTime, "s");
  if (is_one_of(unit, {"B", "byte", "bytes"})) return fmt_bytes(v);
  if (is_one_of(unit, {"1/s", "/s"})) return fmt_rate(v);
  return fmt_si(v, unit);
}

std::string fmt_duration_s(double s) {
  // NaN, negatives, below a minute; and past 30000 years, which no clock here reaches.
  if (!(s >= 60) || s >= 1e12) return fmt_seconds(s);
  char buf[48];
  const auto t = static_cast<long long>(s);
  if (t < 3600)
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
