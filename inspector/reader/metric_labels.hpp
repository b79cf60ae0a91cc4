// SPDX-License-Identifier: Apache-2.0
// Labels on the tools' side: selecting series by label and summing series into groups. One
// implementation behind shmonctl (metrics --label/--group-by) and the inspector's Telemetry view.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model.hpp"

namespace shmon::inspector {

// `name=value`: a series matches when it has that label with that value.
struct LabelMatcher {
  std::string name, value;
};
// Parses NAME=VALUE (VALUE may contain '='); nullopt with `error` set for anything else.
std::optional<LabelMatcher> parse_label_matcher(std::string_view text, std::string* error);

// True when `m` carries every matcher's label with its value.
bool matches(const MetricInfo& m, const std::vector<LabelMatcher>& matchers);

// Sums the series of each metric into one row per combination of the `by` labels' values (a
// series without one of them groups under an empty value; labels not named are dropped; an empty
// `by` sums every label set of a metric into one row). Counters and gauges add totals and rates;
// histograms add counts and buckets when their bounds agree, and their lifetime quantiles are
// recomputed from the merged buckets. Windowed quantiles cannot be merged from the answer: a
// group shows the largest of its series' (an upper bound on the group's own). Rows keep the
// order of first appearance; each row's name is metric{by labels}.
std::vector<MetricInfo> group_by_labels(const std::vector<MetricInfo>& metrics,
                                        const std::vector<std::string>& by);

// Orders series by metric name, then label set (the agent's keys sort "a{x}" after "a.b", which
// would split one metric's series apart on screen).
void sort_by_metric(std::vector<MetricInfo>& metrics);

// An event type's level series that has counted nothing yet (level="debug" 0, ...): tables leave
// them out so that the levels that happened stand out; JSON answers keep every series.
bool is_unused_event_level(const MetricInfo& m);

// What the inspector's Telemetry view lists for its two fields: `filter` words (separated by
// spaces or commas) that hold '=' select by label (NAME=VALUE), the others must appear in the
// series name (any case); `group` names labels to sum series by, "*" sums every label set of a
// metric. Unused event levels are left out and rows are ordered by metric. A word that cannot be
// understood is skipped and named in `problem` (the rest still applies).
std::vector<MetricInfo> select_metrics(const std::vector<MetricInfo>& metrics,
                                       std::string_view filter, std::string_view group,
                                       std::string* problem);

// metric{k="v",...} for a name and labels (no braces without labels), as the agent spells keys.
std::string series_name(const std::string& metric,
                        const std::vector<std::pair<std::string, std::string>>& labels);

}  // namespace shmon::inspector
