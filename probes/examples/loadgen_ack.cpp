// SPDX-License-Identifier: Apache-2.0
#include "loadgen_ack.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

namespace loadgen {
namespace {

constexpr std::uint32_t kRetryPauseMs = 50;
constexpr std::uint32_t kConnectSliceMs = 500;

// The counter value the agent reports for this process, or nullopt with `why` set.
std::optional<std::uint64_t> reported_value(shmon::Probe& probe, const std::string& counter,
                                            std::string* why) {
  const shmon::QueryResult result = probe.query(shmon::QueryKind::kMetrics, counter);
  if (result.status != shmon::CallStatus::kOk) {
    *why = std::string("metrics query: ") + shmon::to_string(result.status);
    return std::nullopt;
  }
  const auto metrics = nlohmann::json::parse(result.json, nullptr, false);
  if (!metrics.is_array()) {
    *why = "metrics query: the agent's answer is not a JSON array";
    return std::nullopt;
  }
  const auto pid = std::int64_t(::getpid());
  for (const auto& m : metrics) {
    if (m.value("name", "") != counter || !m.contains("clients")) continue;
    for (const auto& c : m["clients"]) {
      const bool same_slot = c.value("slot", std::int64_t(-1)) == std::int64_t(probe.slot());
      const bool same_process =
          c.value("pid", std::int64_t(0)) == pid && c.value("name", "") == probe.name();
      if (same_slot || same_process) return c.value("value", std::uint64_t(0));
    }
  }
  *why = "the agent does not list this client under metric '" + counter + "' yet";
  return std::nullopt;
}

}  // namespace

std::uint64_t dropped_events(const shmon::ClientStatsSnapshot& s) {
  return s.drops_ring_full + s.drops_payload_too_large + s.drops_not_connected;
}

AckOutcome wait_for_ack(shmon::Probe& probe, const AckTarget& target, std::uint32_t wait_ms) {
  AckOutcome out;
  using Clock = std::chrono::steady_clock;
  const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(wait_ms);
  auto remaining_ms = [&] {
    const Clock::time_point now = Clock::now();
    return now >= deadline
               ? 0u
               : std::uint32_t(
                     std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count());
  };
  auto pause = [&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(kRetryPauseMs, remaining_ms())));
  };
  out.reason = "no attempt finished before the deadline";
  do {
    if (!probe.wait_connected(std::min(kConnectSliceMs, std::max(1u, remaining_ms())))) {
      const std::string why = probe.last_error();
      out.reason = why.empty() ? "not attached to the agent" : "not attached: " + why;
      continue;
    }
    const shmon::FlushResult flush = probe.flush();
    if (flush.status != shmon::CallStatus::kOk) {
      out.reason = std::string("flush: ") + shmon::to_string(flush.status);
      pause();
      continue;
    }
    out.delivered = flush.events_received;
    out.dropped = dropped_events(probe.stats());
    if (flush.events_received != flush.events_written) {
      out.reason = "the agent drained " + std::to_string(flush.events_received) + " of " +
                   std::to_string(flush.events_written) + " written events";
      pause();
      continue;
    }
    if (flush.events_written + out.dropped != target.events) {
      out.reason = "events written (" + std::to_string(flush.events_written) + ") + dropped (" +
                   std::to_string(out.dropped) + ") != " + std::to_string(target.events);
      pause();
      continue;
    }
    std::string why;
    const auto value = reported_value(probe, target.counter, &why);
    if (value) out.reported = *value;
    if (value && *value == target.increments) {
      out.acknowledged = true;
      out.reason.clear();
      return out;
    }
    out.reason = value ? "the agent reports " + std::to_string(*value) + ", expected " +
                             std::to_string(target.increments)
                       : why;
    pause();
  } while (remaining_ms() > 0);
  return out;
}

}  // namespace loadgen
