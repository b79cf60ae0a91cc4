// SPDX-License-Identifier: Apache-2.0
#include "directory.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>

#include "shmon/client_mutex.hpp"
#include "shmon/clock.hpp"
#include "shmon/names.hpp"
#include "shmon/wait_histogram.hpp"

namespace shmon::agent {

namespace {
constexpr std::uint64_t kBogus = std::uint64_t(1) << 62;

// A rate as published in the directory: per second x 1000, saturated.
std::uint64_t milli(double rate) {
  return rate > 0 ? std::uint64_t(std::min(rate * 1000.0, double(kBogus))) : 0;
}
}  // namespace

ClientStatsSnapshot clamped_stats(const Client& client) {
  ClientStatsSnapshot s = snapshot(client.header().stats);
  auto* words = reinterpret_cast<std::uint64_t*>(&s);
  for (std::size_t i = 0; i < sizeof(s) / sizeof(std::uint64_t); ++i) {
    if (words[i] > kBogus) words[i] = kBogus;
  }
  return s;
}

LiveTotals compute_totals(const AgentContext& ctx) {
  LiveTotals t;
  for (const auto& c : ctx.slots) {
    if (!c) continue;
    ++t.clients_connected;
    t.events_received += c->received_credit.load(std::memory_order_relaxed);
    t.events_dropped += c->credited_drops();
  }
  t.events_received += ctx.departed.totals().events_received;
  t.events_dropped += ctx.departed.totals().drops;
  return t;
}

double wait_quantile(const std::uint64_t* hist, double p) {
  return wait_percentile_ns(std::span(hist, kWaitHistBuckets), p);
}

void publish_directory(AgentContext& ctx) {
  ControlHeader* h = ctx.regions.header();
  DirectoryEntry* dir = ctx.regions.directory();
  const std::uint32_t owner = ClientMutex(&ctx.regions.mailbox_header()->lock).owner();
  const std::uint64_t holder_since = h->stats.lock_holder_since_ns.load(std::memory_order_relaxed);
  const std::uint64_t now = monotonic_ns();

  // Odd: writing. The RMW (acq_rel) keeps the entry writes below from moving above it.
  h->directory_seq.fetch_add(1, std::memory_order_acq_rel);
  for (std::uint32_t i = 0; i < ctx.regions.capacity; ++i) {
    DirectoryEntry& e = dir[i];
    const auto& c = ctx.slots[i];
    if (!c) {
      if (e.state == std::uint32_t(ClientState::kFree)) continue;  // already cleared
      std::memset(&e, 0, sizeof(e));
      e.slot = i;
      e.state = std::uint32_t(ClientState::kFree);
      continue;
    }
    e.state = std::uint32_t(c->current_state());
    e.kind = std::uint32_t(c->kind);
    e.pid = c->pid;
    e.slot = i;
    e.incarnation = c->incarnation;
    e.attached_realtime_ns = c->attached_realtime_ns;
    e.last_seen_monotonic_ns = c->last_seen_ns.load(std::memory_order_relaxed);
    write_fixed_name(e.name, sizeof(e.name), c->name);
    e.requests = c->requests.load(std::memory_order_relaxed);
    e.request_errors = c->request_errors.load(std::memory_order_relaxed);
    e.events_written = c->head_sum();
    e.events_received = c->tail_sum();
    e.metric_count = c->descriptor_count();
    e.data_region_size = c->geo.region_size;
    e.lock_held_ns = (owner == c->owner_token && holder_since != 0 && now > holder_since)
                         ? now - holder_since
                         : 0;
    e.requests_per_s_milli = milli(c->requests_per_s);
    e.events_per_s_milli = milli(c->events_per_s);
    e.stats = clamped_stats(*c);
  }
  h->directory_seq.fetch_add(1, std::memory_order_release);  // even: consistent

  const LiveTotals t = compute_totals(ctx);
  AgentStats& s = h->stats;
  s.events_received.store(t.events_received, std::memory_order_relaxed);
  s.events_dropped.store(t.events_dropped, std::memory_order_relaxed);
  s.clients_connected.store(t.clients_connected, std::memory_order_relaxed);
  s.requests_per_s_milli.store(milli(ctx.history.rate("agent.requests")),
                               std::memory_order_relaxed);
  s.events_per_s_milli.store(milli(ctx.history.rate("agent.events_received")),
                             std::memory_order_relaxed);
}

}  // namespace shmon::agent
