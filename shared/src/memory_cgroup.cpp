// SPDX-License-Identifier: Apache-2.0
#include "shmon/memory_cgroup.hpp"

#include <cstdio>

namespace shmon {
namespace {

constexpr std::uint64_t kNoLimit = std::uint64_t(1) << 62;

bool lists_memory(std::string_view controllers) {
  while (!controllers.empty()) {
    const auto comma = controllers.find(',');
    if (controllers.substr(0, comma) == "memory") return true;
    if (comma == std::string_view::npos) break;
    controllers.remove_prefix(comma + 1);
  }
  return false;
}

std::string parent_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

// Walks from `path` up to the hierarchy's root, keeping the tightest limit - usage.
void tightest(const std::string& mount, std::string path, const char* limit_file,
              const char* usage_file, std::optional<MemoryHeadroom>& best) {
  for (int depth = 0; depth < 64; ++depth) {
    const std::string dir = mount + (path == "/" ? "" : path);
    const auto limit = parse_memory_value(read_small_file(dir + "/" + limit_file));
    const auto usage = parse_memory_value(read_small_file(dir + "/" + usage_file));
    if (limit && usage) {
      const std::uint64_t left = *usage >= *limit ? 0 : *limit - *usage;
      if (!best || left < best->bytes) best = MemoryHeadroom{left, dir + "/" + limit_file};
    }
    if (path == "/") break;
    path = parent_of(path);
  }
}

// Walks from `path` up to the hierarchy's root, keeping the tightest of `limit_file`.
void tightest_limit(const std::string& mount, std::string path, const char* limit_file, bool v2,
                    bool soft, std::optional<MemoryLimit>& best) {
  for (int depth = 0; depth < 64; ++depth) {
    const std::string dir = mount + (path == "/" ? "" : path);
    const auto limit = parse_memory_value(read_small_file(dir + "/" + limit_file));
    if (limit && (!best || *limit < best->bytes))
      best = MemoryLimit{*limit, dir + "/" + limit_file, dir, v2, soft};
    if (path == "/") break;
    path = parent_of(path);
  }
}

}  // namespace

std::string read_small_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "re");
  if (f == nullptr) return {};
  char buf[4096];
  const std::size_t n = std::fread(buf, 1, sizeof(buf), f);
  std::fclose(f);
  return std::string(buf, n);
}

std::optional<MemoryLimit> memory_cgroup_limit(std::string_view proc_self_cgroup,
                                               const std::string& cgroup_root) {
  const CgroupPaths paths = parse_cgroup_paths(proc_self_cgroup);
  std::optional<MemoryLimit> best;
  if (!paths.unified.empty()) {
    for (const std::string& mount : {cgroup_root, cgroup_root + "/unified"}) {
      tightest_limit(mount, paths.unified, "memory.max", true, false, best);
      tightest_limit(mount, paths.unified, "memory.high", true, true, best);
    }
  }
  if (!paths.memory_v1.empty()) {
    tightest_limit(cgroup_root + "/memory", paths.memory_v1, "memory.limit_in_bytes", false, false,
                   best);
  }
  return best;
}

std::optional<std::uint64_t> memory_stat_value(std::string_view text, std::string_view key) {
  while (!text.empty()) {
    const auto eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    if (line.size() > key.size() && line.substr(0, key.size()) == key && line[key.size()] == ' ') {
      // parse_memory_value treats 2^62 and more as "no limit"; counters never get there.
      return parse_memory_value(line.substr(key.size() + 1));
    }
  }
  return std::nullopt;
}

std::optional<std::uint64_t> memory_cgroup_working_set(const MemoryLimit& limit) {
  const auto usage = parse_memory_value(
      read_small_file(limit.dir + (limit.v2 ? "/memory.current" : "/memory.usage_in_bytes")));
  if (!usage) return std::nullopt;
  // memory.stat is longer than 4 KiB on v1; inactive_file is near its start on v2 and
  // total_inactive_file near the end on v1, so read it whole.
  std::string stat;
  if (std::FILE* f = std::fopen((limit.dir + "/memory.stat").c_str(), "re")) {
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0 && stat.size() < (1u << 16))
      stat.append(buf, n);
    std::fclose(f);
  }
  const auto inactive = memory_stat_value(stat, limit.v2 ? "inactive_file" : "total_inactive_file");
  const std::uint64_t reclaimable = inactive.value_or(0);
  return *usage > reclaimable ? *usage - reclaimable : 0;
}

std::optional<std::uint64_t> memory_cgroup_limit_hits(const MemoryLimit& limit) {
  if (!limit.v2) return parse_memory_value(read_small_file(limit.dir + "/memory.failcnt"));
  const std::string events = read_small_file(limit.dir + "/memory.events");
  const auto max = memory_stat_value(events, "max"), oom = memory_stat_value(events, "oom");
  if (!max && !oom) return std::nullopt;
  return max.value_or(0) + oom.value_or(0);
}

CgroupPaths parse_cgroup_paths(std::string_view text) {
  CgroupPaths out;
  while (!text.empty()) {
    const auto eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    // hierarchy-id:controllers:path (the path may itself contain ':')
    const auto first = line.find(':');
    if (first == std::string_view::npos) continue;
    const auto second = line.find(':', first + 1);
    if (second == std::string_view::npos) continue;
    const std::string_view id = line.substr(0, first);
    const std::string_view controllers = line.substr(first + 1, second - first - 1);
    const std::string_view path = line.substr(second + 1);
    if (path.empty() || path.front() != '/' || path.find("/..") != std::string_view::npos) continue;
    if (id == "0" && controllers.empty()) {
      out.unified = std::string(path);
    } else if (lists_memory(controllers)) {
      out.memory_v1 = std::string(path);
    }
  }
  return out;
}

std::optional<std::uint64_t> parse_memory_value(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  if (text.empty() || text == "max" || text.size() > 20) return std::nullopt;
  std::uint64_t v = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const std::uint64_t digit = std::uint64_t(c - '0');
    if (v > (UINT64_MAX - digit) / 10) return std::nullopt;
    v = v * 10 + digit;
  }
  if (v >= kNoLimit) return std::nullopt;
  return v;
}

std::optional<MemoryHeadroom> memory_cgroup_headroom(const std::string& cgroup_root) {
  const CgroupPaths paths = parse_cgroup_paths(read_small_file("/proc/self/cgroup"));
  std::optional<MemoryHeadroom> best;
  if (!paths.unified.empty()) {
    // A pure v2 system mounts the hierarchy at the root, a hybrid one under unified/.
    tightest(cgroup_root, paths.unified, "memory.max", "memory.current", best);
    tightest(cgroup_root + "/unified", paths.unified, "memory.max", "memory.current", best);
  }
  if (!paths.memory_v1.empty()) {
    tightest(cgroup_root + "/memory", paths.memory_v1, "memory.limit_in_bytes",
             "memory.usage_in_bytes", best);
  }
  return best;
}

}  // namespace shmon
