// SPDX-License-Identifier: Apache-2.0
#include "metrics_snapshot.hpp"

#include <mutex>

#include "context.hpp"
#include "directory.hpp"

namespace shmon::agent {

MetricsSnapshot take_snapshot(AgentContext& ctx, bool per_client) {
  MetricsSnapshot snap;
  AgentNumbers& n = snap.agent;
  std::vector<LiveClientView> live;
  Folded departed;
  {
    std::lock_guard lock(ctx.mu);
    admit_metrics(ctx);  // decide what was published since the last look
    departed = ctx.departed.totals();
    snap.export_owners = ctx.export_owners.owners();
    n.series_held = ctx.identities.size();
    n.series_max = ctx.identities.max_series();
    n.series_retired = ctx.identities.retired_total();
    const LiveTotals t = compute_totals(ctx);
    n.clients_connected = t.clients_connected;
    n.events_received = t.events_received;
    n.events_dropped = t.events_dropped;
    for (const auto& c : ctx.slots) {
      if (!c) continue;
      for (std::size_t k = 0; k < n.live_drops_by_cause.size(); ++k)
        n.live_drops_by_cause[k] += c->drop_credit[k].credited();
      const ClientStatsSnapshot s = clamped_stats(*c);
      n.lock_timeouts += s.lock_timeouts;
      n.done_timeouts += s.done_timeouts;
      n.label_sets_refused += s.label_sets_refused;
      n.fork_handoffs_missed += s.fork_handoffs_missed;
      n.lock_wait_total_ns += s.lock_wait_total_ns;
      for (std::size_t k = 0; k < kWaitHistBuckets; ++k) n.lock_wait_hist[k] += s.lock_wait_hist[k];
      // A region that lost pages is being dropped: reading it would fault the holes back in.
      if (c->region_lost.load(std::memory_order_relaxed)) continue;
      live.push_back({c, c->admitted});
    }
  }
  const AgentStats& s = ctx.stats();
  const auto rel = [](const std::atomic<std::uint64_t>& a) {
    return a.load(std::memory_order_relaxed);
  };
  n.clients_attached = rel(s.clients_total);
  n.clients_departed =
      n.clients_attached > n.clients_connected ? n.clients_attached - n.clients_connected : 0;
  n.clients_refused = rel(s.clients_refused);
  n.requests = rel(s.requests);
  n.request_errors = rel(s.request_errors);
  n.torn_requests = rel(s.torn_requests);
  n.bad_records = rel(s.bad_records);
  n.drain_batches = rel(s.drain_batches);
  n.lease_revocations = rel(s.lease_revocations);
  n.dead_owner_releases = rel(s.dead_owner_releases);
  n.lock_repairs = rel(s.lock_repairs);
  n.unattributed_interference = rel(s.unattributed_interference);
  n.metric_clashes = rel(ctx.hostile.metric_clashes);
  n.series_refused = rel(ctx.hostile.series_refused);
  for (std::size_t k = 0; k < n.series_refused_by.size(); ++k)
    n.series_refused_by[k] = rel(ctx.hostile.series_refused_by[k]);
  n.slot_waits = rel(s.slot_waits);
  n.folded_without_slot = rel(s.folded_without_slot);
  n.slot_waits_refused = rel(s.slot_waits_refused);
  n.pending_dropped = rel(s.pending_dropped);
  n.implausible_values = rel(ctx.hostile.implausible_values);
  n.regions_dropped = rel(ctx.hostile.regions_dropped);

  std::uint64_t bad = 0;  // kind or bounds clashes inside one client: already counted elsewhere
  snap.metrics = collect_metrics_unlocked(live, departed, bad, per_client);
  return snap;
}

}  // namespace shmon::agent
