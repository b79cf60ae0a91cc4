// SPDX-License-Identifier: Apache-2.0
#include "submissions.hpp"

#include <atomic>
#include <bit>
#include <cstring>

#include "shmon/histogram_buckets.hpp"

namespace shmon::agent {

namespace {

std::uint32_t shared_shard(const Client& c) {
  return c.geo.params.shard_count - 1;
}

void add_cell(Client& c, std::uint32_t metric, std::uint64_t delta) {
  std::atomic_ref<std::uint64_t>(*c.region().cell(shared_shard(c), metric))
      .fetch_add(delta, std::memory_order_relaxed);
}

void record_histogram(Client& c, const Descriptor& d, std::int64_t value) {
  const DataRegion region = c.region();
  HistogramCellsHeader* h = region.histogram(shared_shard(c), d.histogram_index);
  std::uint64_t* buckets = region.buckets(shared_shard(c), d.histogram_index);
  constexpr auto r = std::memory_order_relaxed;
  const std::uint32_t bucket = bounded_bucket(value, d.bounds);
  std::atomic_ref<std::uint64_t>(buckets[bucket]).fetch_add(1, r);
  std::atomic_ref<std::uint64_t>(*reinterpret_cast<std::uint64_t*>(&h->sum))
      .fetch_add(std::uint64_t(value), r);
  std::atomic_ref<std::int64_t> mn(h->min);
  std::atomic_ref<std::int64_t> mx(h->max);
  std::int64_t cur = mn.load(r);
  while (value < cur && !mn.compare_exchange_weak(cur, value, r, r)) {
  }
  cur = mx.load(r);
  while (value > cur && !mx.compare_exchange_weak(cur, value, r, r)) {
  }
  // Count last: a reader that sees the count sees a sample that is (at worst) being completed.
  std::atomic_ref<std::uint64_t>(h->count).fetch_add(1, r);
}

}  // namespace

bool apply_submit_record(Client& c, const SubmitRecord& r, const Descriptor& d,
                         EventRecord* event) {
  if (!d.valid) return false;
  switch (SubmitOp(r.op)) {
    case SubmitOp::kCounterAdd:
      if (d.kind != MetricKind::kCounter) return false;
      add_cell(c, r.metric, std::uint64_t(r.value));
      return true;
    case SubmitOp::kGaugeSet:
      if (d.kind != MetricKind::kGauge) return false;
      std::atomic_ref<std::uint64_t>(*c.region().cell(0, r.metric))
          .store(std::uint64_t(r.value), std::memory_order_relaxed);
      return true;
    case SubmitOp::kHistogramRecord:
      if (d.kind != MetricKind::kHistogram || d.bounds.empty()) return false;
      record_histogram(c, d, r.value);
      return true;
    case SubmitOp::kEvent: {
      if (d.kind != MetricKind::kEvent || r.payload_size > sizeof(r.payload) ||
          r.level > std::uint16_t(EventLevel::kFatal) ||
          r.payload_kind > std::uint8_t(PayloadKind::kBytes)) {
        return false;
      }
      add_cell(c, r.metric, 1);
      EventRecord e{};
      e.timestamp_ns = r.timestamp_ns;
      e.id = r.metric;
      e.level = r.level;
      e.payload_kind = r.payload_kind;
      e.payload_size = r.payload_size;
      std::memcpy(e.payload, r.payload, r.payload_size);
      *event = e;
      return true;
    }
  }
  return false;
}

}  // namespace shmon::agent
