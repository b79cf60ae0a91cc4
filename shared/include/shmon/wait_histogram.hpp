// SPDX-License-Identifier: Apache-2.0
// Percentiles of the 32-bucket log2 mutex-wait histograms (ClientStats::lock_wait_hist): bucket i
// counts waits in [2^i, 2^(i+1)) ns, and bucket 0 also holds waits of 0 ns, so its range is
// [0, 2). Shared by the agent (queries, history), the probe examples and the inspector so that
// every view reports the same numbers.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>

namespace shmon {

// Lower bound of bucket i in ns (0 for bucket 0, which also holds zero waits).
constexpr double wait_bucket_lower_ns(std::size_t i) {
  return i == 0 ? 0.0 : double(std::uint64_t(1) << std::min<std::size_t>(i, 63));
}
// Exclusive upper bound of bucket i in ns.
constexpr double wait_bucket_upper_ns(std::size_t i) {
  return 2.0 * double(std::uint64_t(1) << std::min<std::size_t>(i, 62));
}

// The q-quantile (q in [0, 1]) of a log2 wait histogram, interpolated linearly by rank between
// the bounds of the bucket that holds it, clamped to [0, max_ns]: the bucket's lower bound alone
// reads "1 ns" for a client whose waits were all 0 and halves a 1 ms wait. Monotone in q, so
// p50 <= p99 <= max_ns. 0 for an empty histogram. Pass the recorded maximum when known.
constexpr double wait_percentile_ns(
    std::span<const std::uint64_t> hist, double q,
    std::uint64_t max_ns = std::numeric_limits<std::uint64_t>::max()) {
  double total = 0;  // double: hostile counts near 2^64 must not wrap
  for (const std::uint64_t n : hist) total += double(n);
  if (total == 0) return 0;
  q = q >= 0.0 ? std::min(q, 1.0) : 0.0;  // NaN too
  const double rank = q * total;
  const double cap = double(max_ns);
  double cum = 0;
  for (std::size_t i = 0; i < hist.size(); ++i) {
    if (hist[i] == 0) continue;
    const double n = double(hist[i]);
    if (cum + n >= rank) {
      const double lo = wait_bucket_lower_ns(i);
      const double hi = wait_bucket_upper_ns(i);
      const double frac = std::clamp((rank - cum) / n, 0.0, 1.0);
      return std::clamp(lo + (hi - lo) * frac, 0.0, cap);
    }
    cum += n;
  }
  // Rounding left the rank past the last bucket: the top of the last non-empty one.
  for (std::size_t i = hist.size(); i-- > 0;) {
    if (hist[i] != 0) return std::clamp(wait_bucket_upper_ns(i), 0.0, cap);
  }
  return 0;
}

}  // namespace shmon
