// SPDX-License-Identifier: Apache-2.0
// Order statistics of latency samples.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace shmon::bench {

// The q-quantile (0..1, nearest rank) of `samples`; sorts them. 0 when empty.
inline double quantile(std::vector<std::uint64_t>& samples, double q) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  const auto rank = std::size_t(std::ceil(q * double(samples.size())));
  return double(samples[std::min(samples.size() - 1, rank == 0 ? 0 : rank - 1)]);
}

// Quantile of a histogram whose bucket i counts values in [2^i, 2^(i+1)): the geometric middle
// of the bucket holding the q-quantile (bucket 0, which also counts zero waits, reads as 0) (so it
// is exact only to a factor of about 1.4).
template <class Counts>
double log2_histogram_quantile(const Counts& counts, double q) {
  std::uint64_t total = 0;
  for (auto c : counts) total += c;
  if (total == 0) return 0;
  const auto target = std::uint64_t(std::ceil(q * double(total)));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < std::size(counts); ++i) {
    seen += counts[i];
    if (seen >= target && counts[i] > 0) return i == 0 ? 0.0 : std::exp2(double(i) + 0.5);
  }
  return 0;
}

// Jain's fairness index of per-client shares: 1 = perfectly even, 1/n = one client got all.
inline double jain_index(const std::vector<double>& shares) {
  double sum = 0, squares = 0;
  for (double s : shares) {
    sum += s;
    squares += s * s;
  }
  return squares == 0 ? 0 : sum * sum / (double(shares.size()) * squares);
}

}  // namespace shmon::bench
