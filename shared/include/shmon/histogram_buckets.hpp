// SPDX-License-Identifier: Apache-2.0
// Histogram bucket mapping. A histogram has N buckets with inclusive upper bounds (ascending, the
// last one INT64_MAX, Prometheus "le" style). The default is log-linear: values 0..7 get one
// bucket each, then every power of two is split into 4 equal sub-buckets; negative values fall
// into bucket 0 and everything past the last finite bound into the last bucket.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <limits>
#include <span>

namespace shmon {

inline constexpr std::uint32_t kLinearBuckets = 8;
inline constexpr std::uint32_t kSubBucketsLog2 = 2;  // 4 sub-buckets per power of two

// Bucket of `value` in the default log-linear layout with `buckets` buckets. Branch-light: one
// count-leading-zeros, a shift and a clamp.
inline std::uint32_t log_linear_bucket(std::int64_t value, std::uint32_t buckets) {
  if (value < std::int64_t(kLinearBuckets)) return value < 0 ? 0 : std::uint32_t(value);
  const auto v = std::uint64_t(value);
  const std::uint32_t octave = 63 - std::uint32_t(std::countl_zero(v));  // >= 3
  const std::uint32_t sub = std::uint32_t(v >> (octave - kSubBucketsLog2)) & 3u;
  const std::uint32_t index = kLinearBuckets + ((octave - 3) << kSubBucketsLog2) + sub;
  return std::min(index, buckets - 1);
}

// Fills `upper` (size = bucket count) with the default layout's inclusive upper bounds.
inline void log_linear_bounds(std::span<std::int64_t> upper) {
  const auto n = std::uint32_t(upper.size());
  for (std::uint32_t i = 0; i < n; ++i) {
    if (i + 1 == n) {
      upper[i] = std::numeric_limits<std::int64_t>::max();
    } else if (i < kLinearBuckets) {
      upper[i] = i;
    } else {
      const std::uint32_t octave = 3 + ((i - kLinearBuckets) >> kSubBucketsLog2);
      const std::uint32_t sub = (i - kLinearBuckets) & 3u;
      if (octave >= 63) {  // beyond any int64 value
        upper[i] = std::numeric_limits<std::int64_t>::max();
        continue;
      }
      // Bucket holds [2^o + sub * 2^(o-2), 2^o + (sub+1) * 2^(o-2) - 1]; subtracting 1 first
      // keeps octave 62's last bound (INT64_MAX) from overflowing.
      const std::int64_t step = std::int64_t(1) << (octave - kSubBucketsLog2);
      upper[i] = ((std::int64_t(1) << octave) - 1) + (sub + 1) * step;
    }
  }
}

// Bucket of `value` for arbitrary ascending inclusive upper bounds (binary search).
inline std::uint32_t bounded_bucket(std::int64_t value, std::span<const std::int64_t> upper) {
  auto it = std::lower_bound(upper.begin(), upper.end(), value);
  if (it == upper.end()) return std::uint32_t(upper.size() - 1);
  return std::uint32_t(it - upper.begin());
}

// The q-quantile (0..1) of a histogram from its buckets: the bucket holding rank q x count,
// interpolated linearly inside it and kept within [min, max]. `bounds` and `buckets` pair up by
// index. The agent (its answers) and the tools (grouping series) use this one function, so a
// quantile reads the same wherever it is computed. REQUIRES: nothing (hostile input such as
// min > max or counts that disagree gives a value, never a fault).
inline double bucket_quantile(std::span<const std::int64_t> bounds,
                              std::span<const std::uint64_t> buckets, std::uint64_t count,
                              std::int64_t min, std::int64_t max, double q) {
  if (count == 0 || buckets.empty()) return 0;
  const double rank = q * double(count);
  std::uint64_t cum = 0;
  for (std::size_t i = 0; i < buckets.size() && i < bounds.size(); ++i) {
    if (buckets[i] == 0) continue;
    if (double(cum + buckets[i]) >= rank) {
      double lo = i == 0 ? double(min) : double(bounds[i - 1]) + 1;
      double hi = double(bounds[i]);
      lo = std::max(lo, double(min));
      hi = std::min(hi, double(max));
      if (hi < lo) hi = lo;
      const double frac = (rank - double(cum)) / double(buckets[i]);
      // Not std::clamp: min > max is a precondition violation for it.
      return std::min(std::max(lo + (hi - lo) * frac, double(min)), double(max));
    }
    cum += buckets[i];
  }
  return double(max);
}

}  // namespace shmon
