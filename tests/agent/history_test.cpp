// SPDX-License-Identifier: Apache-2.0
// The agent's one-point-per-second history: rates from the last two points, the 600-point ring.
#include "history.hpp"

#include <gtest/gtest.h>

namespace shmon::agent {
namespace {

TEST(History, RateNeedsTwoPoints) {
  History h;
  EXPECT_EQ(h.rate("requests"), 0);
  h.add("requests", "counter", 10.0, 100);
  EXPECT_EQ(h.rate("requests"), 0);
  h.add("requests", "counter", 12.0, 160);
  EXPECT_DOUBLE_EQ(h.rate("requests"), 30.0);
  h.add("requests", "counter", 13.0, 160);
  EXPECT_DOUBLE_EQ(h.rate("requests"), 0.0);
}

TEST(History, SameTimestampGivesNoRate) {
  History h;
  h.add("x", "counter", 5.0, 1);
  h.add("x", "counter", 5.0, 1000);
  EXPECT_EQ(h.rate("x"), 0);
}

TEST(History, KeepsTheLastPointsOldestFirst) {
  History h;
  const std::size_t n = History::kPoints + 25;
  for (std::size_t i = 0; i < n; ++i) h.add("g", "gauge", double(i), double(i) * 2);
  const auto& s = h.series().at("g");
  EXPECT_EQ(s.kind, "gauge");
  const auto pts = h.points(s);
  ASSERT_EQ(pts.size(), History::kPoints);
  EXPECT_EQ(pts.front().first, double(n - History::kPoints));
  EXPECT_EQ(pts.back().first, double(n - 1));
  for (std::size_t i = 1; i < pts.size(); ++i) EXPECT_LT(pts[i - 1].first, pts[i].first);
  EXPECT_DOUBLE_EQ(h.rate("g"), 2.0);  // across the ring's wrap-around
}

TEST(History, ASeriesThatMissedTicksHasNoPointThere) {
  History h;
  for (int t = 1; t <= 3; ++t) {
    h.add("a", "counter", double(t), double(t) * 10);
    if (t != 2) h.add("b", "counter", double(t), double(t) * 100);  // b misses tick 2
  }
  const auto pts = h.points(h.series().at("b"));
  ASSERT_EQ(pts.size(), 2u);
  EXPECT_EQ(pts[0], std::make_pair(1.0, 100.0));
  EXPECT_EQ(pts[1], std::make_pair(3.0, 300.0));
  EXPECT_DOUBLE_EQ(h.rate("b"), 100.0);  // across the gap: (300 - 100) / (3 - 1)
  EXPECT_EQ(h.points(h.series().at("a")).size(), 3u);
  // A series silent for longer than the window starts over.
  for (int t = 4; t < 4 + int(History::kPoints); ++t) h.add("a", "counter", double(t), 0);
  h.add("b", "counter", 1000.0, 7);
  ASSERT_EQ(h.points(h.series().at("b")).size(), 1u);
  EXPECT_EQ(h.rate("b"), 0);
}

}  // namespace
}  // namespace shmon::agent
