// SPDX-License-Identifier: Apache-2.0
// What the tray shows, read without GTK: a directory view of the instance each poll (the client
// library's ToolClient::view: no tool slot) and the agent's lock-free directory. Poll it from
// the UI's timer.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace shmon::client {
class ToolClient;
}

namespace shmon::tray {

struct TrayState {
  bool up = false;
  std::int64_t pid = 0;     // the agent's, when up
  std::uint64_t apps = 0;   // app clients (tools such as this tray are not counted)
  double events_per_s = 0;  // the agent's rate over its last second
  // Trouble counters: agent-wide, and lock/Done timeouts summed over the live clients.
  std::uint64_t drops = 0, timeouts = 0, revocations = 0, dead_owner_releases = 0;
  bool warning = false;     // one of them rose within the last kWarningHoldNs
  std::string down_reason;  // when !up: why (no agent, refused, ...)

  bool operator==(const TrayState&) const = default;
};

class AgentWatch {
 public:
  // A rise keeps the warning on this long, so that a single drop is noticed.
  static constexpr std::uint64_t kWarningHoldNs = 10'000'000'000;

  explicit AgentWatch(std::string instance);
  ~AgentWatch();
  AgentWatch(const AgentWatch&) = delete;
  AgentWatch& operator=(const AgentWatch&) = delete;

  // Takes a fresh directory view (bounded by `attach_budget_ns`; no agent: down) and reads the
  // directory. Never blocks longer than the budget; never throws.
  TrayState poll(std::uint64_t now_ns, std::uint64_t attach_budget_ns = 250'000'000);
  // Watches another instance from the next poll on. REQUIRES: a valid instance name.
  void set_instance(const std::string& instance);
  const std::string& instance() const { return instance_; }

 private:
  void track_warning(const TrayState& s, std::uint64_t generation, std::uint64_t now_ns);

  std::string instance_;
  std::unique_ptr<client::ToolClient> client_;
  // Warning baselines: per agent generation, so a restart (counters from zero) raises nothing.
  std::uint64_t generation_ = 0;
  TrayState last_;
  std::uint64_t last_rise_ns_ = 0;
  bool risen_ = false;
};

}  // namespace shmon::tray
