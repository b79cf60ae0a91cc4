// SPDX-License-Identifier: Apache-2.0
// (e) The memory cgroup readers the probe runs before reserving its region: /proc/self/cgroup
// lines and limit files. Whatever the bytes, a path found is absolute without "/..", and a value
// found is a plain decimal below 2^62 ("no limit" otherwise).
#include <string>
#include <string_view>

#include "fuzz_targets.hpp"
#include "shmon/memory_cgroup.hpp"

namespace shmon::fuzz {

int cgroup_files(const std::uint8_t* data, std::size_t size) {
  const std::string_view s(reinterpret_cast<const char*>(data), size);
  const CgroupPaths paths = parse_cgroup_paths(s);
  for (const std::string* p : {&paths.unified, &paths.memory_v1}) {
    if (p->empty()) continue;
    SHMON_FUZZ_CHECK(p->front() == '/');
    SHMON_FUZZ_CHECK(p->find("/..") == std::string::npos);
    SHMON_FUZZ_CHECK(p->find('\n') == std::string::npos);
  }
  if (const auto v = parse_memory_value(s)) {
    SHMON_FUZZ_CHECK(*v < (std::uint64_t(1) << 62));
    std::string_view digits = s;
    while (!digits.empty() && (digits.back() == '\n' || digits.back() == ' ')) {
      digits.remove_suffix(1);
    }
    SHMON_FUZZ_CHECK(std::to_string(*v).size() <= digits.size());
    for (const char c : digits) SHMON_FUZZ_CHECK(c >= '0' && c <= '9');
  }
  return 0;
}

Bytes cgroup_files_seed() {
  const char seed[] =
      "12:memory:/user.slice/app\n0::/user.slice/app.scope\n4:cpu,cpuacct:/\n268435456\n";
  return Bytes(seed, seed + sizeof(seed) - 1);
}

}  // namespace shmon::fuzz
