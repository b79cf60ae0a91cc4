// SPDX-License-Identifier: Apache-2.0
// Helpers for the in-process agent tests: a client data region built with the shared primitives
// (create_region, compute_data_geometry, DataHeader), written the way a probe would (or the way a
// hostile client could), and a Client that reads it the way the agent does after an attach.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <bit>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "client.hpp"
#include "shmon/layout.hpp"
#include "shmon/memfd.hpp"
#include "shmon/names.hpp"

namespace shmon::agent_test {

using agent::Client;

// A bound re-attach key for `incarnation`: its secret derives from the incarnation, as if that
// probe instance had generated it; the uid is ours.
inline agent::ReattachKey test_key(std::uint64_t incarnation) {
  agent::ReattachKey k;
  k.incarnation = incarnation;
  for (std::size_t i = 0; i < k.secret.size(); ++i)
    k.secret[i] = std::uint8_t((incarnation >> (8 * (i % 8))) ^ (0xA5 + i));
  k.uid = ::geteuid();
  return k;
}

inline DataParams small_params() {
  DataParams p;
  p.metric_capacity = 16;
  p.shard_count = 4;
  p.histogram_capacity = 2;
  p.histogram_buckets = 8;
  p.ring_capacity = 16;
  return p;
}

class TestRegion {
 public:
  explicit TestRegion(DataParams params = small_params(), std::string_view name = "test-client",
                      std::uint64_t incarnation = 42) {
    auto geo = compute_data_geometry(params);
    if (!geo) throw std::runtime_error(geo.error());
    geo_ = *geo;
    auto fd = create_region("shmon-agent-test", geo_.region_size);
    if (!fd) throw std::runtime_error(fd.error());
    fd_ = std::move(fd.value());
    if (auto sealed = seal_shared(fd_.get()); !sealed) throw std::runtime_error(sealed.error());
    auto map = Mapping::map(fd_.get(), geo_.region_size, true);
    if (!map) throw std::runtime_error(map.error());
    map_ = std::move(map.value());
    DataHeader* h = header();
    init_data_header(*h, geo_, ClientKind::kApp, ::getpid(), incarnation, name);
  }

  const DataGeometry& geo() const { return geo_; }
  int fd() const { return fd_.get(); }
  DataHeader* header() const { return map_.as<DataHeader>(); }
  MetricDescriptor* descriptor(std::uint32_t i) const {
    return map_.as<MetricDescriptor>(geo_.descriptors_offset) + i;
  }

  // Writes descriptor `metric_count` and publishes it; returns its index.
  // `labels`: the descriptor's label text as written (canonical or not: tests write both).
  std::uint32_t add_metric(std::string_view name, MetricKind kind, std::uint32_t histogram = 0,
                           std::string_view unit = "", std::string_view labels = "") {
    const std::uint32_t i = header()->metric_count.load();
    MetricDescriptor* d = descriptor(i);
    write_fixed_name(d->name, sizeof(d->name), name);
    write_fixed_name(d->unit, sizeof(d->unit), unit);
    write_fixed_name(d->labels, sizeof(d->labels), labels);
    d->kind = std::uint32_t(kind);
    d->histogram_index = histogram;
    header()->metric_count.store(i + 1, std::memory_order_release);
    return i;
  }
  // A histogram metric with `bounds` (size = histogram_buckets) in block `histogram`.
  std::uint32_t add_histogram(std::string_view name, std::uint32_t histogram,
                              std::span<const std::int64_t> bounds) {
    std::memcpy(bounds_of(histogram), bounds.data(), bounds.size_bytes());
    for (std::uint32_t s = 0; s < geo_.params.shard_count; ++s) {
      hist(s, histogram)->min = INT64_MAX;
      hist(s, histogram)->max = INT64_MIN;
    }
    return add_metric(name, MetricKind::kHistogram, histogram, "ns");
  }

  std::uint64_t& cell(std::uint32_t shard, std::uint32_t metric) const {
    return *map_.as<std::uint64_t>(geo_.cells_offset + shard * geo_.cells_shard_stride +
                                   metric * 8ull);
  }
  void set_gauge(std::uint32_t metric, double v) const {
    cell(0, metric) = std::bit_cast<std::uint64_t>(v);
  }
  std::int64_t* bounds_of(std::uint32_t histogram) const {
    return map_.as<std::int64_t>(geo_.bounds_offset +
                                 8ull * histogram * geo_.params.histogram_buckets);
  }
  HistogramCellsHeader* hist(std::uint32_t shard, std::uint32_t histogram) const {
    return map_.as<HistogramCellsHeader>(geo_.histograms_offset +
                                         shard * geo_.histograms_shard_stride +
                                         histogram * geo_.histogram_stride);
  }
  std::uint64_t* hist_buckets(std::uint32_t shard, std::uint32_t histogram) const {
    return reinterpret_cast<std::uint64_t*>(hist(shard, histogram) + 1);
  }
  // Records `v` into bucket `bucket` of one shard, like the probe's fast path.
  void record(std::uint32_t shard, std::uint32_t histogram, std::uint32_t bucket,
              std::int64_t v) const {
    HistogramCellsHeader* h = hist(shard, histogram);
    ++h->count;
    h->sum += v;
    h->min = std::min(h->min, v);
    h->max = std::max(h->max, v);
    ++hist_buckets(shard, histogram)[bucket];
  }
  RingHeader* ring(std::uint32_t shard) const {
    return map_.as<RingHeader>(geo_.rings_offset + shard * geo_.ring_stride);
  }

  // The agent's view of this region as attach leaves it: a second mapping, the validated
  // geometry, tails read and (unless `refresh` is false) the descriptors published so far.
  std::shared_ptr<Client> make_client(std::uint32_t slot = 0, bool refresh = true) const {
    auto c = std::make_shared<Client>();
    c->slot = slot;
    c->pid = header()->pid;
    c->incarnation = header()->incarnation;
    c->reattach = test_key(c->incarnation);
    c->name = *read_fixed_name(header()->name, sizeof(header()->name));
    auto map = Mapping::map(fd_.get(), geo_.region_size, true);
    if (!map) throw std::runtime_error(map.error());
    c->data = std::move(map.value());
    c->geo = geo_;
    c->init_tails();
    c->start_credit(UINT64_MAX);  // an ageless client: every claim is plausible
    if (refresh) c->refresh_descriptors();
    return c;
  }

 private:
  DataGeometry geo_{};
  UniqueFd fd_;
  Mapping map_;
};

// Evenly spaced inclusive upper bounds 10, 20, ..., the last one INT64_MAX.
inline std::vector<std::int64_t> linear_bounds(std::uint32_t n, std::int64_t step = 10) {
  std::vector<std::int64_t> b(n);
  for (std::uint32_t i = 0; i < n; ++i) b[i] = step * (i + 1);
  b.back() = INT64_MAX;
  return b;
}

}  // namespace shmon::agent_test
