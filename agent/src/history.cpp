// SPDX-License-Identifier: Apache-2.0
#include "history.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace shmon::agent {

namespace {
constexpr double kNoPoint = std::numeric_limits<double>::quiet_NaN();
}  // namespace

void History::add(const std::string& name, const std::string& kind, double t_s, double value) {
  if (tick_ == 0 || ticks_[tick_ % kPoints] != t_s) ticks_[++tick_ % kPoints] = t_s;
  auto [it, fresh] = series_.try_emplace(name);
  Series& s = it->second;
  s.kind = kind;
  if (fresh || s.last_tick + kPoints <= tick_) {
    s.first_tick = tick_;  // new, or every point it had has left the window
  } else {
    // The ticks it missed (at most the window) have no point.
    for (std::uint64_t k = s.last_tick + 1; k < tick_; ++k) s.values[k % kPoints] = kNoPoint;
  }
  s.values[tick_ % kPoints] = value;
  s.last_tick = tick_;
}

std::vector<std::pair<double, double>> History::points(const Series& s) const {
  std::vector<std::pair<double, double>> out;
  if (s.last_tick == 0) return out;
  const std::uint64_t from = std::max(s.first_tick, oldest_tick());
  for (std::uint64_t k = from; k <= s.last_tick && s.last_tick >= from; ++k) {
    const double v = s.values[k % kPoints];
    if (!std::isnan(v)) out.emplace_back(ticks_[k % kPoints], v);
  }
  return out;
}

double History::rate(const std::string& name) const {
  auto it = series_.find(name);
  if (it == series_.end()) return 0;
  const Series& s = it->second;
  const std::uint64_t from = std::max(s.first_tick, oldest_tick());
  if (s.last_tick < from) return 0;
  // The newest point, and the one before it (ticks it missed have none).
  for (std::uint64_t k = s.last_tick; k > from; --k) {
    const double prev = s.values[(k - 1) % kPoints];
    if (std::isnan(prev)) continue;
    const double dt = ticks_[s.last_tick % kPoints] - ticks_[(k - 1) % kPoints];
    return dt > 0 ? (s.values[s.last_tick % kPoints] - prev) / dt : 0;
  }
  return 0;
}

}  // namespace shmon::agent
