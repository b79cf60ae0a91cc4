// SPDX-License-Identifier: Apache-2.0
// (a) Data region header: validation must never accept a geometry whose sections do not fit the
// region, and compute_data_geometry must lay out aligned, ordered, in-bounds sections.
#include <cstring>

#include "fuzz_targets.hpp"
#include "shmon/layout.hpp"

namespace shmon::fuzz {
namespace {

void check_geometry(const DataGeometry& g) {
  const DataParams& p = g.params;
  SHMON_FUZZ_CHECK(g.region_size <= DataLimits::kMaxRegionSize);
  SHMON_FUZZ_CHECK(g.region_size % 64 == 0);
  for (std::uint64_t off :
       {g.descriptors_offset, g.bounds_offset, g.cells_offset, g.cells_shard_stride,
        g.histograms_offset, g.histogram_stride, g.rings_offset, g.ring_stride}) {
    SHMON_FUZZ_CHECK(off % 64 == 0);
  }
  SHMON_FUZZ_CHECK(g.descriptors_offset >= sizeof(DataHeader));
  SHMON_FUZZ_CHECK(g.bounds_offset >= g.descriptors_offset + p.metric_capacity * 128ull);
  SHMON_FUZZ_CHECK(g.cells_offset >= g.bounds_offset);
  SHMON_FUZZ_CHECK(g.cells_shard_stride >= 8ull * p.metric_capacity);
  SHMON_FUZZ_CHECK(g.histograms_offset >= g.cells_offset + g.cells_shard_stride * p.shard_count);
  SHMON_FUZZ_CHECK(g.rings_offset >=
                   g.histograms_offset + g.histograms_shard_stride * p.shard_count);
  SHMON_FUZZ_CHECK(g.ring_stride == sizeof(RingHeader) + sizeof(EventRecord) * p.ring_capacity);
  SHMON_FUZZ_CHECK(g.rings_offset + g.ring_stride * p.shard_count <= g.region_size);
  SHMON_FUZZ_CHECK((p.ring_capacity & (p.ring_capacity - 1)) == 0);
  if (p.histogram_capacity > 0) {
    SHMON_FUZZ_CHECK(g.histogram_stride >=
                     sizeof(HistogramCellsHeader) + 8ull * p.histogram_buckets);
    SHMON_FUZZ_CHECK(g.cells_offset >=
                     g.bounds_offset + 8ull * p.histogram_capacity * p.histogram_buckets);
  }
}

}  // namespace

int data_header(const std::uint8_t* data, std::size_t size) {
  DataHeader h;
  std::memset(static_cast<void*>(&h), 0, sizeof(h));
  if (size > 0) std::memcpy(static_cast<void*>(&h), data, std::min(size, sizeof(h)));
  // The fd's size: from the input's tail when it has one, else what the header claims.
  std::uint64_t actual = h.region_size;
  if (size >= sizeof(h) + 8) std::memcpy(&actual, data + sizeof(h), 8);

  if (auto g = compute_data_geometry(h.params)) {
    check_geometry(*g);
  } else {
    SHMON_FUZZ_CHECK(!g.error().empty());
  }
  auto v = validate_data_header(h, actual);
  if (v) {
    check_geometry(*v);
    SHMON_FUZZ_CHECK(v->region_size == actual && v->region_size == h.region_size);
    SHMON_FUZZ_CHECK(std::memchr(h.name, 0, sizeof(h.name)) != nullptr);
    SHMON_FUZZ_CHECK(h.kind >= 1 && h.kind <= 3);
  } else {
    SHMON_FUZZ_CHECK(!v.error().empty());
  }
  return 0;
}

Bytes data_header_seed() {
  DataHeader h;
  std::memset(static_cast<void*>(&h), 0, sizeof(h));
  std::memcpy(h.magic, kDataMagic, sizeof(h.magic));
  h.abi_version = kAbiVersion;
  h.header_size = sizeof(DataHeader);
  h.params = DataParams{};
  h.region_size = compute_data_geometry(h.params)->region_size;
  h.kind = 1;
  std::memcpy(h.name, "seed", 5);
  Bytes out(sizeof(h));
  std::memcpy(out.data(), static_cast<const void*>(&h), sizeof(h));
  return out;
}

}  // namespace shmon::fuzz
