// SPDX-License-Identifier: Apache-2.0
#include "memory_watch.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace shmon::agent {
namespace {

std::string mib(std::uint64_t bytes) {
  return fmt::format("{:.1f} MiB", double(bytes) / double(1u << 20));
}

}  // namespace

std::uint64_t series_that_fit(std::uint64_t limit, std::uint32_t max_clients,
                              std::uint64_t max_series) {
  const std::uint64_t plan = limit / 100 * kPlanPercent;
  const std::uint64_t fixed = kBaseBytes + std::uint64_t(max_clients) * kBytesPerClient;
  if (plan <= fixed) return 0;
  return std::min(max_series, (plan - fixed) / kBytesPerSeries);
}

std::uint64_t MemoryWatch::start(std::uint32_t max_clients, std::uint64_t max_series,
                                 const std::string& cgroup_root) {
  limit_ = memory_cgroup_limit(read_small_file("/proc/self/cgroup"), cgroup_root);
  planned_series_ = max_series;
  if (!limit_) {
    spdlog::debug("memory cgroup: no memory limit applies to the agent");
    return max_series;
  }
  if (auto hits = memory_cgroup_limit_hits(*limit_)) limit_hits_.store(*hits);
  const std::uint64_t fit = series_that_fit(limit_->bytes, max_clients, max_series);
  const std::uint64_t need =
      kBaseBytes + std::uint64_t(max_clients) * kBytesPerClient + max_series * kBytesPerSeries;
  const std::string head = fmt::format(
      "memory cgroup: limit {} ({}{}); at about {} KiB per series and {} KiB per client above {} "
      "of base",
      mib(limit_->bytes), limit_->limit_file, limit_->soft ? ", a soft limit" : "",
      kBytesPerSeries / 1024, kBytesPerClient / 1024, mib(kBaseBytes));
  const std::string tail = fmt::format(
      "; new series and app clients are refused while the working set is above {}% of the "
      "limit",
      kPressurePercent);
  if (fit == max_series) {
    spdlog::info("{}, --max-series {} and --max-clients {} fit (about {}){}", head, max_series,
                 max_clients, mib(need), tail);
  } else if (fit > 0) {
    planned_series_ = fit;
    spdlog::warn(
        "{}, --max-series {} beside --max-clients {} needs about {}: keeping at most {} "
        "series{}",
        head, max_series, max_clients, mib(need), fit, tail);
  } else {
    // Not even the base fits: refusing every series would make the agent useless, so keep the
    // configured bound and say plainly that the kernel may kill the agent.
    spdlog::warn(
        "{}: too small even for --max-clients {} and no series (the kernel may OOM-kill "
        "the agent); keeping --max-series {}{}",
        head, max_clients, max_series, tail);
  }
  return planned_series_;
}

int MemoryWatch::check(std::uint64_t now_ns) {
  if (!limit_ || now_ns - last_check_ns_ < 1'000'000'000) return 0;
  last_check_ns_ = now_ns;
  const auto ws = memory_cgroup_working_set(*limit_);
  if (auto hits = memory_cgroup_limit_hits(*limit_)) limit_hits_.store(*hits);
  if (!ws) return 0;
  working_set_.store(*ws, std::memory_order_relaxed);
  checks_.fetch_add(1, std::memory_order_release);
  const std::uint64_t percent = *ws / std::max<std::uint64_t>(limit_->bytes / 100, 1);
  if (!pressure() && percent >= kPressurePercent) {
    pressure_.store(true, std::memory_order_release);
    episodes_.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn(
        "memory cgroup: the agent's working set is {} of its {} limit ({}%): refusing new series "
        "and new app clients until it drops below {}% (before the kernel kills the agent)",
        mib(*ws), mib(limit_->bytes), percent, kRelievedPercent);
    return +1;
  }
  if (pressure() && percent < kRelievedPercent) {
    pressure_.store(false, std::memory_order_release);
    spdlog::info(
        "memory cgroup: working set {} of {} ({}%): accepting new series and clients "
        "again",
        mib(*ws), mib(limit_->bytes), percent);
    return -1;
  }
  return 0;
}

}  // namespace shmon::agent
