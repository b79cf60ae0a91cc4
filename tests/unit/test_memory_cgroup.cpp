// SPDX-License-Identifier: Apache-2.0
// Reading memory cgroup limits: /proc/self/cgroup lines (v1 and v2, odd paths), limit files, and
// (in a fake cgroup tree) the tightest limit, the working set and the limit hits the agent watches.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

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

namespace {

// A fake cgroup mount under a fresh temporary directory: files written by the test.
class FakeCgroupRoot {
 public:
  FakeCgroupRoot() {
    char tmpl[] = "/tmp/shmon-cgroup-XXXXXX";
    root_ = ::mkdtemp(tmpl) != nullptr ? tmpl : "";
  }
  ~FakeCgroupRoot() { std::filesystem::remove_all(root_); }
  FakeCgroupRoot(const FakeCgroupRoot&) = delete;
  FakeCgroupRoot& operator=(const FakeCgroupRoot&) = delete;
  void write(const std::string& rel, const std::string& text) {
    const std::filesystem::path p = root_ + "/" + rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
  const std::string& root() const { return root_; }

 private:
  std::string root_;
};

}  // namespace

TEST(MemoryCgroup, LimitIsTheTightestOfTheCgroupAndItsAncestorsV2) {
  FakeCgroupRoot fake;
  ASSERT_FALSE(fake.root().empty());
  fake.write("memory.max", "max\n");
  fake.write("svc/memory.max", "268435456\n");
  fake.write("svc/agent/memory.max", "max\n");
  fake.write("svc/agent/memory.high", "max\n");
  const auto limit = memory_cgroup_limit("0::/svc/agent\n", fake.root());
  ASSERT_TRUE(limit.has_value());
  EXPECT_EQ(limit->bytes, 268435456u);
  EXPECT_EQ(limit->limit_file, fake.root() + "/svc/memory.max");
  EXPECT_EQ(limit->dir, fake.root() + "/svc");
  EXPECT_TRUE(limit->v2);
  EXPECT_FALSE(limit->soft);

  fake.write("svc/agent/memory.high", "100663296\n");  // a soft limit below it wins
  const auto high = memory_cgroup_limit("0::/svc/agent\n", fake.root());
  ASSERT_TRUE(high.has_value());
  EXPECT_EQ(high->bytes, 100663296u);
  EXPECT_TRUE(high->soft);
}

TEST(MemoryCgroup, LimitFromTheV1MemoryHierarchy) {
  FakeCgroupRoot fake;
  fake.write("memory/memory.limit_in_bytes", "9223372036854771712\n");  // v1's "no limit"
  fake.write("memory/box/memory.limit_in_bytes", "50331648\n");
  const auto limit = memory_cgroup_limit("4:memory:/box\n0::/\n", fake.root());
  ASSERT_TRUE(limit.has_value());
  EXPECT_EQ(limit->bytes, 50331648u);
  EXPECT_FALSE(limit->v2);
  EXPECT_EQ(limit->dir, fake.root() + "/memory/box");
}

TEST(MemoryCgroup, NoLimitAnywhereIsNone) {
  FakeCgroupRoot fake;
  fake.write("memory.max", "max\n");
  EXPECT_FALSE(memory_cgroup_limit("0::/\n", fake.root()).has_value());
  EXPECT_FALSE(memory_cgroup_limit("", fake.root()).has_value());
  EXPECT_FALSE(memory_cgroup_limit("0::/missing\n", fake.root()).has_value());
}

TEST(MemoryCgroup, StatValuesByKey) {
  const std::string stat = "anon 100\nfile 2000\ninactive_file 1500\nactive_file 500\n";
  EXPECT_EQ(memory_stat_value(stat, "inactive_file"), 1500u);
  EXPECT_EQ(memory_stat_value(stat, "file"), 2000u) << "a key, not a prefix of another";
  EXPECT_FALSE(memory_stat_value(stat, "inactive"));
  EXPECT_FALSE(memory_stat_value("oom x\n", "oom"));
  EXPECT_FALSE(memory_stat_value("", "max"));
}

TEST(MemoryCgroup, WorkingSetLeavesOutInactiveFilePagesAndHitsAreCounted) {
  FakeCgroupRoot fake;
  fake.write("a/memory.max", "1000000\n");
  fake.write("a/memory.current", "800000\n");
  fake.write("a/memory.stat", "anon 500000\ninactive_file 300000\n");
  fake.write("a/memory.events", "low 0\nhigh 4\nmax 2\noom 1\noom_kill 1\n");
  const auto limit = memory_cgroup_limit("0::/a\n", fake.root());
  ASSERT_TRUE(limit.has_value());
  EXPECT_EQ(memory_cgroup_working_set(*limit), 500000u);
  EXPECT_EQ(memory_cgroup_limit_hits(*limit), 3u);

  fake.write("memory/b/memory.limit_in_bytes", "1000000\n");
  fake.write("memory/b/memory.usage_in_bytes", "900000\n");
  fake.write("memory/b/memory.stat", "cache 1\ntotal_inactive_file 100000\n");
  fake.write("memory/b/memory.failcnt", "7\n");
  const auto v1 = memory_cgroup_limit("4:memory:/b\n", fake.root());
  ASSERT_TRUE(v1.has_value());
  EXPECT_EQ(memory_cgroup_working_set(*v1), 800000u);
  EXPECT_EQ(memory_cgroup_limit_hits(*v1), 7u);
}
