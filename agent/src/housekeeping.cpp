// SPDX-License-Identifier: Apache-2.0
#include "housekeeping.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <climits>

#include "activation.hpp"
#include "directory.hpp"
#include "persistence.hpp"
#include "shmon/client_mutex.hpp"
#include "shmon/clock.hpp"
#include "shmon/event.hpp"
#include "shmon/futex.hpp"
#include "value_snapshots.hpp"

namespace shmon::agent {

void Housekeeper::tick() {
  const std::uint64_t now = monotonic_ns();
  ctx_.regions.header()->heartbeat_monotonic_ns.store(now, std::memory_order_release);
  check_lease(now);
  bool sampled = false;
  {
    std::lock_guard lock(ctx_.mu);
    for (const auto& c : ctx_.slots) {
      if (c) observe_drops(ctx_, *c, now);
    }
    admit_metrics(ctx_);               // names are claimed in the order the agent first sees them
    persist_resync_locked(ctx_, now);  // a store behind memory catches up (with backoff)
    if (now - last_sample_ns_ >= History::kPeriodMs * 1'000'000) {
      last_sample_ns_ = now;
      sample_history(now);
      sampled = true;
    }
    publish_directory(ctx_);
  }
  // Once a second, reading the cgroup's files outside the table mutex.
  if (const int change = ctx_.memory.check(now); change != 0) {
    std::lock_guard lock(ctx_.mu);
    // Under pressure the series table stops growing (new series are refused and counted as
    // series_refused); once relieved, the planned bound applies again.
    const std::size_t planned = ctx_.memory.planned_series();
    ctx_.identities.set_max_series(change > 0 ? std::min(planned, ctx_.identities.size())
                                              : planned);
  }
  if (sampled) {
    // Once a second, outside the lock (the send could wait on systemd's queue).
    const AgentStats& s = ctx_.stats();
    notify_status(s.clients_connected.load(std::memory_order_relaxed),
                  s.events_per_s_milli.load(std::memory_order_relaxed));
  }
  persist_stats(ctx_);
  persist_maintenance(ctx_, now, /*force=*/false);
}

void Housekeeper::check_lease(std::uint64_t now) {
  MailboxHeader* mailbox = ctx_.regions.mailbox_header();
  ClientMutex mutex(&mailbox->lock);
  const std::uint32_t owner = mutex.owner();
  AgentStats& stats = ctx_.stats();
  if (owner != watched_owner_) {
    watched_owner_ = owner;
    owner_since_ = now;
    unclaimed_ticks_ = 0;
  }
  if (owner == 0) {
    stats.lock_holder_since_ns.store(0, std::memory_order_relaxed);
    return;
  }
  // A request may be waiting whose Exec the service thread missed (a vandal can consume Exec or
  // hide the waiter flag): have it look again. It answers each request at most once. set() for a
  // spinning service thread; the plain wake for a sleeping one, whatever the word now holds.
  AutoResetEvent(&mailbox->exec).set();
  futex_wake(&mailbox->exec, INT_MAX);

  // Who holds it? Only the current token of a client that may hold it (serving, or finishing
  // its bye call) is a real holder, and only while that client's own data region (which no other
  // client can write) claims it. Releasing a leaver's token here would hand the mailbox to the
  // next client while the leaver still waits for its answer: the next request overwrites that
  // answer, and the leaver waits out its Done timeout (the mass-detach stall, BENCHMARKS.md).
  auto holder = ctx_.client_at(owner_slot(owner));
  const bool token_live = holder && holder->owner_token == owner && holder->may_hold_mutex();
  if (!token_live) {
    release_forged(owner, "a token no attached client owns");
    return;
  }
  const bool claimed = holder->header().mutex_claim.load(std::memory_order_acquire) == owner;
  if (!claimed) {
    // The holder claims right after its CAS and unclaims right before releasing: unclaimed on
    // two consecutive ticks means someone else wrote its token into the lock word.
    if (++unclaimed_ticks_ >= 2) {
      release_forged(owner, "the token of " + holder->name + " (pid " +
                                std::to_string(holder->pid) + "), which it does not hold");
    }
    return;
  }
  unclaimed_ticks_ = 0;
  // The same token seen on consecutive ticks may be a busy client locking once per call: a
  // request answered since then proves it released and re-acquired (or at least progresses).
  owner_since_ = std::max(owner_since_, holder->last_answered_ns.load(std::memory_order_acquire));
  // While the service thread executes its request the holder waits for us: a slow answer (a big
  // page, a slow build) must not cost an honest client its session. The clock restarts then.
  if (ctx_.serving_request.load(std::memory_order_acquire)) owner_since_ = now;
  // So must a request the holder has posted and we have not answered yet: on a starved machine
  // the service thread may take longer than a lease to wake, and that is not the holder's fault.
  if (holder_awaits_answer(owner)) owner_since_ = now;
  stats.lock_holder_since_ns.store(owner_since_, std::memory_order_relaxed);
  // The service thread may stamp last_answered_ns after `now` was read: never let that underflow.
  const std::uint64_t held_ns = now > owner_since_ ? now - owner_since_ : 0;
  if (held_ns <= std::uint64_t(ctx_.options.lease_ms) * 1'000'000) return;
  // Read before the release: the holder clears it before it releases, so a value seen while the
  // word still held its token was the holder's state then.
  const std::uint64_t awaiting = holder->header().awaiting_seq.load(std::memory_order_acquire);
  if (!mutex.force_release(owner)) return;  // released meanwhile
  watched_owner_ = 0;
  stats.lock_holder_since_ns.store(0, std::memory_order_relaxed);
  if (awaiting != 0) {
    // Its own region (which no other client can write) says it still waits for the answer to a
    // request: the answer was hidden or garbled, or the request never reached us intact, through
    // the shared mailbox that every client writes. That is no evidence against the holder, and
    // none against anybody else: release the mutex so the others go on, keep its session.
    unattributed(*holder, awaiting, held_ns);
    return;
  }
  stats.lease_revocations.fetch_add(1, std::memory_order_relaxed);
  // The holder itself claims the lock and overstayed: it is the offender, and only it loses its
  // session (its token stops being valid, so a re-take is released at the next tick).
  // A leaver that overstays is revoked too: its token must stop being valid, or it could re-take
  // the mutex for another lease again and again.
  holder->state.store(std::uint32_t(ClientState::kRevoked), std::memory_order_release);
  spdlog::warn(
      "revoked client mutex from {} (pid {}, slot {}) after {} ms: it held it past the "
      "lease",
      holder->name, holder->pid, holder->slot, held_ns / 1'000'000);
}

void Housekeeper::unattributed(const Client& holder, std::uint64_t awaiting,
                               std::uint64_t held_ns) {
  ctx_.stats().unattributed_interference.fetch_add(1, std::memory_order_relaxed);
  const std::uint64_t now = monotonic_ns();
  if (now - last_unattributed_log_ns_ < 1'000'000'000) return;  // at most once a second
  last_unattributed_log_ns_ = now;
  spdlog::warn(
      "could not attribute interference: the call of {} (pid {}, slot {}) still waited for the "
      "answer to its request {} after {} ms; another client may have hidden or garbled it in the "
      "shared mailbox; released the client mutex, every session kept",
      holder.name, holder.pid, holder.slot, awaiting, held_ns / 1'000'000);
}

bool Housekeeper::holder_awaits_answer(std::uint32_t owner) const {
  const RequestHeader* req = ctx_.regions.request();
  const std::uint64_t posted = req->seq.load(std::memory_order_acquire);
  // Answered by our own record, not by the shared response's seq: a client that scribbles on
  // the response must not stop the clock for good (a hog could hide behind that forever).
  if (posted == 0 || posted == ctx_.answered_request_seq.load(std::memory_order_acquire)) {
    return false;
  }
  // Any client can write the request, so this only ever delays a revocation, never causes one:
  // a posted request is answered within a tick (Exec is set above), after which the clock runs.
  return req->owner_token == owner;
}

void Housekeeper::release_forged(std::uint32_t owner, const std::string& what) {
  ClientMutex mutex(&ctx_.regions.mailbox_header()->lock);
  if (!mutex.force_release(owner)) return;  // changed meanwhile
  watched_owner_ = 0;
  unclaimed_ticks_ = 0;
  ctx_.stats().lock_repairs.fetch_add(1, std::memory_order_relaxed);
  ctx_.stats().lock_holder_since_ns.store(0, std::memory_order_relaxed);
  // A forged word cannot be attributed (every client can write the mailbox): say so, at most
  // once a second, and revoke nobody.
  const std::uint64_t now = monotonic_ns();
  if (now - last_repair_log_ns_ >= 1'000'000'000) {
    last_repair_log_ns_ = now;
    spdlog::warn(
        "released the client mutex: the lock word held {} (token {:#x}); written by an "
        "unidentifiable client through the shared mailbox; nobody revoked",
        what, owner);
  }
}

void Housekeeper::prime_windows() {
  std::lock_guard lock(ctx_.mu);
  std::uint64_t ignored = 0;
  const double t = double(realtime_ns()) / 1e9;
  for (const auto& [name, m] :
       collect_metrics(ctx_.live_clients(), ctx_.departed, ignored, admitter(ctx_))) {
    if (m.kind == MetricKind::kHistogram) ctx_.bucket_history.add(name, m.hist, t);
  }
  ctx_.bucket_history.end_pass();
}

void Housekeeper::sample_history(std::uint64_t now) {
  const double t = double(realtime_ns()) / 1e9;
  std::vector<HistoryPoint> points;
  auto add = [&](const std::string& name, const char* kind, double v) {
    ctx_.history.add(name, kind, t, v);
    if (ctx_.store) points.push_back({name, kind, t, v});
  };
  std::uint64_t ignored = 0;
  // Big clients from their snapshots: this runs every second under the table mutex.
  for (const auto& [name, m] :
       collect_metrics(ctx_.live_clients(), ctx_.departed, ignored, admitter(ctx_),
                       [](Client& c) { return bounded_values(c); })) {
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
        ctx_.bucket_history.add(name, m.hist, t);
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
