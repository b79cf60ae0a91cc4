// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <vector>

#include "shmon/histogram_buckets.hpp"

using namespace shmon;

namespace {

void expect_agreement(std::uint32_t buckets) {
  std::vector<std::int64_t> bounds(buckets);
  log_linear_bounds(bounds);
  for (std::uint32_t i = 1; i < buckets; ++i) ASSERT_GE(bounds[i], bounds[i - 1]) << i;
  ASSERT_EQ(bounds.back(), std::numeric_limits<std::int64_t>::max());

  auto check = [&](std::int64_t v) {
    ASSERT_EQ(log_linear_bucket(v, buckets), bounded_bucket(v, bounds))
        << "value " << v << " with " << buckets << " buckets";
  };
  for (std::int64_t v = -100; v <= 100000; ++v) check(v);
  for (int shift = 0; shift < 63; ++shift) {
    const std::int64_t p = std::int64_t(1) << shift;
    check(p - 1);
    check(p);
    check(p + 1);
    check(p + p / 2);
  }
  check(std::numeric_limits<std::int64_t>::max());
  check(std::numeric_limits<std::int64_t>::max() - 1);
  check(std::numeric_limits<std::int64_t>::min());
}

}  // namespace

TEST(HistogramBuckets, LogLinearAgreesWithBoundsAtDefaultSize) {
  expect_agreement(128);
}
TEST(HistogramBuckets, LogLinearAgreesWhenClamped) {
  expect_agreement(40);
}
TEST(HistogramBuckets, LogLinearAgreesAtFullRange) {
  expect_agreement(248);
}
TEST(HistogramBuckets, LogLinearAgreesAtMaximumBucketCount) {
  expect_agreement(512);
}

TEST(HistogramBuckets, LayoutShape) {
  EXPECT_EQ(log_linear_bucket(-5, 128), 0u);
  EXPECT_EQ(log_linear_bucket(7, 128), 7u);
  EXPECT_EQ(log_linear_bucket(8, 128), 8u);   // [8,9]
  EXPECT_EQ(log_linear_bucket(10, 128), 9u);  // [10,11]
  EXPECT_EQ(log_linear_bucket(16, 128), 12u);
  EXPECT_EQ(log_linear_bucket(std::numeric_limits<std::int64_t>::max(), 128), 127u);
}
