// SPDX-License-Identifier: Apache-2.0
// Windowed quantiles: one column of bucket deltas per second for the last 600 s of every
// histogram metric, so "p99 over the last minute" moves when things get slow, where the
// lifetime p99 of an hour-old metric barely does. Call every member with ctx.mu held.
//
// Columns are sparse (only the buckets that moved), so memory follows activity, not the bucket
// count (a histogram may have up to 512 buckets). Deltas saturate at UINT32_MAX per second.
// In memory only: after an agent restart the window starts empty (`covered_s` says how much).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "client.hpp"

namespace shmon::agent {

class BucketHistory {
 public:
  static constexpr std::size_t kColumns = 600;  // seconds, as History
  static constexpr std::uint32_t kDefaultWindowS = 60;

  struct Column {
    double t_s = 0;                                              // wall time of the sample
    std::vector<std::pair<std::uint32_t, std::uint32_t>> cells;  // [bucket index, delta]
  };

  // A window's merged deltas as a histogram (min/max clamped by the lifetime values), and how
  // many seconds of it the agent has actually seen.
  struct Window {
    HistogramValue hist;
    std::uint32_t covered_s = 0;
  };

  // Records one sample of `name`'s cumulative histogram (live and departed clients merged).
  // New bounds (never for a running metric, whose identity fixes them) restart the series.
  // A metric sampled before end_pass() (the restored totals, before any client attaches) starts
  // from its counts then; one that appears later starts from zero: its observations are recent
  // (or were made while no agent ran, and count as now).
  void add(const std::string& name, const HistogramValue& cumulative, double t_s);
  // Forgets `name` (a retired series).
  void erase(const std::string& name) { series_.erase(name); }
  // Ends the baseline pass.
  void end_pass() { primed_ = true; }

  // The last `seconds` (1..kColumns) of `name`; `lifetime` supplies bounds, min and max.
  Window window(const std::string& name, std::uint32_t seconds,
                const HistogramValue& lifetime) const;

  // The bucket bounds `name` was sampled with (empty when unknown).
  std::vector<std::int64_t> bounds(const std::string& name) const;

  // The last `seconds` columns of `name`, oldest first (for a heatmap).
  std::vector<Column> columns(const std::string& name, std::uint32_t seconds) const;

 private:
  struct Series {
    std::vector<std::int64_t> bounds;
    std::vector<std::uint64_t> last;  // the cumulative counts of the previous sample
    std::vector<Column> ring;         // kColumns once full
    std::size_t next = 0;
  };
  // Newest first: calls f(column) for up to `seconds` columns.
  template <typename F>
  static void for_recent(const Series& s, std::uint32_t seconds, F&& f);

  std::map<std::string, Series> series_;
  bool primed_ = false;
};

}  // namespace shmon::agent
