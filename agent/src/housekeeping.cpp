#include "housekeeping.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "directory.hpp"
#include "persistence.hpp"
#include "shmon/client_mutex.hpp"
#include "shmon/clock.hpp"

namespace shmon::agent {

void Housekeeper::tick() {
  const std::uint64_t now = monotonic_ns();
  ctx_.regions.header()->heartbeat_monotonic_ns.store(now, std::memory_order_release);
  check_lease(now);
  {
    std::lock_guard lock(ctx_.mu);
    for (const auto& c : ctx_.slots) {
      if (c) observe_drops(ctx_, *c, now);
    }
    admit_metrics(ctx_);  // names are claimed in the order the agent first sees them
    if (now - last_sample_ns_ >= History::kPeriodMs * 1'000'000) {
      last_sample_ns_ = now;
      sample_history(now);
    }
    publish_directory(ctx_);
  }
  persist_stats(ctx_);
  persist_maintenance(ctx_, now, /*force=*/false);
}

void Housekeeper::check_lease(std::uint64_t now) {
  ClientMutex mutex(&ctx_.regions.mailbox_header()->lock);
  const std::uint32_t owner = mutex.owner();
  AgentStats& stats = ctx_.stats();
  if (owner != watched_owner_) {
    watched_owner_ = owner;
    owner_since_ = now;
  }
  // The same token seen on consecutive ticks may be a busy client locking once per call: a
  // request answered since then proves it released and re-acquired (or at least progresses).
  auto holder = owner != 0 ? ctx_.client_at(owner_slot(owner)) : nullptr;
  if (holder && holder->owner_token == owner) {
    owner_since_ = std::max(owner_since_, holder->last_answered_ns.load(std::memory_order_acquire));
  }
  stats.lock_holder_since_ns.store(owner != 0 ? owner_since_ : 0, std::memory_order_relaxed);
  // The service thread may stamp last_answered_ns after `now` was read: never let that underflow.
  const std::uint64_t held_ns = now > owner_since_ ? now - owner_since_ : 0;
  if (owner == 0 || held_ns <= std::uint64_t(ctx_.options.lease_ms) * 1'000'000) return;
  if (!mutex.force_release(owner)) return;  // released meanwhile
  const std::uint64_t held_ms = held_ns / 1'000'000;
  watched_owner_ = 0;
  stats.lock_holder_since_ns.store(0, std::memory_order_relaxed);
  stats.lease_revocations.fetch_add(1, std::memory_order_relaxed);
  if (holder && holder->owner_token == owner) {
    holder->state.store(std::uint32_t(ClientState::kRevoked), std::memory_order_release);
    spdlog::warn("revoked client mutex from {} (pid {}) after {} ms", holder->name, holder->pid,
                 held_ms);
  } else {
    spdlog::warn("revoked client mutex from unknown token {:#x} after {} ms", owner, held_ms);
  }
}

void Housekeeper::sample_history(std::uint64_t now) {
  const double t = double(realtime_ns()) / 1e9;
  std::vector<HistoryPoint> points;
  auto add = [&](const std::string& name, const char* kind, double v) {
    ctx_.history.add(name, kind, t, v);
    if (ctx_.store) points.push_back({name, kind, t, v});
  };
  std::uint64_t ignored = 0;
  for (const auto& [name, m] :
       collect_metrics(ctx_.live_clients(), ctx_.departed, ignored, admitter(ctx_))) {
    double v = 0;
    switch (m.kind) {
      case MetricKind::kCounter:
      case MetricKind::kEvent:
        v = double(m.total);
        break;
      case MetricKind::kGauge:
        v = m.gauge_total;
        break;
      case MetricKind::kHistogram:
        v = double(m.hist.count);
        break;
    }
    add(name, to_string(m.kind), v);
  }

  const AgentStats& s = ctx_.stats();
  const LiveTotals totals = compute_totals(ctx_);
  std::uint64_t acquired = 0, timeouts = 0;
  std::uint64_t hist[kWaitHistBuckets] = {};
  for (const auto& c : ctx_.slots) {
    if (!c) continue;
    const ClientStatsSnapshot cs = clamped_stats(*c);
    acquired += cs.lock_acquired;
    timeouts += cs.lock_timeouts;
    for (std::size_t i = 0; i < kWaitHistBuckets; ++i) hist[i] += cs.lock_wait_hist[i];

    // Per-client rates from the previous second's values.
    const std::uint64_t req = c->requests.load(std::memory_order_relaxed);
    const std::uint64_t ev = c->tail_sum();
    if (c->rate_prev_ns != 0 && now > c->rate_prev_ns) {
      const double dt = double(now - c->rate_prev_ns) / 1e9;
      c->requests_per_s = double(req - c->rate_prev_requests) / dt;
      c->events_per_s = double(ev - c->rate_prev_events) / dt;
    }
    c->rate_prev_ns = now;
    c->rate_prev_requests = req;
    c->rate_prev_events = ev;
  }
  add("agent.requests", "counter", double(s.requests.load(std::memory_order_relaxed)));
  add("agent.events_received", "counter", double(totals.events_received));
  add("agent.events_dropped", "counter", double(totals.events_dropped));
  add("agent.lock_acquired", "counter", double(acquired));
  add("agent.lock_timeouts", "counter", double(timeouts));
  add("agent.lock_wait_p99_ns", "gauge", wait_quantile(hist, 0.99));
  add("agent.clients_connected", "gauge", double(totals.clients_connected));
  persist_history_locked(ctx_, points, t);  // also refreshes every live client's snapshot
}

}  // namespace shmon::agent
