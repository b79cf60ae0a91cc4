// SPDX-License-Identifier: Apache-2.0
#include "bucket_history.hpp"

#include <algorithm>
#include <limits>

namespace shmon::agent {

void BucketHistory::add(const std::string& name, const HistogramValue& cumulative, double t_s) {
  Series& s = series_[name];
  if (s.bounds != cumulative.bounds || s.last.size() != cumulative.buckets.size()) {
    s = Series{};
    s.bounds = cumulative.bounds;
    if (!primed_) {
      s.last = cumulative.buckets;  // the agent's first look: a baseline, not a burst
      return;
    }
    s.last.assign(cumulative.buckets.size(), 0);
  }
  Column col;
  col.t_s = t_s;
  for (std::size_t i = 0; i < cumulative.buckets.size(); ++i) {
    const std::uint64_t now = cumulative.buckets[i];
    // Totals include departed clients, so they do not go backwards; an excluded (implausible)
    // client can make them, and that second counts as no traffic.
    if (now > s.last[i]) {
      const std::uint64_t delta = now - s.last[i];
      col.cells.emplace_back(
          std::uint32_t(i),
          std::uint32_t(std::min<std::uint64_t>(delta, std::numeric_limits<std::uint32_t>::max())));
    }
    s.last[i] = now;
  }
  if (s.ring.size() < kColumns) {
    s.ring.push_back(std::move(col));
  } else {
    s.ring[s.next] = std::move(col);
  }
  s.next = (s.next + 1) % kColumns;
}

template <typename F>
void BucketHistory::for_recent(const Series& s, std::uint32_t seconds, F&& f) {
  const std::size_t n = std::min<std::size_t>(seconds, s.ring.size());
  const std::size_t size = s.ring.size();
  // `next` is where the next column goes; the newest is just before it (ring not yet full:
  // next == size, so the same formula holds).
  for (std::size_t k = 1; k <= n; ++k) f(s.ring[(s.next + kColumns - k) % kColumns % size]);
}

BucketHistory::Window BucketHistory::window(const std::string& name, std::uint32_t seconds,
                                            const HistogramValue& lifetime) const {
  Window w;
  w.hist.bounds = lifetime.bounds;
  w.hist.buckets.assign(lifetime.buckets.size(), 0);
  w.hist.min = lifetime.min;
  w.hist.max = lifetime.max;
  const auto it = series_.find(name);
  if (it == series_.end() || it->second.bounds != lifetime.bounds) return w;
  for_recent(it->second, seconds, [&](const Column& c) {
    ++w.covered_s;
    for (const auto& [i, delta] : c.cells) {
      if (i < w.hist.buckets.size()) w.hist.buckets[i] += delta, w.hist.count += delta;
    }
  });
  return w;
}

std::vector<std::int64_t> BucketHistory::bounds(const std::string& name) const {
  const auto it = series_.find(name);
  return it == series_.end() ? std::vector<std::int64_t>{} : it->second.bounds;
}

std::vector<BucketHistory::Column> BucketHistory::columns(const std::string& name,
                                                          std::uint32_t seconds) const {
  std::vector<Column> out;
  const auto it = series_.find(name);
  if (it == series_.end()) return out;
  for_recent(it->second, seconds, [&](const Column& c) { out.push_back(c); });
  std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace shmon::agent
