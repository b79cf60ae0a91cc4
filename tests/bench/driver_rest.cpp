// SPDX-License-Identifier: Apache-2.0
// Cost at rest: the agent's CPU while idle clients stay connected, its resident memory with many
// clients connected, and the sizes of the regions.
#include <string>

#include "agent_process.hpp"
#include "children.hpp"
#include "driver.hpp"
#include "proc_stats.hpp"
#include "shmon/clock.hpp"
#include "shmon/layout.hpp"
#include "shmon/probe.hpp"

namespace shmon::bench {
namespace {

struct RestShared {
  Gate gate;  // ready = clients connected (one per probe); open = leave
  std::atomic<std::uint32_t> failed;
};

// Holds `count` connected, idle probes until the gate opens.
int idle_clients(RestShared* s, std::uint32_t first, std::uint32_t count) {
  std::vector<std::unique_ptr<Probe>> probes;
  for (std::uint32_t i = 0; i < count; ++i) {
    ProbeOptions options;
    options.name = "idle-" + std::to_string(first + i);
    probes.push_back(std::make_unique<Probe>(options));
  }
  for (auto& p : probes) {
    if (p->wait_connected(20'000)) {
      p->counter("bench.idle").add(1);
      s->gate.ready.fetch_add(1);
    } else {
      s->failed.fetch_add(1);
    }
  }
  const std::uint64_t deadline = deadline_after_ms(600'000);
  while (s->gate.open.load() == 0 && monotonic_ns() < deadline) ::usleep(20'000);
  return 0;
}

// Starts an agent and `clients` idle clients in `processes` processes; runs `measure` once they
// are all connected. Returns the measurement or an error.
template <class Measure>
Json with_idle_clients(std::uint32_t clients, std::uint32_t processes, Measure measure) {
  SharedBlock<RestShared> s;
  AgentProcess agent;
  const std::string max = std::to_string(std::max<std::uint32_t>(clients, 64));
  if (!s.ok() || !agent.start("bench-rest", {"--log-level", "warn", "--max-clients", max})) {
    return Json{{"error", "cannot start agent: " + agent.error()}};
  }
  Json j;
  j["agent_rss_kib_empty"] = rss_kib(agent.pid());
  ChildGroup children;
  const std::uint32_t per = (clients + processes - 1) / processes;
  for (std::uint32_t first = 0; first < clients; first += per) {
    const std::uint32_t n = std::min(per, clients - first);
    children.add(spawn([&, first, n] { return idle_clients(&*s, first, n); }));
  }
  const bool ready = s->gate.wait_ready(clients, 60'000);
  j["clients_connected"] = s->gate.ready.load();
  if (ready) measure(agent.pid(), j);
  s->gate.open.store(1);
  children.wait_all(30'000);
  return j;
}

}  // namespace

Json run_rest(const DriverConfig& config) {
  Json j;
  j["idle_cpu"] = with_idle_clients(config.idle_clients, 1, [&](pid_t agent, Json& out) {
    ::usleep(500'000);  // let attach work settle
    const std::int64_t c0 = cpu_time_ns(agent);
    const std::uint64_t t0 = monotonic_ns();
    ::sleep(config.idle_seconds);
    const std::int64_t c1 = cpu_time_ns(agent);
    const std::uint64_t t1 = monotonic_ns();
    out["seconds"] = double(t1 - t0) / 1e9;
    out["agent_cpu_ns"] = c1 - c0;
    out["agent_cpu_pct"] = 100.0 * double(c1 - c0) / double(t1 - t0);
  });
  j["rss"] = with_idle_clients(config.rss_clients, 4, [&](pid_t agent, Json& out) {
    ::usleep(500'000);
    out["agent_rss_kib"] = rss_kib(agent);
  });
  DataParams defaults;
  auto geo = compute_data_geometry(defaults);
  Json sizes;
  sizes["control_region_bytes_default"] =
      control_region_size(kDefaultMaxClients + kReservedToolSlots);
  sizes["control_region_bytes_256"] = control_region_size(256 + kReservedToolSlots);
  sizes["mailbox_region_bytes"] = MailboxLayout::kRegionSize;
  sizes["data_region_bytes_default"] = geo ? geo->region_size : 0;
  j["region_sizes"] = sizes;
  return j;
}

}  // namespace shmon::bench
