// SPDX-License-Identifier: Apache-2.0
// The pretend service's traffic: long-tailed request latencies (log-normal body, Pareto tail),
// occasional failures, and a slow load wave so gauges move.
#pragma once

#include <cstdint>
#include <random>

namespace demo {

struct Request {
  std::int64_t latency_us;
  bool failed;
};

class Traffic {
 public:
  explicit Traffic(std::uint64_t seed);
  Request next();
  // Load factor in [0.5, 1.5] following a 60 s wave; `t_s` seconds since start.
  static double load(double t_s);

 private:
  std::mt19937_64 rng_;
  std::lognormal_distribution<double> body_{6.7, 0.5};  // median ~800 µs
  std::uniform_real_distribution<double> unit_{0.0, 1.0};
};

}  // namespace demo
