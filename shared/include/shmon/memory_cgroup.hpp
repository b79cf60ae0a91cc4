// SPDX-License-Identifier: Apache-2.0
// How much memory this process may still charge to its memory cgroup. Shared memory a process
// reserves (fallocate on a memfd) is charged to its cgroup; past the limit the kernel does not
// fail the call, it OOM-kills a process of the group. So whoever reserves a region first checks
// that it fits in what the cgroup has left.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shmon {

// The cgroup paths named in /proc/self/cgroup text: the unified (v2, "0::/path") one and the
// v1 memory controller's ("N:...memory...:/path"). Empty when absent; never throws on any input.
struct CgroupPaths {
  std::string unified;
  std::string memory_v1;
};
CgroupPaths parse_cgroup_paths(std::string_view proc_self_cgroup);

// A limit or usage file's content: a decimal number of bytes, or "max" (no limit: nullopt).
// Values of 2^62 and more also mean "no limit" (v1 writes a huge page-aligned number).
std::optional<std::uint64_t> parse_memory_value(std::string_view text);

struct MemoryHeadroom {
  std::uint64_t bytes = 0;  // limit - usage of the tightest level
  std::string where;        // the limit file that sets it, for messages
};

// Bytes left before the tightest memory limit of this process's cgroup or of any ancestor
// (v2 memory.max - memory.current, v1 memory.limit_in_bytes - memory.usage_in_bytes), looked up
// under `cgroup_root` (normally /sys/fs/cgroup). nullopt when no limit applies or none is
// readable.
std::optional<MemoryHeadroom> memory_cgroup_headroom(
    const std::string& cgroup_root = "/sys/fs/cgroup");

// The tightest memory limit on a process's cgroup or any ancestor (v2 memory.max and
// memory.high, v1 memory.limit_in_bytes), and where its usage is read.
struct MemoryLimit {
  std::uint64_t bytes = 0;
  std::string limit_file;  // the file that sets it, for messages
  std::string dir;         // that cgroup's directory: its usage counts against the limit
  bool v2 = false;
  bool soft = false;  // memory.high: the kernel throttles and reclaims above it, kills at max
};
// `proc_self_cgroup` is /proc/<pid>/cgroup's text; files are looked up under `cgroup_root`.
// nullopt when no limit applies or none is readable.
std::optional<MemoryLimit> memory_cgroup_limit(std::string_view proc_self_cgroup,
                                               const std::string& cgroup_root = "/sys/fs/cgroup");

// The value of `key` in a memory.stat or memory.events text ("key value" lines), or nullopt.
std::optional<std::uint64_t> memory_stat_value(std::string_view text, std::string_view key);

// The part of `limit.dir`'s usage the kernel cannot reclaim without writing (usage minus inactive
// file pages, the "working set"): what approaching the limit means. nullopt when unreadable.
std::optional<std::uint64_t> memory_cgroup_working_set(const MemoryLimit& limit);

// How often the cgroup hit its limit so far (v2 memory.events "max" + "oom", v1 memory.failcnt):
// a rise says the kernel is reclaiming hard or about to kill. nullopt when unreadable.
std::optional<std::uint64_t> memory_cgroup_limit_hits(const MemoryLimit& limit);

// The whole of a small file (at most 4 KiB); empty when it cannot be read.
std::string read_small_file(const std::string& path);

}  // namespace shmon
