// SPDX-License-Identifier: Apache-2.0
#include "demo_traffic.hpp"

#include <cmath>
#include <numbers>

namespace demo {
namespace {

constexpr double kTailProbability = 0.02;   // share of requests that hit the slow path
constexpr double kFailProbability = 0.004;  // share that fail outright
constexpr double kTailScaleUs = 8000;       // Pareto minimum of the slow path
constexpr double kTailShape = 1.6;          // heavier tail as this falls toward 1

}  // namespace

Traffic::Traffic(std::uint64_t seed) : rng_(seed) {}

Request Traffic::next() {
  double latency = body_(rng_);
  if (unit_(rng_) < kTailProbability) {
    // Inverse-CDF Pareto sample; capped so one sample cannot dominate the view.
    latency = std::min(kTailScaleUs / std::pow(1.0 - unit_(rng_), 1.0 / kTailShape), 5e6);
  }
  return {std::int64_t(latency), unit_(rng_) < kFailProbability};
}

double Traffic::load(double t_s) {
  return 1.0 + 0.5 * std::sin(2 * std::numbers::pi * t_s / 60.0);
}

}  // namespace demo
