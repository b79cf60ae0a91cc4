// SPDX-License-Identifier: Apache-2.0
#include "drain.hpp"

#include <sched.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <climits>
#include <cstring>

#include "shmon/clock.hpp"
#include "shmon/futex.hpp"

namespace shmon::agent {

namespace {

// Records per tail commit: large enough to amortise the commit and the producer_waiting check,
// small enough that a waiting producer gets room back within a few microseconds.
constexpr std::uint64_t kBatch = 512;
constexpr std::uint64_t kSpinAfterWorkNs = 100'000;  // keep polling this long after work
constexpr std::uint64_t kChasePauseNs = 5'000;       // after a short pass (see run())

// Yields rather than spins: on 2 cores a busy drain must not keep a service call or a producer
// it shares a core with off the CPU.
void pause_until(std::uint64_t deadline_ns) {
  while (monotonic_ns() < deadline_ns) sched_yield();
}

}  // namespace

std::vector<std::uint64_t> read_heads(const Client& client) {
  std::vector<std::uint64_t> heads(client.geo.params.shard_count);
  for (std::uint32_t s = 0; s < heads.size(); ++s) {
    heads[s] = client.ring(s)->head.load(std::memory_order_acquire);
  }
  return heads;
}

const EventSourcePtr& event_source_locked(Client& c) {
  // Read after a ring head (acquire): every id a record up to that head names is registered.
  const std::uint32_t count = c.header().metric_count.load(std::memory_order_acquire);
  if (count == c.drain_metric_count && c.event_source) return c.event_source;
  c.refresh_descriptors();
  auto src = std::make_shared<EventSource>();
  src->id = next_event_source_id();
  src->slot = c.slot;
  src->pid = c.pid;
  src->client = c.name;
  for (const Descriptor& d : c.descriptors_copy()) {
    src->names.push_back(d.valid ? d.name : std::string());
    src->valid.push_back(d.valid ? 1 : 0);
  }
  src->valid.push_back(0);  // the guard entry valid_record() indexes for out-of-range ids
  c.event_source = std::move(src);
  c.drain_metric_count = count;
  return c.event_source;
}

DrainCount drain_client_locked(AgentContext& ctx, Client& c,
                               const std::vector<std::uint64_t>& limits) {
  DrainCount count;
  const std::uint32_t cap = c.geo.params.ring_capacity;
  std::uint64_t bad = 0;
  for (std::uint32_t s = 0; s < c.geo.params.shard_count; ++s) {
    RingHeader* ring = c.ring(s);
    std::uint64_t tail = c.tails[s].load(std::memory_order_relaxed);
    const std::uint64_t head =
        limits.empty() ? ring->head.load(std::memory_order_acquire) : limits[s];
    if (head == tail) continue;
    if (head - tail > cap) {
      ++bad;  // a producer cannot be more than one ring ahead: its head is corrupt
      note_implausible(ctx, c, 1, "a ring head moved further than the ring holds");
      c.tails[s].store(head, std::memory_order_relaxed);
      ring->tail.store(head, std::memory_order_release);
      continue;
    }
    const EventSourcePtr& src = event_source_locked(c);
    const EventRecord* records = c.ring_records(s);
    while (tail != head) {
      const std::uint64_t n = std::min<std::uint64_t>(head - tail, kBatch);
      bad += ctx.events.append_from_ring(records, cap - 1, tail, n, src,
                                         DrainMark{c.slot, s, c.incarnation, tail + n});
      tail += n;
      c.tails[s].store(tail, std::memory_order_relaxed);
      ring->tail.store(tail, std::memory_order_release);
      // seq_cst RMW after the tail store: pairs with the producer's store of producer_waiting
      // before it re-reads the tail, so one of us sees the other.
      if (ring->producer_waiting.exchange(0, std::memory_order_seq_cst) != 0) {
        ring->tail_wake.fetch_add(1, std::memory_order_seq_cst);
        futex_wake(&ring->tail_wake, INT_MAX);
      }
      c.received_credit.fetch_add(n, std::memory_order_relaxed);
      count.records += n;
      ++count.batches;
    }
  }
  if (count.records > 0) {
    c.last_seen_ns.store(monotonic_ns(), std::memory_order_relaxed);
    ctx.stats().drain_batches.fetch_add(count.batches, std::memory_order_relaxed);
  }
  if (bad > 0) count_bad_records(ctx, bad, "invalid event records from client " + c.name);
  return count;
}

void DrainThread::start() {
  thread_ = std::thread([this] { run(); });
}

void DrainThread::wake() {
  MailboxHeader* m = ctx_.regions.mailbox_header();
  m->doorbell.fetch_add(1, std::memory_order_seq_cst);
  futex_wake(&m->doorbell, INT_MAX);
}

void DrainThread::join() {
  if (thread_.joinable()) thread_.join();
}

std::uint64_t DrainThread::pass() {
  clients_.clear();
  {
    std::lock_guard lock(ctx_.mu);
    for (const auto& c : ctx_.slots) {
      if (c) clients_.push_back(c);
    }
  }
  std::uint64_t records = 0;
  for (const auto& c : clients_) {
    std::lock_guard lock(c->drain_mu);
    if (c->retired.load(std::memory_order_acquire)) continue;
    records += drain_client_locked(ctx_, *c).records;
  }
  return records;
}

void DrainThread::run() {
  try {
    MailboxHeader* m = ctx_.regions.mailbox_header();
    std::uint64_t sleep_ms = 10;
    std::uint64_t last_work = 0;
    while (!ctx_.stop.load(std::memory_order_acquire)) {
      if (const std::uint64_t got = pass(); got > 0) {
        sleep_ms = 10;
        last_work = monotonic_ns();
        // A short pass means we are right behind a producer: every pass reads its head line (and
        // the records it just wrote), which stalls its next stores ~100 ns. Let a batch build up
        // first, without touching shared memory (a ring of 2048 fills in >= 20 us).
        if (got < kBatch) pause_until(last_work + kChasePauseNs);
        continue;
      }
      // Right after work, poll a little longer (yielding the core): producers mid-burst refill
      // within microseconds, and a sleep plus doorbell costs them a system call and us 15-40 us.
      if (monotonic_ns() - last_work < kSpinAfterWorkNs) {
        sched_yield();
        continue;
      }
      const std::uint32_t bell = m->doorbell.load(std::memory_order_seq_cst);
      m->drain_sleeping.store(1, std::memory_order_seq_cst);
      // Pending work that a sleeping pass must not miss: any head ahead of its tail.
      bool pending = false;
      {
        std::lock_guard lock(ctx_.mu);
        for (const auto& c : ctx_.slots) {
          if (!c || c->retired.load(std::memory_order_acquire)) continue;
          for (std::uint32_t s = 0; s < c->geo.params.shard_count && !pending; ++s) {
            pending = c->ring(s)->head.load(std::memory_order_acquire) !=
                      c->tails[s].load(std::memory_order_relaxed);
          }
        }
      }
      if (!pending && !ctx_.stop.load(std::memory_order_acquire)) {
        futex_wait_until(&m->doorbell, bell, monotonic_ns() + sleep_ms * 1'000'000);
        sleep_ms = std::min<std::uint64_t>(sleep_ms * 2, 100);
      }
      m->drain_sleeping.store(0, std::memory_order_relaxed);
    }
  } catch (const std::exception& e) {
    spdlog::critical("drain thread failed: {}", e.what());
    std::_Exit(1);
  }
}

}  // namespace shmon::agent
