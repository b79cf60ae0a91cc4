// SPDX-License-Identifier: Apache-2.0
// Commands (docs/COMMANDS.md): the round trip of an `echo` command from a tool to an idle app and
// back, beside the tool's ping round trip through the mailbox, measured alternately by the same
// tool against the same agent in the same run.
#include <unistd.h>

#include <string>

#include "agent_process.hpp"
#include "children.hpp"
#include "driver.hpp"
#include "shmon/client/tool_client.hpp"
#include "shmon/clock.hpp"
#include "shmon/probe.hpp"

namespace shmon::bench {
namespace {

constexpr std::uint32_t kMaxSamples = 50'000;
constexpr std::uint32_t kWarmup = 500;

struct CommandShared {
  std::atomic<std::uint32_t> app_ready;
  std::atomic<std::uint32_t> stop;
  std::uint64_t failures;
  std::uint32_t count;
  std::uint64_t command_ns[kMaxSamples];
  std::uint64_t ping_ns[kMaxSamples];
};

// An app that offers `echo` and otherwise does nothing.
int idle_app(CommandShared* s) {
  ProbeOptions options;
  options.name = "bench-idle-app";
  Probe probe(options);
  probe.on_command("echo", "replies with its payload", [](std::string_view payload) {
    return CommandResult{CommandStatus::kOk, std::string(payload)};
  });
  if (!probe.wait_connected(5000)) return 2;
  s->app_ready.store(1);
  const std::uint64_t deadline = deadline_after_ms(170'000);
  while (s->stop.load() == 0 && monotonic_ns() < deadline) ::usleep(10'000);
  return 0;
}

int tool(CommandShared* s, std::uint32_t count) {
  client::ToolOptions options;
  options.instance = std::getenv("SHMON_INSTANCE") ? std::getenv("SHMON_INSTANCE") : "";
  options.name = "bench-tool";
  client::ToolClient c(options);
  if (c.attach(deadline_after_ms(5000)) != client::AttachOutcome::kAttached) return 2;
  std::uint32_t slot = 0;
  std::uint64_t incarnation = 0;
  for (const std::uint64_t until = deadline_after_ms(5000); incarnation == 0;) {
    if (monotonic_ns() > until) return 3;
    if (auto d = c.directory()) {
      for (const DirectoryEntry& e : d->clients) {
        if (ClientKind(e.kind) == ClientKind::kApp) {
          slot = e.slot;
          incarnation = e.incarnation;
        }
      }
    }
    ::usleep(1000);
  }
  const std::string payload(16, 'x');
  const auto bytes = std::as_bytes(std::span(payload));
  std::uint64_t rtt = 0;
  for (std::uint32_t i = 0; i < kWarmup; ++i) {
    c.send_command(slot, incarnation, "echo", bytes, deadline_after_ms(2000));
    c.ping(rtt, deadline_after_ms(2000));
  }
  for (std::uint32_t i = 0; i < count && i < kMaxSamples; ++i) {
    const std::uint64_t t0 = monotonic_ns();
    const client::CommandOutcome r =
        c.send_command(slot, incarnation, "echo", bytes, deadline_after_ms(2000));
    const std::uint64_t t1 = monotonic_ns();
    const client::CallStatus p = c.ping(rtt, deadline_after_ms(2000));
    const std::uint64_t t2 = monotonic_ns();
    if (r.status != CommandStatus::kOk || r.payload != payload || p != client::CallStatus::kOk) {
      ++s->failures;
      if (!c.connected()) return 4;
      continue;
    }
    s->command_ns[s->count] = t1 - t0;
    s->ping_ns[s->count] = t2 - t1;
    ++s->count;
  }
  return 0;
}

}  // namespace

Json run_commands(const DriverConfig& config) {
  SharedBlock<CommandShared> s;
  AgentProcess agent;
  if (!s.ok() || !agent.start("bench-cmd", {"--log-level", "warn"})) {
    return Json{{"error", "cannot start agent: " + agent.error()}};
  }
  ChildGroup apps, tools;
  apps.add(spawn([&] { return idle_app(&*s); }));
  const std::uint64_t until = deadline_after_ms(10'000);
  while (s->app_ready.load() == 0 && monotonic_ns() < until) ::usleep(1000);
  if (s->app_ready.load() == 0) return Json{{"error", "the app did not connect"}};
  tools.add(spawn([&] { return tool(&*s, config.pings); }));
  const int ok = tools.wait_all(config.child_timeout_ms);
  s->stop.store(1);
  apps.wait_all(10'000);
  Json j;
  j["tool_ok"] = ok;
  j["failures"] = s->failures;
  j["echo"] = latency_summary({s->command_ns, s->command_ns + s->count});
  j["ping"] = latency_summary({s->ping_ns, s->ping_ns + s->count});
  return j;
}

}  // namespace shmon::bench
