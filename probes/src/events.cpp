// SPDX-License-Identifier: Apache-2.0
// Event emission: one single-producer ring per shard; the shared shard's ring takes a
// process-local mutex. Overflow: drop and count by cause, or wait (bounded) for the agent to
// consume.
#include "events.hpp"

#include <algorithm>
#include <cstring>
#include <ctime>
#include <mutex>

#include "fast_path.hpp"
#include "shmon/clock.hpp"
#include "shmon/futex.hpp"

namespace shmon::detail {
namespace {

inline std::uint64_t event_timestamp_ns() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  return std::uint64_t(ts.tv_sec) * 1'000'000'000u + std::uint64_t(ts.tv_nsec);
}

// Small copies inline (8-byte words, then the tail): a libc memcpy call costs more than the copy.
inline void copy_payload(std::uint8_t* dst, const std::uint8_t* src, std::uint32_t size) {
  std::uint32_t i = 0;
  for (; i + 8 <= size; i += 8) __builtin_memcpy(dst + i, src + i, 8);
  for (; i < size; ++i) dst[i] = src[i];
}

// PREFETCHW (a no-op where unsupported): __builtin_prefetch(p, 1) emits a plain read prefetch
// unless the build targets a CPU with PRFCHW, and a shared copy does not help a store.
inline void prefetch_for_write(const void* p) {
#if defined(__x86_64__) || defined(__i386__)
  asm volatile("prefetchw %0" ::"m"(*static_cast<const char*>(p)));
#else
  __builtin_prefetch(p, 1, 3);
#endif
}

// Rings only if the drain thread sleeps, and clears its flag first so that one producer rings
// once per sleep (not every emit until the drain thread gets a core).
void ring_doorbell_if_sleeping(ProbeCore& core) noexcept {
  MailboxHeader* m = core.mailbox;
  if (m->drain_sleeping.exchange(0, std::memory_order_seq_cst) == 0) return;
  m->doorbell.fetch_add(1, std::memory_order_release);
  futex_wake(&m->doorbell, 1);
  core.stats().doorbell_rings.fetch_add(1, std::memory_order_relaxed);
}

void count_drop(ProbeCore& core) noexcept {
  auto& s = core.stats();
  (core.connected.load(std::memory_order_relaxed) ? s.drops_ring_full : s.drops_not_connected)
      .fetch_add(1, std::memory_order_relaxed);
}

// Waits until the ring has room or the policy's deadline passes. Returns true when there is room.
bool wait_for_space(ProbeCore& core, RingHeader* ring, std::uint64_t head) noexcept {
  const std::uint64_t deadline = deadline_after_ms(core.overflow_wait_ms);
  bool room = false;
  for (;;) {
    if (core.connected.load(std::memory_order_acquire)) ring_doorbell_if_sleeping(core);
    ring->producer_waiting.store(1, std::memory_order_seq_cst);
    const std::uint32_t seen = ring->tail_wake.load(std::memory_order_seq_cst);
    if (head - ring->tail.load(std::memory_order_acquire) < core.ring_capacity) {
      room = true;
      break;
    }
    if (monotonic_ns() >= deadline) break;
    // Sleep at most 10 ms at a time: an agent that attaches meanwhile does not know we sleep.
    const std::uint64_t slice = monotonic_ns() + 10'000'000u;
    futex_wait_until(&ring->tail_wake, seen, slice < deadline ? slice : deadline);
  }
  ring->producer_waiting.store(0, std::memory_order_relaxed);
  if (!room) core.stats().wait_policy_timeouts.fetch_add(1, std::memory_order_relaxed);
  return room;
}

bool publish(ProbeCore& core, std::uint32_t shard, std::uint64_t& tail_cache, std::uint32_t id,
             EventLevel level, PayloadKind kind, const void* payload, std::uint32_t size) noexcept {
  RingHeader* ring = core.region.ring(shard);
  const std::uint64_t head = ring->head.load(std::memory_order_relaxed);
  if (head - tail_cache >= core.ring_capacity) [[unlikely]] {
    tail_cache = ring->tail.load(std::memory_order_acquire);
    if (head - tail_cache >= core.ring_capacity) {
      if (core.overflow == OverflowPolicy::kDrop || !wait_for_space(core, ring, head)) {
        count_drop(core);
        return false;
      }
      tail_cache = ring->tail.load(std::memory_order_acquire);
    }
  }
  EventRecord* records = core.region.records(shard);
  auto* rec = records + (head & (core.ring_capacity - 1));
  // The agent has read the record lines since our last lap, so each first store to one misses
  // (the line must be taken back from the agent's core) and stalls the stores behind it. Start
  // taking the line we will write a few events from now.
  prefetch_for_write(records + ((head + 16) & (core.ring_capacity - 1)));
  rec->timestamp_ns = event_timestamp_ns();
  rec->id = id;
  rec->level = std::uint16_t(level);
  rec->payload_size = std::uint16_t(size);
  rec->payload_kind = std::uint8_t(kind);
  copy_payload(rec->payload, static_cast<const std::uint8_t*>(payload), size);
  ring->head.store(head + 1, std::memory_order_release);
  // Counted in its level's cell (layout.hpp: the type's level descriptors follow it).
  const std::uint32_t level_cell =
      id + 1 + std::min<std::uint32_t>(std::uint32_t(level), kEventLevelCount - 1);
  cell_add(core, shard, cell_at(core, shard, level_cell), 1);
  return true;
}

}  // namespace

bool emit_event(ProbeCore& core, std::uint32_t id, EventLevel level, PayloadKind kind,
                const void* payload, std::size_t size) noexcept {
  if (size > kEventPayloadCapacity) [[unlikely]] {
    core.stats().drops_payload_too_large.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  const std::uint32_t shard = current_shard(core);
  std::uint64_t& tail_cache = t_claims.claims[0].ring_tail;  // current_shard() made [0] ours
  bool ok;
  if (shard != core.shared_shard) [[likely]] {
    ok = publish(core, shard, tail_cache, id, level, kind, payload, std::uint32_t(size));
  } else {
    std::lock_guard lock(core.shared_ring_mutex);
    ok = publish(core, shard, tail_cache, id, level, kind, payload, std::uint32_t(size));
  }
  // The drain thread's flag is read without a fence (see DESIGN.md): a missed ring is bounded by
  // the agent's sleep timeout. `connected` is read with acquire so that the mailbox mapping the
  // connector installed before publishing it is visible (a plain load on x86).
  if (ok && core.connected.load(std::memory_order_acquire) &&
      core.mailbox->drain_sleeping.load(std::memory_order_relaxed) != 0) [[unlikely]] {
    // The flag lives in the shared mailbox: any client may hold it set. Ring once per drain
    // commit of this ring (the drain sleeps only with every ring empty, so an honest sleep
    // always follows a commit of ours or finds nothing of ours pending).
    ShardClaim& claim = t_claims.claims[0];
    const std::uint64_t tail = core.region.ring(shard)->tail.load(std::memory_order_relaxed);
    if (tail != claim.bell_tail) {
      claim.bell_tail = tail;
      ring_doorbell_if_sleeping(core);
    }
  }
  return ok;
}

}  // namespace shmon::detail
