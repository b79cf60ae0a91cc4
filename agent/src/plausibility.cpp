// SPDX-License-Identifier: Apache-2.0
#include "plausibility.hpp"

#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>

namespace shmon::agent {

std::uint64_t max_count_in(std::uint64_t elapsed_ns) {
  static const std::uint64_t cpus = [] {
    const long n = ::sysconf(_SC_NPROCESSORS_CONF);
    return std::uint64_t(n > 0 ? n : 1);
  }();
  const std::uint64_t per_ns = kMaxCountPerNsPerCpu * cpus;
  if (elapsed_ns > UINT64_MAX / per_ns) return UINT64_MAX;
  return elapsed_ns * per_ns;
}

std::uint64_t process_age_ns(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return 0;
  // Field 2 (comm) is in parentheses and may contain anything: start after the last ')'.
  const auto close = line.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(line.substr(close + 1));
  std::string field;
  // Fields 3..21, then 22 = starttime in clock ticks since boot.
  for (int i = 3; i <= 21; ++i) rest >> field;
  unsigned long long start_ticks = 0;
  if (!(rest >> start_ticks)) return 0;
  const long hz = ::sysconf(_SC_CLK_TCK);
  timespec now{};
  if (hz <= 0 || ::clock_gettime(CLOCK_BOOTTIME, &now) != 0) return 0;
  const std::uint64_t now_ns =
      std::uint64_t(now.tv_sec) * 1'000'000'000ull + std::uint64_t(now.tv_nsec);
  const std::uint64_t start_ns =
      std::uint64_t(start_ticks) * (1'000'000'000ull / std::uint64_t(hz));
  // A tick of rounding: a process started this very tick is at least one tick old.
  return now_ns > start_ns ? now_ns - start_ns + 1'000'000'000ull / std::uint64_t(hz) : 0;
}

bool CreditedCount::start(std::uint64_t value, std::uint64_t ceiling) {
  high_ = last_ = value;
  credited_ = value <= ceiling ? value : 0;
  return value <= ceiling;
}

bool CreditedCount::observe(std::uint64_t value, std::uint64_t max_increase) {
  const std::uint64_t last = last_;
  last_ = value;
  if (value <= high_) return value == high_ || value == last;  // lower: went backwards (once)
  const std::uint64_t increase = value - high_;
  high_ = value;
  if (increase > max_increase) return false;
  credited_ += increase;
  return true;
}

}  // namespace shmon::agent
