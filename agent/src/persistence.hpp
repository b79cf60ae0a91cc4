// SPDX-License-Identifier: Apache-2.0
// What the agent writes to its state store, and when (docs/DESIGN.md, "State store"):
//   * a departure (fold) and a re-attach (unfold): in the same table-mutex section that changes
//     the in-memory totals, so no query sees totals the store does not hold;
//   * a snapshot of a live app client: at attach, before a flush or submit is answered, and
//     every second for all of them;
//   * event sources: by the event log, before a record naming them is published;
//   * history points: every second; statistics: at the 50 ms tick when they changed;
//   * sync (power-cut durability): every --state-sync-ms and at a clean stop.
// Every function is a no-op without a store.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "context.hpp"

namespace shmon::agent {

// Opens the store (unless --no-state) and restores totals, tombstones, the event log and its
// sources, history and statistics; folds every client that was live when the previous agent
// died from its snapshot (tombstoned by incarnation, so its re-attach replaces the snapshot with
// its region's values).
// A store that fails for its storage (full disk, I/O error) is retried with backoff for
// --state-wait-ms, `pause(ms)` between attempts (false: a stop signal came, give up); nothing is
// moved aside meanwhile. Returns -1 to go on, or the exit code to leave with (kStateUnusable,
// kStateUnavailable, kOk after a stop signal) with ctx.state_error saying why in one line.
// REQUIRES: before any client attaches or thread starts.
int open_and_restore_state(AgentContext& ctx, const std::function<bool(std::uint64_t)>& pause);

// After init_tails() of a re-attaching client: ring positions the dead agent's journal proves
// drained (events already in the log) become its tails. Main thread.
void adopt_drained_tails(AgentContext& ctx, Client& c);

// How values are read for a snapshot: exactly (the client's cells now), or within the per-client
// bound of value_snapshots.hpp (a big client's latest value snapshot; skipped when that one was
// written already).
enum class Reading { kExact, kBounded };
// Snapshots of `clients` (app clients not retired). REQUIRES: ctx.mu held.
void persist_live_locked(AgentContext& ctx, const std::vector<std::shared_ptr<Client>>& clients,
                         Reading how);
// False when the store could not write the snapshot (the caller answers "not durable").
bool persist_client_locked(AgentContext& ctx, Client& client);
// After ctx.departed.fold() of `c`. REQUIRES: ctx.mu held.
void persist_departure_locked(AgentContext& ctx, const Client& c,
                              std::optional<std::uint64_t> evicted);
// A client took its slot: its snapshot in and, when ctx.departed.unfold() just removed its
// tombstone (`unfolded`), the tombstone out with the new totals, in one transaction.
// REQUIRES: ctx.mu held.
void persist_attach_locked(AgentContext& ctx, Client& client, bool unfolded);

// Field 22 of /proc/PID/stat: the process start time in clock ticks after boot (0 if unknown).
std::uint64_t process_start_time(pid_t pid);

// Housekeeping (main thread): statistics when changed; every second the live snapshots and
// the history points just sampled (ctx.mu held by the caller for these two).
void persist_stats(AgentContext& ctx);
void persist_history_locked(AgentContext& ctx, const std::vector<HistoryPoint>& points,
                            double now_s);
// While the store is behind (a write failed): rewrites everything memory holds (totals,
// tombstones, live snapshots), with backoff. REQUIRES: ctx.mu held.
void persist_resync_locked(AgentContext& ctx, std::uint64_t now_ns);
// Periodic: sync and source pruning when due; `force` at a clean stop.
void persist_maintenance(AgentContext& ctx, std::uint64_t now_ns, bool force);

}  // namespace shmon::agent
