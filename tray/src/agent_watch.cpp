// SPDX-License-Identifier: Apache-2.0
#include "agent_watch.hpp"

#include <exception>

#include "model.hpp"
#include "shmon/client/tool_client.hpp"

namespace shmon::tray {

AgentWatch::AgentWatch(std::string instance) : instance_(std::move(instance)) {}

AgentWatch::~AgentWatch() = default;

void AgentWatch::set_instance(const std::string& instance) {
  if (instance == instance_) return;
  instance_ = instance;
  client_.reset();  // says bye to the old agent
  generation_ = 0;
  risen_ = false;
}

TrayState AgentWatch::poll(std::uint64_t now_ns, std::uint64_t attach_budget_ns) {
  TrayState s;
  try {
    // A directory view each poll: the tray reads only the directory, so it holds no tool slot
    // (issue 18: long-running tools locked the others out), and a fresh view notices a dead or
    // restarted agent (a view's mapping outlives its agent).
    auto c = std::make_unique<client::ToolClient>(
        client::ToolOptions{instance_, "shmon-tray", ClientKind::kTool, {}});
    const auto outcome = c->view(now_ns + attach_budget_ns);
    if (outcome != client::AttachOutcome::kAttached) {
      client_.reset();
      s.down_reason = outcome == client::AttachOutcome::kNoAgent ? "no agent" : c->error();
      return s;
    }
    client_ = std::move(c);
    auto dir = client_->directory();
    if (!dir) {
      client_.reset();
      s.down_reason = dir.error();
      return s;
    }
    const inspector::AgentStatus status = inspector::status_from_directory(dir.value());
    s.up = true;
    s.pid = status.pid;
    s.events_per_s = status.events_per_s;
    s.drops = status.events_dropped;
    s.revocations = status.lease_revocations;
    s.dead_owner_releases = status.dead_owner_releases;
    for (const auto& c : inspector::clients_from_directory(dir.value())) {
      if (c.kind == "app") ++s.apps;
      s.timeouts += c.lock_timeouts + c.done_timeouts;
    }
    track_warning(s, dir.value().agent.generation, now_ns);
    s.warning = risen_ && now_ns - last_rise_ns_ < kWarningHoldNs;
  } catch (const std::exception& e) {
    // Allocation failure or similar: show the agent as unknown rather than end the tray.
    client_.reset();
    s = TrayState{};
    s.down_reason = e.what();
  }
  return s;
}

void AgentWatch::track_warning(const TrayState& s, std::uint64_t generation, std::uint64_t now_ns) {
  if (generation != generation_) {
    generation_ = generation;  // a new agent: its counters are the baseline
    last_ = s;
    risen_ = false;
    return;
  }
  // Each counter on its own: the timeouts sum falls when a client leaves, which is no news.
  const bool rose = s.drops > last_.drops || s.timeouts > last_.timeouts ||
                    s.revocations > last_.revocations ||
                    s.dead_owner_releases > last_.dead_owner_releases;
  if (rose) {
    risen_ = true;
    last_rise_ns_ = now_ns;
  }
  last_ = s;
}

}  // namespace shmon::tray
