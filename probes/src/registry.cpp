// SPDX-License-Identifier: Apache-2.0
// Metric registration: descriptors are written completely, then published by a release store of
// metric_count, so the agent never sees a half-written descriptor.
#include <cstring>
#include <limits>
#include <string>

#include "probe_core.hpp"
#include "shmon/histogram_buckets.hpp"
#include "shmon/labels.hpp"
#include "shmon/names.hpp"

namespace shmon::detail {
namespace {

// Units are free text for display: keep printable ASCII, at most 15 bytes.
void write_unit(char (&field)[16], std::string_view unit) {
  std::memset(field, 0, sizeof(field));
  std::size_t n = 0;
  for (char ch : unit) {
    if (n + 1 >= sizeof(field)) break;
    field[n++] = (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\') ? ch : '?';
  }
}

// Empty optional when valid; else the reason.
std::optional<std::string> check_bounds(std::span<const std::int64_t> upper,
                                        std::uint32_t buckets) {
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  for (std::size_t i = 1; i < upper.size(); ++i) {
    if (upper[i] <= upper[i - 1]) return "histogram bounds must be strictly ascending";
  }
  const std::size_t needed = upper.size() + (upper.back() == kMax ? 0 : 1);
  if (needed > buckets) {
    return "histogram has " + std::to_string(needed) + " buckets; this region allows " +
           std::to_string(buckets);
  }
  return std::nullopt;
}

}  // namespace

std::optional<ProbeCore::Refusal> ProbeCore::room_for(std::string_view name, MetricKind kind,
                                                      bool labelled) {
  const DataParams& p = geometry().params;
  if (metric_count + series_slots(kind) > p.metric_capacity) {
    return Refusal{false, "the metric table is full (" + std::to_string(p.metric_capacity) + ")"};
  }
  if (labelled) {
    if (labelled_series >= opts.max_labelled_series) {
      return Refusal{true, "this probe has " + std::to_string(labelled_series) +
                               " labelled series, its bound (max_labelled_series)"};
    }
    if (label_sets[std::string(name)] >= opts.max_label_sets_per_metric) {
      return Refusal{true, "it has " + std::to_string(opts.max_label_sets_per_metric) +
                               " label sets already, its bound (max_label_sets_per_metric)"};
    }
  }
  if (kind == MetricKind::kHistogram && histogram_count >= p.histogram_capacity) {
    return Refusal{false,
                   "the histogram table is full (" + std::to_string(p.histogram_capacity) + ")"};
  }
  return std::nullopt;
}

std::uint32_t ProbeCore::add_histogram(std::span<const std::int64_t> upper_bounds) {
  const std::uint32_t hist = histogram_count;
  // Region bounds: the user's, then INT64_MAX for every remaining bucket; the private copy is
  // searched only up to the first INT64_MAX.
  std::int64_t* region_bounds = region.bounds(hist);
  std::int64_t* mine = bounds_store.data() + std::size_t(hist) * buckets;
  if (upper_bounds.empty()) {
    log_linear_bounds({region_bounds, buckets});
    bounds_len_store[hist] = 0;
  } else {
    constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
    std::uint32_t n = 0;
    for (std::int64_t b : upper_bounds) mine[n++] = b;
    if (mine[n - 1] != kMax) mine[n++] = kMax;
    for (std::uint32_t i = n; i < buckets; ++i) mine[i] = kMax;
    std::memcpy(region_bounds, mine, sizeof(std::int64_t) * buckets);
    bounds_len_store[hist] = n;
  }
  ++histogram_count;
  header->histogram_count.store(histogram_count, std::memory_order_release);
  return hist;
}

void ProbeCore::describe_series(std::uint32_t index, const SeriesSpec& spec) {
  const auto describe = [&](std::uint32_t at, std::string_view labels) {
    MetricDescriptor* d = region.descriptor(at);
    std::memset(d, 0, sizeof(*d));
    write_fixed_name(d->name, sizeof(d->name), spec.name);
    d->kind = std::uint32_t(spec.kind);
    d->histogram_index = spec.histogram;
    write_unit(d->unit, spec.unit);
    write_fixed_name(d->labels, sizeof(d->labels), labels);
    kinds[at] = spec.kind;
  };
  describe(index, spec.labels);
  if (spec.kind == MetricKind::kEvent) {
    for (std::uint32_t level = 0; level < kEventLevelCount; ++level) {
      describe(index + 1 + level, event_level_labels(level));
    }
  }
}

std::uint32_t ProbeCore::register_metric(std::string_view name, MetricKind kind,
                                         std::string_view unit,
                                         std::span<const std::int64_t> upper_bounds,
                                         std::uint32_t* histogram_index,
                                         std::span<const Label> labels) {
  ensure_connector();
  if (header == nullptr) return kNoMetric;
  // A refusal is counted (a bad name, a clash or a full table in drops_metric_table_full; bad
  // labels or a label-set bound in label_sets_refused) and explained in last_error().
  const auto refuse = [&](const Refusal& r) {
    (r.labels ? stats().label_sets_refused : stats().drops_metric_table_full)
        .fetch_add(1, std::memory_order_relaxed);
    set_error("metric '" + std::string(name.substr(0, kMaxMetricNameLen + 8)) +
              "' refused: " + r.why);
    return kNoMetric;
  };
  if (auto err = check_metric_name(name)) return refuse({false, *err});
  std::string label_text;
  if (!labels.empty()) {
    if (kind == MetricKind::kEvent) return refuse({true, "event types take no labels"});
    LabelPairs pairs;
    for (const Label& l : labels) pairs.emplace_back(l.name, l.value);
    auto canonical = canonical_labels(pairs);
    if (!canonical) return refuse({true, canonical.error()});
    label_text = std::move(*canonical);
  }
  const std::string key = series_key(name, label_text);

  std::lock_guard lock(reg_mutex);
  if (auto it = by_series.find(key); it != by_series.end()) {
    const std::uint32_t index = it->second;
    if (kinds[index] != kind) {
      return refuse({false, std::string("already registered as a ") + to_string(kinds[index])});
    }
    if (histogram_index != nullptr) *histogram_index = region.descriptor(index)->histogram_index;
    return index;
  }
  // Every series of one name is one metric family: one kind.
  if (auto f = family_kinds.find(std::string(name)); f != family_kinds.end() && f->second != kind) {
    return refuse({false, std::string("already registered as a ") + to_string(f->second) +
                              " with other labels"});
  }
  if (auto no_room = room_for(name, kind, !label_text.empty())) return refuse(*no_room);
  std::uint32_t hist = 0;
  if (kind == MetricKind::kHistogram) {
    if (!upper_bounds.empty()) {
      if (auto err = check_bounds(upper_bounds, buckets)) return refuse({false, *err});
    }
    hist = add_histogram(upper_bounds);
    if (histogram_index != nullptr) *histogram_index = hist;
  }

  const std::uint32_t index = metric_count;
  describe_series(index, {name, kind, unit, label_text, hist});
  by_series.emplace(key, index);
  family_kinds.emplace(std::string(name), kind);
  if (!label_text.empty()) {
    ++labelled_series;
    ++label_sets[std::string(name)];
  }
  metric_count = index + series_slots(kind);
  header->metric_count.store(metric_count, std::memory_order_release);
  return index;
}

}  // namespace shmon::detail
