// SPDX-License-Identifier: Apache-2.0
// Agent drain rate on one thread: a producer-filled data region (written here the way the probe
// writes it: descriptor, records, then head with release), then the agent's own
// drain_client_locked() over it. Only the drain is timed (manual time).
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstring>
#include <memory>

#include "context.hpp"
#include "drain.hpp"
#include "regions.hpp"
#include "shmon/clock.hpp"
#include "shmon/memfd.hpp"

namespace shmon::bench {
namespace {

using agent::AgentContext;
using agent::Client;

// A one-client agent context over a data region with one event type and `shards` rings.
struct DrainFixture {
  AgentContext ctx;
  std::shared_ptr<Client> client = std::make_shared<Client>();
  bool ok = false;

  DrainFixture(std::uint32_t shards, std::uint32_t ring_capacity) {
    auto regions = agent::create_regions({"bench-drain", 4, 500, 1});
    if (!regions) return;
    ctx.regions = std::move(*regions);
    ctx.slots.resize(ctx.regions.capacity);
    DataParams params;
    params.shard_count = shards;
    params.ring_capacity = ring_capacity;
    auto geo = compute_data_geometry(params);
    if (!geo) return;
    auto fd = create_region("bench-data", geo->region_size);
    if (!fd) return;
    auto map = Mapping::map(fd->get(), geo->region_size, true);
    if (!map) return;
    auto* h = map->as<DataHeader>();
    init_data_header(*h, *geo, ClientKind::kApp, ::getpid(), 42, "bench-producer");
    auto* d = map->as<MetricDescriptor>(geo->descriptors_offset);
    std::strcpy(d->name, "bench.event");
    d->kind = std::uint32_t(MetricKind::kEvent);
    h->metric_count.store(1, std::memory_order_release);
    client->slot = 0;
    client->name = "bench-producer";
    client->pid = ::getpid();
    client->data_fd = std::move(*fd);
    client->data = std::move(*map);
    client->geo = *geo;
    client->init_tails();
    client->state.store(std::uint32_t(ClientState::kLive));
    ctx.slots[0] = client;
    ok = true;
  }

  // Producer side: fills every ring completely with valid records.
  std::uint64_t fill() {
    std::uint64_t total = 0;
    const std::uint32_t cap = client->geo.params.ring_capacity;
    for (std::uint32_t s = 0; s < client->geo.params.shard_count; ++s) {
      RingHeader* ring = client->ring(s);
      auto* records = const_cast<EventRecord*>(client->ring_records(s));
      const std::uint64_t head = ring->head.load(std::memory_order_relaxed);
      const std::uint64_t room = cap - (head - ring->tail.load(std::memory_order_acquire));
      for (std::uint64_t i = 0; i < room; ++i) {
        EventRecord& r = records[(head + i) & (cap - 1)];
        r.timestamp_ns = head + i;
        r.id = 0;
        r.level = std::uint16_t(EventLevel::kInfo);
        r.payload_kind = std::uint8_t(PayloadKind::kText);
        r.payload_size = 12;
        std::memcpy(r.payload, "request done", 12);
      }
      ring->head.store(head + room, std::memory_order_release);
      total += room;
    }
    return total;
  }
};

void BM_AgentDrain(benchmark::State& state) {
  DrainFixture f(std::uint32_t(state.range(0)), std::uint32_t(state.range(1)));
  if (!f.ok) {
    state.SkipWithError("cannot build the drain fixture");
    return;
  }
  std::uint64_t drained = 0;
  double seconds = 0;
  for (auto _ : state) {
    const std::uint64_t filled = f.fill();
    const auto t0 = std::chrono::steady_clock::now();
    std::lock_guard lock(f.client->drain_mu);
    const auto count = agent::drain_client_locked(f.ctx, *f.client);
    const auto t1 = std::chrono::steady_clock::now();
    const double s = std::chrono::duration<double>(t1 - t0).count();
    state.SetIterationTime(s);
    seconds += s;
    if (count.records != filled) {
      state.SkipWithError("drain did not consume every record");
      return;
    }
    drained += count.records;
  }
  state.counters["events_per_s"] = seconds > 0 ? double(drained) / seconds : 0;
  state.counters["ns_per_event"] = drained > 0 ? seconds * 1e9 / double(drained) : 0;
}
// {shards, ring capacity}: one full default-sized ring, and 8 shards of 8192 records.
BENCHMARK(BM_AgentDrain)->Args({1, 2048})->Args({8, 8192})->UseManualTime();

}  // namespace
}  // namespace shmon::bench

BENCHMARK_MAIN();
