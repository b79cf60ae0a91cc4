#include <algorithm>
#include <iostream>
#include <vector>

#include "commands.hpp"
#include "shmon/stop_signal.hpp"

namespace shmonctl {

int run_ping(Connection& connection, std::uint32_t ping_count, bool json) {
  std::vector<std::uint64_t> rtts;
  for (std::uint32_t i = 0; i < ping_count && !shmon::stop_requested(); ++i) {
    const shmon::PingResult result = connection.probe().ping();
    if (result.status != shmon::CallStatus::kOk) {
      throw CtlError(1, std::string("ping ") + std::to_string(i + 1) +
                            " failed: " + shmon::to_string(result.status));
    }
    rtts.push_back(result.round_trip_ns);
    if (!json) {
      std::cout << "ping " << i + 1 << ": " << format_ns(double(result.round_trip_ns)) << '\n';
    }
  }
  std::vector<std::uint64_t> sorted = rtts;
  std::sort(sorted.begin(), sorted.end());
  const std::uint64_t median = sorted.empty() ? 0 : sorted[sorted.size() / 2];
  if (json) {
    std::cout
        << nlohmann::json{{"count", rtts.size()}, {"rtt_ns", rtts}, {"median_ns", median}}.dump()
        << '\n';
  } else if (!sorted.empty()) {
    std::cout << rtts.size() << " pings: min " << format_ns(double(sorted.front())) << ", median "
              << format_ns(double(median)) << ", max " << format_ns(double(sorted.back())) << '\n';
  }
  return 0;
}

}  // namespace shmonctl
