// SPDX-License-Identifier: Apache-2.0
// The update path: shard lookup and cell updates, inline so that Counter::add and friends compile
// to a few instructions. No lock, no system call, nothing that can throw.
//
// Shard claims: each thread caches {core, epoch, shard} in a trivially destructible thread_local
// (initial-exec TLS: one %fs-relative load). A core's epoch is unique in the process and renewed
// by fork, so a claim for a destroyed core, or one made before fork, never matches.
#pragma once

#include <atomic>
#include <bit>
#include <cstdint>
#include <cstring>
#include <limits>

#include "probe_core.hpp"
#include "shmon/histogram_buckets.hpp"

namespace shmon::detail {

struct ShardClaim {
  ProbeCore* core;
  std::uint64_t epoch;
  std::uint32_t shard;
  // This thread's last read of the shard's ring tail. Tails only grow, so a stale value only
  // underestimates the room: emit re-reads the shared tail (a line the agent writes) only when
  // this one says the ring is full, instead of missing on it after every drain commit.
  std::uint64_t ring_tail = 0;
  // The ring's tail when this thread last rang the drain doorbell: it rings again only after the
  // drain consumed since, so a drain_sleeping flag held set by some other client costs at most
  // one system call per drain commit instead of one per event.
  std::uint64_t bell_tail = ~std::uint64_t(0);
};
inline constexpr int kClaimCacheSize = 4;
struct ThreadClaims {
  ShardClaim claims[kClaimCacheSize];  // [0] is the most recently used
};
extern constinit thread_local ThreadClaims t_claims __attribute__((tls_model("initial-exec")));

// Slow path (shards.cpp): finds or makes this thread's claim on `core`.
std::uint32_t claim_shard(ProbeCore& core) noexcept;

inline std::uint32_t current_shard(ProbeCore& core) noexcept {
  const ShardClaim& c = t_claims.claims[0];
  if (c.core == &core && c.epoch == core.epoch.load(std::memory_order_relaxed)) [[likely]] {
    return c.shard;
  }
  return claim_shard(core);
}

inline std::uint64_t* cell_at(ProbeCore& core, std::uint32_t shard, std::uint32_t index) {
  return core.region.cell(shard, index);
}

// Adds to a cell: a plain load + store on an exclusive shard, an atomic add on the shared one.
inline void cell_add(ProbeCore& core, std::uint32_t shard, std::uint64_t* cell, std::uint64_t d) {
  std::atomic_ref<std::uint64_t> a(*cell);
  if (shard != core.shared_shard) [[likely]] {
    a.store(a.load(std::memory_order_relaxed) + d, std::memory_order_relaxed);
  } else {
    a.fetch_add(d, std::memory_order_relaxed);
  }
}

// Out of line so that the fast path below needs no saved registers (the call is a tail call).
[[gnu::noinline]] inline void counter_add_claiming(ProbeCore& core, std::uint32_t index,
                                                   std::uint64_t delta) {
  const std::uint32_t shard = claim_shard(core);
  cell_add(core, shard, cell_at(core, shard, index), delta);
}

inline void counter_add(ProbeCore& core, std::uint32_t index, std::uint64_t delta) {
  const ShardClaim& c = t_claims.claims[0];
  if (c.core == &core && c.epoch == core.epoch.load(std::memory_order_relaxed)) [[likely]] {
    cell_add(core, c.shard, cell_at(core, c.shard, index), delta);
    return;
  }
  counter_add_claiming(core, index, delta);
}

inline void gauge_set(ProbeCore& core, std::uint32_t index, double value) {
  std::atomic_ref<std::uint64_t>(*cell_at(core, 0, index))
      .store(std::bit_cast<std::uint64_t>(value), std::memory_order_relaxed);
}

inline void histogram_record_on(ProbeCore& core, std::uint32_t shard, std::uint32_t histogram,
                                std::int64_t value) {
  HistogramCellsHeader* h = core.region.histogram(shard, histogram);
  std::uint64_t* bucket_cells = core.region.buckets(shard, histogram);
  const std::uint32_t len = core.bounds_len[histogram];
  const std::uint32_t b =
      len == 0 ? log_linear_bucket(value, core.buckets)
               : bounded_bucket(value, {core.bounds + std::size_t(histogram) * core.buckets, len});
  std::atomic_ref<std::uint64_t> count(h->count);
  std::atomic_ref<std::uint64_t> sum(*reinterpret_cast<std::uint64_t*>(&h->sum));
  std::atomic_ref<std::uint64_t> bucket(bucket_cells[b]);
  std::atomic_ref<std::int64_t> mn(h->min);
  std::atomic_ref<std::int64_t> mx(h->max);
  constexpr auto r = std::memory_order_relaxed;
  if (shard != core.shared_shard) [[likely]] {
    count.store(count.load(r) + 1, r);
    sum.store(sum.load(r) + std::uint64_t(value), r);
    bucket.store(bucket.load(r) + 1, r);
    if (value < mn.load(r)) mn.store(value, r);
    if (value > mx.load(r)) mx.store(value, r);
  } else {
    count.fetch_add(1, r);
    sum.fetch_add(std::uint64_t(value), r);
    bucket.fetch_add(1, r);
    std::int64_t cur = mn.load(r);
    while (value < cur && !mn.compare_exchange_weak(cur, value, r, r)) {
    }
    cur = mx.load(r);
    while (value > cur && !mx.compare_exchange_weak(cur, value, r, r)) {
    }
  }
}

[[gnu::noinline]] inline void histogram_record_claiming(ProbeCore& core, std::uint32_t histogram,
                                                        std::int64_t value) {
  histogram_record_on(core, claim_shard(core), histogram, value);
}

inline void histogram_record(ProbeCore& core, std::uint32_t histogram, std::int64_t value) {
  const ShardClaim& c = t_claims.claims[0];
  if (c.core == &core && c.epoch == core.epoch.load(std::memory_order_relaxed)) [[likely]] {
    histogram_record_on(core, c.shard, histogram, value);
    return;
  }
  histogram_record_claiming(core, histogram, value);
}

}  // namespace shmon::detail
