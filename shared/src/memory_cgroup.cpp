// SPDX-License-Identifier: Apache-2.0
#include "shmon/memory_cgroup.hpp"

#include <cstdio>

namespace shmon {
namespace {

constexpr std::uint64_t kNoLimit = std::uint64_t(1) << 62;

// The whole of a small file (at most 4 KiB); empty when it cannot be read.
std::string read_small_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "re");
  if (f == nullptr) return {};
  char buf[4096];
  const std::size_t n = std::fread(buf, 1, sizeof(buf), f);
  std::fclose(f);
  return std::string(buf, n);
}

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

}  // namespace

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
