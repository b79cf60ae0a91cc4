// SPDX-License-Identifier: Apache-2.0
// One point per second for the last 600 s of every metric name and of the agent's own series.
// Rates (requests_per_s, events_per_s, rate_per_s) are the difference of the last two points.
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
    std::array<std::pair<double, double>, kPoints> points{};  // [t_s, value]
    std::size_t size = 0;
    std::size_t next = 0;
  };

  void add(const std::string& name, const std::string& kind, double t_s, double value);
  // Per-second rate from the last two points (0 with fewer than two).
  double rate(const std::string& name) const;
  // Forgets `name` (a retired series).
  void erase(const std::string& name) { series_.erase(name); }
  std::vector<std::pair<double, double>> points(const Series& s) const;
  const std::map<std::string, Series>& series() const { return series_; }

 private:
  std::map<std::string, Series> series_;
};

}  // namespace shmon::agent
