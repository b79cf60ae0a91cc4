#include "drain.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <climits>
#include <cstring>

#include "shmon/clock.hpp"
#include "shmon/futex.hpp"

namespace shmon::agent {

namespace {

constexpr std::uint64_t kBatch = 256;

bool valid_record(const EventRecord& r, std::uint32_t descriptor_count) {
  return r.id < descriptor_count && r.level <= std::uint16_t(EventLevel::kFatal) &&
         r.payload_size <= kEventPayloadCapacity &&
         r.payload_kind <= std::uint8_t(PayloadKind::kBytes);
}

}  // namespace

std::vector<std::uint64_t> read_heads(const Client& client) {
  std::vector<std::uint64_t> heads(client.geo.params.shard_count);
  for (std::uint32_t s = 0; s < heads.size(); ++s) {
    heads[s] = client.ring(s)->head.load(std::memory_order_acquire);
  }
  return heads;
}

DrainCount drain_client_locked(AgentContext& ctx, Client& c,
                               const std::vector<std::uint64_t>& limits) {
  DrainCount count;
  const std::uint32_t cap = c.geo.params.ring_capacity;
  c.refresh_descriptors();
  const auto descs = c.descriptors_copy();
  std::vector<EventRecord> batch(kBatch);
  std::vector<LoggedEvent> logged;
  std::uint64_t bad = 0;
  for (std::uint32_t s = 0; s < c.geo.params.shard_count; ++s) {
    RingHeader* ring = c.ring(s);
    const EventRecord* records = c.ring_records(s);
    std::uint64_t tail = c.tails[s].load(std::memory_order_relaxed);
    const std::uint64_t head =
        limits.empty() ? ring->head.load(std::memory_order_acquire) : limits[s];
    if (head == tail) continue;
    if (head - tail > cap) {
      ++bad;  // a producer cannot be more than one ring ahead: its head is corrupt
      c.tails[s].store(head, std::memory_order_relaxed);
      ring->tail.store(head, std::memory_order_release);
      continue;
    }
    while (tail != head) {
      const std::uint64_t n = std::min<std::uint64_t>(head - tail, kBatch);
      for (std::uint64_t i = 0; i < n; ++i) {
        std::memcpy(&batch[i], &records[(tail + i) & (cap - 1)], sizeof(EventRecord));
      }
      logged.clear();
      for (std::uint64_t i = 0; i < n; ++i) {
        const EventRecord& r = batch[i];
        if (!valid_record(r, std::uint32_t(descs.size())) || !descs[r.id].valid) {
          ++bad;
          continue;
        }
        LoggedEvent e{};
        e.ts_ns = r.timestamp_ns;
        e.slot = c.slot;
        e.pid = c.pid;
        e.level = r.level;
        e.payload_kind = r.payload_kind;
        e.payload_size = std::uint8_t(r.payload_size);
        std::memcpy(e.payload, r.payload, r.payload_size);
        std::strncpy(e.client, c.name.c_str(), sizeof(e.client) - 1);
        std::strncpy(e.name, descs[r.id].name.c_str(), sizeof(e.name) - 1);
        logged.push_back(e);
      }
      ctx.events.append(logged);
      tail += n;
      c.tails[s].store(tail, std::memory_order_relaxed);
      ring->tail.store(tail, std::memory_order_release);
      if (ring->producer_waiting.exchange(0, std::memory_order_seq_cst) != 0) {
        ring->tail_wake.fetch_add(1, std::memory_order_seq_cst);
        futex_wake(&ring->tail_wake, INT_MAX);
      }
      count.records += n;
      ++count.batches;
    }
  }
  if (count.records > 0) c.last_seen_ns.store(monotonic_ns(), std::memory_order_relaxed);
  ctx.stats().drain_batches.fetch_add(count.batches, std::memory_order_relaxed);
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

bool DrainThread::pass() {
  std::vector<std::shared_ptr<Client>> clients;
  {
    std::lock_guard lock(ctx_.mu);
    clients = ctx_.live_clients();
  }
  bool found = false;
  for (const auto& c : clients) {
    std::lock_guard lock(c->drain_mu);
    if (c->retired.load(std::memory_order_acquire)) continue;
    found |= drain_client_locked(ctx_, *c).records > 0;
  }
  // Pending work that a sleeping pass must not miss: any head ahead of its tail.
  return found;
}

void DrainThread::run() {
  try {
    MailboxHeader* m = ctx_.regions.mailbox_header();
    std::uint64_t sleep_ms = 10;
    while (!ctx_.stop.load(std::memory_order_acquire)) {
      if (pass()) {
        sleep_ms = 10;
        continue;
      }
      const std::uint32_t bell = m->doorbell.load(std::memory_order_seq_cst);
      m->drain_sleeping.store(1, std::memory_order_seq_cst);
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
