// SPDX-License-Identifier: Apache-2.0
// Reading a client's metric values out of its data region, and histogram arithmetic.
#include <algorithm>
#include <bit>
#include <cstring>

#include "client.hpp"
#include "shmon/histogram_buckets.hpp"

namespace shmon::agent {

namespace {
// Sums come from client memory: a hostile (or long-running) client can push them past INT64_MAX.
// Wrap like the client's own cells do instead of overflowing (UB).
std::int64_t wrapping_add(std::int64_t a, std::int64_t b) {
  return std::int64_t(std::uint64_t(a) + std::uint64_t(b));
}
}  // namespace

bool HistogramValue::merge(const HistogramValue& o) {
  if (o.bounds.empty()) return o.count == 0;
  if (bounds.empty()) {
    bounds = o.bounds;
    buckets.assign(bounds.size(), 0);
  } else if (bounds != o.bounds) {
    return false;
  }
  for (std::size_t i = 0; i < buckets.size() && i < o.buckets.size(); ++i)
    buckets[i] += o.buckets[i];
  count += o.count;
  sum = wrapping_add(sum, o.sum);
  if (o.count > 0) {
    min = std::min(min, o.min);
    max = std::max(max, o.max);
  }
  return true;
}

void HistogramValue::subtract(const HistogramValue& o) {
  if (bounds != o.bounds) return;
  for (std::size_t i = 0; i < buckets.size() && i < o.buckets.size(); ++i)
    buckets[i] -= o.buckets[i];
  count -= o.count;
  sum = wrapping_add(sum, std::int64_t(0 - std::uint64_t(o.sum)));
  // min/max cannot be un-merged; they stay as conservative envelopes
}

void HistogramValue::record(std::int64_t v) {
  if (bounds.empty()) return;
  if (buckets.size() != bounds.size()) buckets.assign(bounds.size(), 0);
  ++buckets[bounded_bucket(v, bounds)];
  ++count;
  sum = wrapping_add(sum, v);
  min = std::min(min, v);
  max = std::max(max, v);
}

double HistogramValue::quantile(double q) const {
  return bucket_quantile(bounds, buckets, count, min, max, q);
}

std::map<std::uint32_t, MetricValue> Client::read_values(std::string_view only) {
  refresh_descriptors();
  std::vector<std::pair<std::uint32_t, Descriptor>> wanted;  // a copy: meta_mu is held briefly
  {
    std::lock_guard lock(meta_mu_);
    for (std::uint32_t i = 0; i < descriptors_.size(); ++i) {
      const Descriptor& d = descriptors_[i];
      // `only` names a metric (every label set of it) or one series.
      if (d.valid && (only.empty() || d.name == only || d.key == only)) wanted.emplace_back(i, d);
    }
  }
  const ConstDataRegion r(data.data(), geo);
  const DataParams& p = geo.params;
  std::map<std::uint32_t, MetricValue> out;
  for (const auto& [i, d] : wanted) {
    MetricValue v;
    v.name = d.key;
    v.unit = d.unit;
    v.kind = d.kind;
    if (d.kind == MetricKind::kCounter || d.kind == MetricKind::kEvent) {
      for (std::uint32_t s = 0; s < p.shard_count; ++s) v.total += load_shared_u64(r.cell(s, i));
      for (std::uint32_t level : d.level_cells) {  // an event type counts in its levels' cells
        for (std::uint32_t s = 0; s < p.shard_count; ++s) {
          v.total += load_shared_u64(r.cell(s, level));
        }
      }
    } else if (d.kind == MetricKind::kGauge) {
      v.gauge = std::bit_cast<double>(load_shared_u64(r.cell(0, i)));
    } else {
      v.hist.bounds = d.bounds;
      v.hist.buckets.assign(d.bounds.size(), 0);
      for (std::uint32_t s = 0; s < p.shard_count; ++s) {
        const HistogramCellsHeader* h = r.histogram(s, d.histogram_index);
        const std::uint64_t count = load_shared_u64(&h->count);
        v.hist.count += count;
        v.hist.sum = wrapping_add(v.hist.sum, std::int64_t(load_shared_u64(&h->sum)));
        if (count > 0) {
          v.hist.min = std::min(v.hist.min, std::int64_t(load_shared_u64(&h->min)));
          v.hist.max = std::max(v.hist.max, std::int64_t(load_shared_u64(&h->max)));
        }
        const std::uint64_t* b = r.buckets(s, d.histogram_index);
        for (std::size_t k = 0; k < v.hist.buckets.size(); ++k) {
          v.hist.buckets[k] += load_shared_u64(b + k);
        }
      }
    }
    out.emplace(i, std::move(v));
  }
  return out;
}

}  // namespace shmon::agent
