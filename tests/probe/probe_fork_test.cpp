// SPDX-License-Identifier: Apache-2.0
// fork(): the child's region is a different memfd at the same address, with the same names and
// zeroed values; the child's updates never reach the parent.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "probe_test_util.hpp"

namespace shmon::probe_test {
namespace {

using ForkTest = ProbeTest;

// The inode backing the mapping that starts at `addr` (from /proc/self/maps), 0 if none.
unsigned long backing_inode(const void* addr) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  const auto want = reinterpret_cast<std::uintptr_t>(addr);
  while (std::getline(maps, line)) {
    std::istringstream in(line);
    std::string range, perms, offset, dev;
    unsigned long inode = 0;
    in >> range >> perms >> offset >> dev >> inode;
    if (std::stoull(range.substr(0, range.find('-')), nullptr, 16) == want) return inode;
  }
  return 0;
}

// Runs `child` in a forked child; returns its exit status (child returns 0 on success).
template <class Fn>
int in_child(Fn child) {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(child());
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

void fork_keeps_parent_region(bool background) {
  ProbeOptions o;
  o.name = "fork-test";
  o.background_connect = background;
  Probe probe(o);
  Counter c = probe.counter("forked_total");
  Histogram h = probe.histogram("forked_hist");
  c.add(5);
  h.record(42);
  detail::ProbeCore& core = *testing::core_of(probe);
  const std::uint32_t index = metric_index(core, "forked_total");
  const std::uint64_t parent_incarnation = core.header->incarnation;
  const unsigned long parent_inode = backing_inode(core.region.base());
  ASSERT_NE(parent_inode, 0u);
  std::byte* const parent_base = core.region.base();

  const int rc = in_child([&]() -> int {
    if (core.region.base() != parent_base) return 1;
    if (core.header->incarnation == parent_incarnation) return 2;
    if (core.header->pid != ::getpid()) return 3;
    if (cell_sum(core, index) != 0) return 4;                   // values start at zero
    if (metric_index(core, "forked_total") != index) return 5;  // names survive
    const unsigned long inode = backing_inode(core.region.base());
    if (inode == 0 || inode == parent_inode) return 6;  // a different memfd
    c.add(100);
    h.record(7);
    if (cell_sum(core, index) != 100) return 7;
    if (histogram_cells(core, detail::t_claims.claims[0].shard, 0)->min != 7) return 8;
    if (probe.connected()) return 9;
    if (probe.ping().status != CallStatus::kNotConnected) return 10;
    Counter later = probe.counter("registered_in_child");
    later.add(1);
    if (core.header->metric_count.load() != 3) return 11;
    return 0;
  });
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(cell_sum(core, index), 5u);
  EXPECT_EQ(core.header->incarnation, parent_incarnation);
  EXPECT_EQ(core.header->metric_count.load(), 2u);
  c.add(1);
  EXPECT_EQ(cell_sum(core, index), 6u);
}

TEST_F(ForkTest, ChildGetsAFreshRegionWithoutConnector) {
  fork_keeps_parent_region(false);
}

TEST_F(ForkTest, ChildGetsAFreshRegionWithConnector) {
#if defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "TSan cannot start threads in a child of a multi-threaded process";
#endif
  fork_keeps_parent_region(true);
}

}  // namespace
}  // namespace shmon::probe_test
