// SPDX-License-Identifier: Apache-2.0
#include "history.hpp"

namespace shmon::agent {

void History::add(const std::string& name, const std::string& kind, double t_s, double value) {
  Series& s = series_[name];
  s.kind = kind;
  s.points[s.next] = {t_s, value};
  s.next = (s.next + 1) % kPoints;
  if (s.size < kPoints) ++s.size;
}

double History::rate(const std::string& name) const {
  auto it = series_.find(name);
  if (it == series_.end() || it->second.size < 2) return 0;
  const Series& s = it->second;
  const auto& last = s.points[(s.next + kPoints - 1) % kPoints];
  const auto& prev = s.points[(s.next + kPoints - 2) % kPoints];
  const double dt = last.first - prev.first;
  return dt > 0 ? (last.second - prev.second) / dt : 0;
}

std::vector<std::pair<double, double>> History::points(const Series& s) const {
  std::vector<std::pair<double, double>> out;
  out.reserve(s.size);
  for (std::size_t i = 0; i < s.size; ++i) {
    out.push_back(s.points[(s.next + kPoints - s.size + i) % kPoints]);
  }
  return out;
}

}  // namespace shmon::agent
