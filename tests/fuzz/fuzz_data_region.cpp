// SPDX-License-Identifier: Apache-2.0
// (d) The agent reading a hostile data region: a validated geometry (small parameters taken from
// the input), then region contents the client controls entirely: ring positions, descriptors,
// histogram bounds, value cells, histogram cells and its own statistics. The agent must read
// them without touching memory outside the region and without UB, and what it derives must stay
// within the bounds it promises.
#include <cstring>
#include <map>
#include <memory>
#include <string>

#include "aggregate.hpp"
#include "client.hpp"
#include "directory.hpp"
#include "fuzz_targets.hpp"
#include "metric_identity.hpp"
#include "plausibility.hpp"
#include "shmon/memfd.hpp"
#include "shmon/wait_histogram.hpp"

namespace shmon::fuzz {
namespace {

constexpr std::size_t kParamsBytes = 20;
constexpr std::size_t kStatsOffset = kParamsBytes + 4;  // after params and metric_count
constexpr std::size_t kContentsOffset = kStatsOffset + sizeof(ClientStats);

DataParams params_from(const std::uint8_t* data) {
  std::uint32_t v[5];
  std::memcpy(v, data, sizeof(v));
  DataParams p;
  p.metric_capacity = 1 + v[0] % 32;
  p.shard_count = 1 + v[1] % 4;
  p.histogram_capacity = v[2] % 5;
  p.histogram_buckets = 2 + v[3] % 15;
  p.ring_capacity = 1u << (v[4] % 5);
  return p;
}

std::uint64_t max_region_size() {
  return compute_data_geometry({32, 4, 4, 16, 16})->region_size;
}

// One region, mapped once and lent to each input's Client (moved in and out: no syscalls).
Mapping& region() {
  static Mapping map = [] {
    auto fd = create_region("shmon-fuzz", max_region_size());
    if (!fd) std::abort();
    auto m = Mapping::map(fd->get(), max_region_size(), true);
    if (!m) std::abort();
    return std::move(m.value());
  }();
  return map;
}

void check_values(agent::Client& c) {
  const DataParams& p = c.geo.params;
  c.refresh_descriptors();
  SHMON_FUZZ_CHECK(c.descriptor_count() <= p.metric_capacity);
  for (const auto& [index, v] : c.read_values()) {
    SHMON_FUZZ_CHECK(index < p.metric_capacity);
    if (v.kind != MetricKind::kHistogram) continue;
    const auto& h = v.hist;
    SHMON_FUZZ_CHECK(h.bounds.size() == p.histogram_buckets);
    SHMON_FUZZ_CHECK(h.buckets.size() == h.bounds.size());
    for (std::size_t i = 1; i < h.bounds.size(); ++i)
      SHMON_FUZZ_CHECK(h.bounds[i - 1] <= h.bounds[i]);
    const double p50 = h.quantile(0.5), p99 = h.quantile(0.99);
    if (h.count > 0 && h.min <= h.max) {
      SHMON_FUZZ_CHECK(p50 >= double(h.min) && p99 <= double(h.max));
    }
  }
}

}  // namespace

int data_region(const std::uint8_t* data, std::size_t size) {
  if (size < kParamsBytes) return 0;
  auto geo = compute_data_geometry(params_from(data));
  SHMON_FUZZ_CHECK(geo.ok() && geo->region_size <= max_region_size());

  auto c = std::make_shared<agent::Client>();
  c->data = std::move(region());
  c->geo = *geo;
  c->name = "fuzz";
  std::byte* base = c->data.data();
  std::memset(base, 0, geo->region_size);
  auto* h = reinterpret_cast<DataHeader*>(base);
  if (size >= kStatsOffset)
    std::memcpy(static_cast<void*>(&h->metric_count), data + kParamsBytes, 4);
  if (size > kStatsOffset) {
    std::memcpy(static_cast<void*>(&h->stats), data + kStatsOffset,
                std::min(size - kStatsOffset, sizeof(ClientStats)));
  }
  if (size > kContentsOffset) {
    const std::uint64_t room = geo->region_size - geo->descriptors_offset;
    std::memcpy(base + geo->descriptors_offset, data + kContentsOffset,
                std::min<std::uint64_t>(size - kContentsOffset, room));
  }

  // Attach: tails read once and validated against the heads.
  c->init_tails();
  for (std::uint32_t s = 0; s < geo->params.shard_count; ++s) {
    const std::uint64_t head = c->ring(s)->head.load();
    SHMON_FUZZ_CHECK(head - c->tails[s].load() <= geo->params.ring_capacity);
  }
  for (std::uint32_t s = 0; s < geo->params.shard_count; ++s) {
    SHMON_FUZZ_CHECK(c->head_sum() >= c->ring(s)->head.load());  // saturates, never wraps
    SHMON_FUZZ_CHECK(c->tail_sum() >= c->tails[s].load());
  }
  check_values(*c);

  // Claims at attach are credited only up to what a process of that age can count.
  (void)c->start_credit(1'000'000);
  SHMON_FUZZ_CHECK(c->received_credit.load() <= agent::max_count_in(1'000'000));
  SHMON_FUZZ_CHECK(c->credited_drops() <= 3 * agent::max_count_in(1'000'000));

  // Identity: every descriptor is decided, and the admitted ones of a name agree on what it is.
  agent::MetricIdentities identities;
  (void)identities.admit(*c);
  const auto descs = c->descriptors_copy();
  SHMON_FUZZ_CHECK(c->admitted.size() == descs.size());
  std::map<std::string, const agent::Descriptor*> first;
  for (std::uint32_t i = 0; i < descs.size(); ++i) {
    if (!c->metric_admitted(i)) continue;
    SHMON_FUZZ_CHECK(descs[i].valid);
    auto [it, fresh] = first.emplace(descs[i].name, &descs[i]);
    if (!fresh) {
      SHMON_FUZZ_CHECK(it->second->kind == descs[i].kind && it->second->unit == descs[i].unit);
      SHMON_FUZZ_CHECK(descs[i].kind != MetricKind::kHistogram ||
                       it->second->bounds == descs[i].bounds);
    }
  }

  // Statistics as the directory and the queries publish them.
  const ClientStatsSnapshot st = agent::clamped_stats(*c);
  const double p50 = wait_percentile_ns(st.lock_wait_hist, 0.5, st.lock_wait_max_ns);
  const double p99 = wait_percentile_ns(st.lock_wait_hist, 0.99, st.lock_wait_max_ns);
  SHMON_FUZZ_CHECK(0 <= p50 && p50 <= p99 && p99 <= double(st.lock_wait_max_ns));

  // Departure and re-attach of the same incarnation, then the per-name view.
  std::uint64_t bad = 0;
  agent::Departed departed;
  agent::ReattachKey key;
  key.incarnation = 1;
  key.secret[0] = 1;
  departed.fold(key, agent::fold_client(*c, bad, [&](agent::Client& cl) { identities.admit(cl); }));
  (void)agent::collect_metrics({c}, departed, bad);
  SHMON_FUZZ_CHECK(departed.unfold(key) == agent::Departed::Unfold::kUnfolded);
  for (const auto& [name, m] : departed.totals().metrics) SHMON_FUZZ_CHECK(m.total == 0);

  region() = std::move(c->data);
  return 0;
}

Bytes data_region_seed() {
  // Parameters 8 metrics, 2 shards, 1 histogram of 4 buckets, ring of 4; then a region with a
  // counter, a gauge, a histogram, an event type, cells, and a ring with two records pending.
  const std::uint32_t params[5] = {7, 1, 1, 2, 2};
  const DataGeometry g =
      *compute_data_geometry(params_from(reinterpret_cast<const std::uint8_t*>(params)));
  Bytes out(kContentsOffset + (g.region_size - g.descriptors_offset), 0);
  std::memcpy(out.data(), params, sizeof(params));
  const std::uint32_t count = 4;
  std::memcpy(out.data() + kParamsBytes, &count, 4);
  ClientStatsSnapshot st{};
  st.lock_acquired = 3;
  st.lock_wait_hist[0] = 2;
  st.lock_wait_hist[12] = 1;
  st.lock_wait_max_ns = 5000;
  std::memcpy(out.data() + kStatsOffset, &st, sizeof(st));
  auto at = [&](std::uint64_t region_offset) {
    return out.data() + kContentsOffset + (region_offset - g.descriptors_offset);
  };
  const char* names[4] = {"requests", "depth", "latency_ns", "job_done"};
  for (std::uint32_t i = 0; i < 4; ++i) {
    MetricDescriptor d{};
    std::strncpy(d.name, names[i], sizeof(d.name) - 1);
    d.kind = i + 1;
    std::memcpy(at(g.descriptors_offset + i * sizeof(d)), &d, sizeof(d));
  }
  const std::int64_t bounds[4] = {10, 100, 1000, INT64_MAX};
  std::memcpy(at(g.bounds_offset), bounds, sizeof(bounds));
  const std::uint64_t cells[4] = {5, 0x4010000000000000ull, 0, 2};
  std::memcpy(at(g.cells_offset), cells, sizeof(cells));
  const std::int64_t hist[8] = {2, 60, 10, 50, 1, 1, 0, 0};  // count sum min max, buckets
  std::memcpy(at(g.histograms_offset), hist, sizeof(hist));
  const std::uint64_t head = 2;
  std::memcpy(at(g.rings_offset), &head, 8);
  return out;
}

}  // namespace shmon::fuzz
