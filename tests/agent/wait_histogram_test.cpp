// SPDX-License-Identifier: Apache-2.0
// Percentiles of the log2 mutex-wait histograms (shmon/wait_histogram.hpp), as the agent, the
// loadgen and the inspector report them.
#include "shmon/wait_histogram.hpp"

#include <gtest/gtest.h>

#include <array>
#include <bit>
#include <cmath>

#include "directory.hpp"
#include "shmon/layout.hpp"

namespace shmon {
namespace {

using Hist = std::array<std::uint64_t, kWaitHistBuckets>;

TEST(WaitPercentile, EmptyIsZero) {
  Hist h{};
  EXPECT_EQ(wait_percentile_ns(h, 0.5), 0);
  EXPECT_EQ(wait_percentile_ns(h, 0.99, 1000), 0);
}

TEST(WaitPercentile, UncontendedWaitsReadAsUnderTwoNanoseconds) {
  Hist h{};
  h[0] = 1000;  // every wait was 0 ns (bucket 0 holds [0, 2))
  EXPECT_LE(wait_percentile_ns(h, 0.5), 1.0);
  EXPECT_LT(wait_percentile_ns(h, 0.99), 2.0);
  EXPECT_EQ(wait_percentile_ns(h, 0.5, 0), 0);  // recorded max 0: clamped
  EXPECT_EQ(wait_percentile_ns(h, 0.99, 0), 0);
}

TEST(WaitPercentile, OneMillisecondWaitReadsAsAboutOneMillisecond) {
  Hist h{};
  const std::uint64_t wait = 1'000'000;
  h[std::bit_width(wait) - 1] = 1;  // bucket 19: [524288, 1048576)
  const double p50 = wait_percentile_ns(h, 0.5, wait);
  const double p99 = wait_percentile_ns(h, 0.99, wait);
  EXPECT_GT(p50, 0.5e6);  // the lower bound alone would say 0.52 ms
  EXPECT_LE(p50, 1e6);
  EXPECT_NEAR(p99, 1e6, 0.01e6);
}

TEST(WaitPercentile, InterpolatesByRankInsideTheBucket) {
  Hist h{};
  h[10] = 100;  // [1024, 2048)
  EXPECT_DOUBLE_EQ(wait_percentile_ns(h, 0.25), 1024 + 1024 * 0.25);
  EXPECT_DOUBLE_EQ(wait_percentile_ns(h, 0.5), 1536);
  h[4] = 100;  // [16, 32): the lower half of all waits now
  EXPECT_DOUBLE_EQ(wait_percentile_ns(h, 0.25), 24);
  EXPECT_DOUBLE_EQ(wait_percentile_ns(h, 0.75), 1536);
}

TEST(WaitPercentile, OrderedAndBoundedForAnyHistogram) {
  std::uint64_t state = 12345;
  auto next = [&] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return state >> 33;
  };
  for (int round = 0; round < 2000; ++round) {
    Hist h{};
    for (auto& b : h) b = next() % 4 == 0 ? next() % 1000 : 0;
    if (round % 7 == 0) h[next() % h.size()] = ~0ull - next();  // hostile, near 2^64
    const std::uint64_t max = next() % 2 ? next() : ~0ull;
    const double p50 = wait_percentile_ns(h, 0.5, max);
    const double p99 = wait_percentile_ns(h, 0.99, max);
    ASSERT_GE(p50, 0);
    ASSERT_LE(p50, p99);
    ASSERT_LE(p99, double(max));
    ASSERT_FALSE(std::isnan(p99));
  }
  Hist h{};
  h[31] = 5;
  EXPECT_LE(wait_percentile_ns(h, 1.0), std::ldexp(1.0, 32));
  EXPECT_EQ(wait_percentile_ns(h, std::nan("")), std::ldexp(1.0, 31));
}

TEST(WaitPercentile, AgentHistoryUsesTheSameInterpolation) {
  Hist h{};
  h[10] = 100;
  EXPECT_DOUBLE_EQ(agent::wait_quantile(h.data(), 0.5), 1536);
}

}  // namespace
}  // namespace shmon
