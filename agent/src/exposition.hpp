// SPDX-License-Identifier: Apache-2.0
// The Prometheus exposition of a MetricsSnapshot: text format 0.0.4, or OpenMetrics 1.0 when
// the scraper asks for it. Naming rules, unit table and series are in docs/PROMETHEUS.md.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "metrics_snapshot.hpp"

namespace shmon::agent {

enum class ExpositionFormat { kText004, kOpenMetrics };

// The format an `Accept` header asks for: OpenMetrics when it names
// application/openmetrics-text, else the text format.
ExpositionFormat negotiate_format(std::string_view accept);
const char* content_type(ExpositionFormat format);

// How an app's metric is exported: `base` is the family name (counters get `_total` on their
// sample, events `_events` + `_total`), values become value x mul / div in the base unit `unit`
// ("seconds", "bytes" or empty). `error` is non-empty when the name cannot be exported.
struct ExportName {
  std::string base;
  std::string unit;
  double mul = 1;
  double div = 1;
  std::string error;
};
ExportName export_name(std::string_view name, MetricKind kind, std::string_view unit);

// What the exporter itself measured, exported as shmon_scrape_* and shmon_http_*.
struct ExporterNumbers {
  std::uint64_t scrapes = 0;
  std::uint64_t http_errors = 0;      // answers other than 200
  std::uint64_t skipped_names = 0;    // app metrics not exported (invalid or colliding names)
                                      // before this scrape (render adds what it skips)
  std::uint64_t connections_cut = 0;  // HTTP connections closed: late, pushed out, refused
  std::uint64_t scrape_ns_sum = 0;    // scrape duration histogram (snapshot + formatting)
  std::vector<std::uint64_t> scrape_ns_buckets;  // per kScrapeBoundsNs, plus the overflow
};
inline constexpr std::int64_t kScrapeBoundsNs[] = {1'000'000,   5'000'000,   20'000'000,
                                                   100'000'000, 500'000'000, 2'000'000'000};

// Renders snapshots. Exported names are claimed first come, first served for the agent's life:
// a later metric whose exported names (family or sample) are already taken, or whose name is
// invalid, is skipped and reported once (the returned sentences; the caller logs and counts
// them). Thread-safe: concurrent scrapes render one at a time.
class Exposition {
 public:
  Exposition();
  std::string render(const MetricsSnapshot& snap, ExpositionFormat format, bool per_client,
                     const ExporterNumbers& own, std::vector<std::string>* newly_skipped);

 private:
  // Claims every name in `names` for `owner`; false (nothing claimed) when any is taken by
  // another owner.
  bool claim(const std::string& owner, const std::vector<std::string>& names);
  std::mutex mu_;
  std::map<std::string, std::string> claims_;  // exported name -> owner (app metric name)
  std::set<std::string> reported_;             // app metric names already reported as skipped
};

}  // namespace shmon::agent
