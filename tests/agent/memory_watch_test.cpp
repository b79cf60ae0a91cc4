// SPDX-License-Identifier: Apache-2.0
// The agent's start-up plan for its memory cgroup: how many series fit beside the clients.
#include "memory_watch.hpp"

#include <gtest/gtest.h>

using namespace shmon::agent;

TEST(MemoryWatch, SeriesThatFitLeaveRoomForBaseAndClients) {
  constexpr std::uint64_t kMiB = 1ull << 20;
  // 64 MiB: 80% is 51.2 MiB; minus 24 MiB of base and 64 clients x 64 KiB (4 MiB).
  const std::uint64_t plan = 64 * kMiB / 100 * kPlanPercent;
  const std::uint64_t expected = (plan - kBaseBytes - 64 * kBytesPerClient) / kBytesPerSeries;
  EXPECT_EQ(series_that_fit(64 * kMiB, 64, 10000), expected);
  EXPECT_LT(expected, 10000u);
  EXPECT_GT(expected, 1000u);
  // Plenty of memory: the configured bound, never more.
  EXPECT_EQ(series_that_fit(8192 * kMiB, 64, 10000), 10000u);
  // Not even the base fits: none (the caller keeps the configured bound and warns).
  EXPECT_EQ(series_that_fit(16 * kMiB, 64, 10000), 0u);
  EXPECT_EQ(series_that_fit(0, 0, 10000), 0u);
}
