#include "submissions.hpp"

#include <atomic>
#include <bit>
#include <cstring>

#include "shmon/histogram_buckets.hpp"

namespace shmon::agent {

namespace {

std::atomic_ref<std::uint64_t> shared_u64(Client& c, std::uint64_t offset) {
  return std::atomic_ref<std::uint64_t>(*c.data.as<std::uint64_t>(offset));
}

std::uint32_t shared_shard(const Client& c) {
  return c.geo.params.shard_count - 1;
}

void add_cell(Client& c, std::uint32_t metric, std::uint64_t delta) {
  const std::uint64_t off =
      c.geo.cells_offset + shared_shard(c) * c.geo.cells_shard_stride + std::uint64_t(metric) * 8;
  shared_u64(c, off).fetch_add(delta, std::memory_order_relaxed);
}

void record_histogram(Client& c, const Descriptor& d, std::int64_t value) {
  const std::uint64_t base = c.geo.histograms_offset +
                             shared_shard(c) * c.geo.histograms_shard_stride +
                             std::uint64_t(d.histogram_index) * c.geo.histogram_stride;
  constexpr auto r = std::memory_order_relaxed;
  const std::uint32_t bucket = bounded_bucket(value, d.bounds);
  shared_u64(c, base + sizeof(HistogramCellsHeader) + std::uint64_t(bucket) * 8).fetch_add(1, r);
  shared_u64(c, base + 8).fetch_add(std::uint64_t(value), r);
  std::atomic_ref<std::int64_t> mn(*c.data.as<std::int64_t>(base + 16));
  std::atomic_ref<std::int64_t> mx(*c.data.as<std::int64_t>(base + 24));
  std::int64_t cur = mn.load(r);
  while (value < cur && !mn.compare_exchange_weak(cur, value, r, r)) {
  }
  cur = mx.load(r);
  while (value > cur && !mx.compare_exchange_weak(cur, value, r, r)) {
  }
  // Count last: a reader that sees the count sees a sample that is (at worst) being completed.
  shared_u64(c, base).fetch_add(1, r);
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
      shared_u64(c, c.geo.cells_offset + std::uint64_t(r.metric) * 8)
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
