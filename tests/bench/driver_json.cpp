// SPDX-License-Identifier: Apache-2.0
#include <numeric>

#include "driver.hpp"
#include "percentiles.hpp"

namespace shmon::bench {

Json latency_summary(std::vector<std::uint64_t> samples) {
  Json j;
  j["n"] = samples.size();
  const double sum = std::accumulate(samples.begin(), samples.end(), 0.0);
  j["mean_ns"] = samples.empty() ? 0.0 : sum / double(samples.size());
  j["p50_ns"] = quantile(samples, 0.50);
  j["p99_ns"] = quantile(samples, 0.99);
  return j;
}

}  // namespace shmon::bench
