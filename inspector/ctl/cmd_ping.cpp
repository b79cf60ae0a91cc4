// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>
#include <vector>

#include "commands.hpp"
#include "format.hpp"
#include "shmon/stop_signal.hpp"

namespace shmonctl {

using shmon::inspector::fmt_ns;

int run_ping(Connection& connection, std::uint32_t ping_count, bool json) {
  std::vector<std::uint64_t> rtts;
  for (std::uint32_t i = 0; i < ping_count && !shmon::stop_requested(); ++i) {
    const std::uint64_t rtt = connection.ping();
    rtts.push_back(rtt);
    if (!json) std::cout << "ping " << i + 1 << ": " << fmt_ns(double(rtt)) << '\n';
  }
  std::vector<std::uint64_t> sorted = rtts;
  std::sort(sorted.begin(), sorted.end());
  const std::uint64_t median = sorted.empty() ? 0 : sorted[sorted.size() / 2];
  if (json) {
    std::cout
        << nlohmann::json{{"count", rtts.size()}, {"rtt_ns", rtts}, {"median_ns", median}}.dump()
        << '\n';
  } else if (!sorted.empty()) {
    std::cout << rtts.size() << " pings: min " << fmt_ns(double(sorted.front())) << ", median "
              << fmt_ns(double(median)) << ", max " << fmt_ns(double(sorted.back())) << '\n';
  }
  return 0;
}

}  // namespace shmonctl
