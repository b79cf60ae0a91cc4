// SPDX-License-Identifier: Apache-2.0
// One point per second for the last 600 s of every metric name and of the agent's own series.
// Rates (requests_per_s, events_per_s, rate_per_s) are the difference of the last two points.
//
// Memory: every series is sampled in the same tick at the same time, so the times are kept once
// (a ring of tick times) and a series keeps only its values, by tick: 4.8 KB per series instead
// of 9.6 KB with a time beside every value (docs/DESIGN.md, "The series bound"). A new tick
// starts whenever add() gets a time other than the current tick's; a series that missed ticks
// has no point there.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace shmon::agent {

class History {
 public:
  static constexpr std::size_t kPoints = 600;
  static constexpr std::uint64_t kPeriodMs = 1000;

  struct Series {
    std::string kind;
    std::array<double, kPoints> values;  // by tick % kPoints; NaN: no point in that tick
    std::uint64_t first_tick = 0;        // the tick of its first point
    std::uint64_t last_tick = 0;         // the tick of its newest point
  };

  void add(const std::string& name, const std::string& kind, double t_s, double value);
  // Per-second rate from the last two points (0 with fewer than two).
  double rate(const std::string& name) const;
  // [t_s, value] of the points still in the window, oldest first.
  std::vector<std::pair<double, double>> points(const Series& s) const;
  const std::map<std::string, Series>& series() const { return series_; }
  // Forgets `name` (a retired series).
  void erase(const std::string& name) { series_.erase(name); }

 private:
  // The oldest tick whose time is still in ticks_.
  std::uint64_t oldest_tick() const { return tick_ >= kPoints ? tick_ - kPoints + 1 : 1; }
  std::array<double, kPoints> ticks_{};  // the time of each tick, by tick % kPoints
  std::uint64_t tick_ = 0;               // the current tick (0: none yet)
  std::map<std::string, Series> series_;
};

}  // namespace shmon::agent
