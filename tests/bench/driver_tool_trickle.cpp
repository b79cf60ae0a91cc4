// SPDX-License-Identifier: Apache-2.0
// Tool calls beside tools that trickle their messages (issue 18: "a trickling tool stalled the
// agent's main thread: status 0.29 s, send 0.7 s"). One real agent; phases alternate A B B A B A
// A B between no trickler (A) and `trickle_tools` tools (B) that each write region requests one
// byte every 5 ms, one after another, attaching again whenever the agent drops them. Each phase
// times `trickle_samples` one-shot tool calls as `shmonctl ping --count 1` makes them: attach
// (the agent's main thread), hello, one ping, bye.
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

#include "agent_process.hpp"
#include "driver.hpp"
#include "percentiles.hpp"
#include "shmon/client/tool_client.hpp"
#include "shmon/clock.hpp"
#include "shmon/protocol.hpp"
#include "shmon/unix_socket.hpp"

namespace shmon::bench {
namespace {

// One request trickled byte by byte; true when the agent answered it.
bool trickle_one(int fd, const std::atomic<bool>& stop) {
  RegionRequest req{};
  std::memcpy(req.magic, kRegionRequestMagic, sizeof req.magic);
  req.abi_version = kAbiVersion;
  req.slot = kMailboxSlot;
  const auto* bytes = reinterpret_cast<const char*>(&req);
  for (std::size_t i = 0; i < sizeof req && !stop.load(); ++i) {
    if (::send(fd, bytes + i, 1, MSG_NOSIGNAL) != 1) return false;
    ::poll(nullptr, 0, 5);  // the trickle's pace
  }
  AttachReply reply{};
  auto got =
      receive_message(fd, std::as_writable_bytes(std::span(&reply, 1)), 1, deadline_after_ms(2000));
  return got && reply.status == std::uint32_t(AttachStatus::kOk);
}

void trickler(const std::string& instance, int index, const std::atomic<bool>& stop,
              std::atomic<std::uint64_t>& served, std::atomic<std::uint64_t>& dropped) {
  client::ToolOptions options;
  options.instance = instance;
  options.name = "trickler-" + std::to_string(index);
  client::ToolClient tool(options);
  while (!stop.load()) {
    if (!tool.connected() &&
        tool.attach(deadline_after_ms(2000)) != client::AttachOutcome::kAttached) {
      ::poll(nullptr, 0, 10);
      continue;
    }
    if (trickle_one(tool.socket_fd(), stop)) {
      served.fetch_add(1);
    } else if (!stop.load()) {
      dropped.fetch_add(1);
      tool.drop("dropped by the agent");
    }
  }
}

// `shmonctl ping --count 1` in-process: ns from attach to the bye, 0 on failure.
std::uint64_t one_shot_ping(const std::string& instance) {
  const std::uint64_t t0 = monotonic_ns();
  std::uint64_t rtt = 0;
  {
    client::ToolOptions options;
    options.instance = instance;
    options.name = "pinger";
    client::ToolClient tool(options);
    if (tool.attach(deadline_after_ms(5000)) != client::AttachOutcome::kAttached) return 0;
    if (tool.ping(rtt, deadline_after_ms(5000)) != client::CallStatus::kOk) return 0;
  }  // bye
  return monotonic_ns() - t0;
}

}  // namespace

Json run_tool_trickle(const DriverConfig& config) {
  AgentProcess agent;
  if (!agent.start("bench-trickle", {"--log-level", "error", "--no-state"})) {
    return Json{{"error", "cannot start agent: " + agent.error()}};
  }
  const std::string instance = "bench-trickle";
  std::vector<std::uint64_t> without, with;
  std::uint64_t failures = 0;
  std::atomic<std::uint64_t> served{0}, dropped{0};
  const bool trickle_phase[] = {false, true, true, false, true, false, false, true};
  for (const bool trickle : trickle_phase) {
    std::atomic<bool> stop{false};
    std::vector<std::thread> tricklers;
    if (trickle) {
      for (std::uint32_t i = 0; i < config.trickle_tools; ++i) {
        tricklers.emplace_back([&, i] { trickler(instance, int(i), stop, served, dropped); });
      }
      ::poll(nullptr, 0, 300);  // let them attach and start trickling
    }
    for (std::uint32_t i = 0; i < config.trickle_samples; ++i) {
      const std::uint64_t ns = one_shot_ping(instance);
      if (ns == 0) {
        ++failures;
      } else {
        (trickle ? with : without).push_back(ns);
      }
    }
    stop = true;
    for (auto& t : tricklers) t.join();
  }
  Json j;
  j["trickle_tools"] = config.trickle_tools;
  j["samples_per_phase"] = config.trickle_samples;
  j["failures"] = failures;
  j["trickled_requests_served"] = served.load();
  j["tricklers_dropped_by_agent"] = dropped.load();
  j["without"] = latency_summary(without);
  j["with_tricklers"] = latency_summary(with);
  const double a = quantile(without, 0.5), b = quantile(with, 0.5);
  j["median_ratio"] = a > 0 ? b / a : 0.0;
  return j;
}

}  // namespace shmon::bench
