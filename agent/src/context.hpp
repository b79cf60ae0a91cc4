// SPDX-License-Identifier: Apache-2.0
// State shared by the agent's threads. `mu` guards the client table, the departed totals, the
// history and every Client field documented as "guarded by the table mutex"; never sleep or
// drain while holding it (lock order: mu -> Client meta; drain_mu is never taken under mu).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "aggregate.hpp"
#include "bucket_history.hpp"
#include "client.hpp"
#include "event_log.hpp"
#include "export_owners.hpp"
#include "history.hpp"
#include "memory_watch.hpp"
#include "metric_identity.hpp"
#include "options.hpp"
#include "regions.hpp"
#include "state_store.hpp"

namespace shmon::agent {

// What hostile or broken clients tried, agent-wide (each also counted on the client and logged
// with its name). Kept out of the control region's AgentStats: only queries show them.
struct HostileStats {
  std::atomic<std::uint64_t> regions_dropped{0};  // clients dropped: their region lost pages
  std::atomic<std::uint64_t> metric_clashes{0};   // metrics refused: the name means another metric
  std::atomic<std::uint64_t> series_refused{0};   // series refused: the agent's --max-series bound
  // series_refused by cause: the table full, the client's share, the reserve for small clients
  // (MetricIdentities::Cause kFull, kShare, kReserve in that order).
  std::array<std::atomic<std::uint64_t>, 3> series_refused_by{};
  std::atomic<std::uint64_t> implausible_values{0};  // ring/drop values no honest client produces
  std::atomic<std::uint64_t> partial_messages_dropped{0};  // tools dropped: a message unfinished
};

// Replies to tools' commands, by status (CommandStatus values are below 32), and what the
// agent could not deliver (issue 18: every command gets exactly one reply). Main thread writes,
// queries read.
struct CommandReplyStats {
  std::array<std::atomic<std::uint64_t>, 32> by_status{};
  std::atomic<std::uint64_t> held_back{0};  // replies that waited for the tool to read
  std::atomic<std::uint64_t> tool_gone{0};  // replies whose tool had left: nobody to tell
};

struct AgentContext {
  Options options;
  Regions regions;
  std::uint64_t generation = 0;
  std::uint64_t start_monotonic_ns = 0;
  std::atomic<bool> stop{false};
  // Set by the service thread while it executes a request: the lock holder is then waiting for
  // the agent, and that time is not the holder's to answer for (see Housekeeper::check_lease).
  std::atomic<bool> serving_request{false};
  // The seq of the last request the service thread answered (any client, errors included): the
  // agent's own record, which a client that scribbles on the shared response cannot change.
  std::atomic<std::uint64_t> answered_request_seq{0};

  std::atomic<std::uint64_t> directory_views{0};  // views served (no slot): issue 18

  std::mutex mu;
  std::vector<std::shared_ptr<Client>> slots;  // size = regions.capacity; null = free
  std::vector<std::uint32_t> slot_generation;  // lock generation, +1 on every attach
  Departed departed;
  std::string metrics_url;  // the /metrics endpoint served, empty when off (set before ready)
  MetricIdentities identities;
  ExportOwners export_owners;  // who owns each exported Prometheus name (export_owners.hpp)
  History history;
  BucketHistory bucket_history;  // windowed quantiles of histograms
  std::uint64_t data_bytes_total = 0;
  // The agent's memory cgroup: its limit, the series bound planned for it, and pressure (set on
  // the main thread; attach refuses new apps while it lasts).
  MemoryWatch memory;

  EventLog events;
  std::atomic<std::uint64_t> last_bad_log_ns{0};
  HostileStats hostile;
  CommandReplyStats command_replies;

  // The state store (null with --no-state or when it could not be opened: state_error says why).
  std::unique_ptr<StateStore> store;
  std::string state_dir;
  std::string state_error;
  // Main thread only: ring positions the dead agent's journal proves drained, by incarnation,
  // consumed when that client re-attaches.
  DrainedTails drained_tails;
  std::map<std::string, std::uint64_t> stats_saved;  // housekeeping thread: last persisted

  AgentStats& stats() const { return regions.header()->stats; }
  // Live clients (slot order); call with mu held.
  std::vector<std::shared_ptr<Client>> live_clients() const {
    std::vector<std::shared_ptr<Client>> out;
    for (const auto& c : slots) {
      if (c) out.push_back(c);
    }
    return out;
  }
  std::shared_ptr<Client> client_at(std::uint32_t slot) {
    std::lock_guard lock(mu);
    return slot < slots.size() ? slots[slot] : nullptr;
  }
};

// Counts `n` bad records and logs a warning at most once per second.
void count_bad_records(AgentContext& ctx, std::uint64_t n, const std::string& what);

// Counts `n` implausible values of `client` (on the client and agent-wide) and logs a warning
// naming it, at most once per second per client. Any thread.
void note_implausible(AgentContext& ctx, Client& client, std::uint64_t n, const std::string& what);

// Reads the client's drop counters and credits what is plausible (table mutex held; the
// housekeeping tick and retire call it).
void observe_drops(AgentContext& ctx, Client& client, std::uint64_t now_ns);

}  // namespace shmon::agent
