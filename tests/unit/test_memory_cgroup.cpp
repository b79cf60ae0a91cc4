// SPDX-License-Identifier: Apache-2.0
// Reading memory cgroup limits: /proc/self/cgroup lines (v1 and v2, odd paths) and limit files.
#include <gtest/gtest.h>

#include "shmon/memory_cgroup.hpp"

using namespace shmon;

TEST(MemoryCgroup, ParsesUnifiedAndV1MemoryPaths) {
  const auto p = parse_cgroup_paths(
      "12:cpu,cpuacct:/a\n4:memory:/process_api/abc\n0::/user.slice/app:1.scope\n");
  EXPECT_EQ(p.unified, "/user.slice/app:1.scope");  // a ':' inside the path is kept
  EXPECT_EQ(p.memory_v1, "/process_api/abc");
  const auto combined = parse_cgroup_paths("3:blkio,memory:/x\n");
  EXPECT_EQ(combined.memory_v1, "/x");
  EXPECT_TRUE(combined.unified.empty());
}

TEST(MemoryCgroup, IgnoresMalformedAndEscapingPaths) {
  const auto p = parse_cgroup_paths("garbage\n0::relative\n4:memory:/a/../../etc\n0:x:/y\n");
  EXPECT_TRUE(p.unified.empty());
  EXPECT_TRUE(p.memory_v1.empty());
}

TEST(MemoryCgroup, ParsesLimitValues) {
  EXPECT_EQ(parse_memory_value("33554432\n"), 33554432u);
  EXPECT_FALSE(parse_memory_value("max\n"));
  EXPECT_FALSE(parse_memory_value("9223372036854771712\n")) << "v1's 'no limit'";
  EXPECT_FALSE(parse_memory_value("12ab"));
  EXPECT_FALSE(parse_memory_value(""));
  EXPECT_FALSE(parse_memory_value("99999999999999999999999"));
}
