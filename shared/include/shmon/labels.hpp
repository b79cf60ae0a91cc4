// SPDX-License-Identifier: Apache-2.0
// Metric labels: the rules a label set obeys, its one canonical text, and the series key that
// names one labelled metric everywhere in the agent, the state store and the tools.
//
// Rules (Prometheus's, a little stricter where the terminal and the region need it):
//  * At most kMaxLabels labels. Names are [A-Za-z_][A-Za-z0-9_]*, at most kMaxLabelNameLen
//    bytes, unique within a set, not starting with "__" (reserved by Prometheus) and not one of
//    kReservedLabelNames (the exporter adds those itself).
//  * Values are 1..kMaxLabelValueLen bytes of valid UTF-8 without control characters (an empty
//    value means "no label" to Prometheus, so it would make two sets mean one series).
//  * Canonical text: the labels sorted by name, each `name="value"` with '\' and '"' in the value
//    escaped by a backslash, joined by ','. Example: code="200",method="GET". It is at most
//    kMaxLabelTextLen bytes; the data region stores exactly this text (layout.hpp), and a reader
//    accepts a stored text only when it parses and is canonical.
//  * Series key: the metric name alone when there are no labels, else name{canonical text}.
//    Metric names cannot contain '{' (names.hpp), so a key splits back unambiguously.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shmon/result.hpp"

namespace shmon {

inline constexpr std::size_t kMaxLabels = 8;
inline constexpr std::size_t kMaxLabelNameLen = 32;
inline constexpr std::size_t kMaxLabelValueLen = 64;
inline constexpr std::size_t kMaxLabelTextLen = 159;  // fits a 160-byte field with its NUL
// Labels the Prometheus exporter adds (histogram buckets, summaries, per-client series).
inline constexpr std::string_view kReservedLabelNames[] = {"le", "quantile", "client", "slot"};

using LabelPairs = std::vector<std::pair<std::string, std::string>>;

std::optional<std::string> check_label_name(std::string_view name);
std::optional<std::string> check_label_value(std::string_view name, std::string_view value);

// Validates `labels` (in any order) and returns their canonical text, or a sentence that names
// the offending label or limit.
Result<std::string> canonical_labels(const LabelPairs& labels);

// Parses a canonical text back into pairs, sorted by name. Anything that is not exactly the
// canonical text of a valid set (wrong order, bad escapes, a broken rule) is an error: this is
// how readers validate text that untrusted memory supplied.
Result<LabelPairs> parse_labels(std::string_view text);

std::string series_key(std::string_view metric_name, std::string_view label_text);
struct SeriesName {
  std::string_view metric;  // the metric name
  std::string_view labels;  // canonical label text, empty when none
};
// Splits a key made by series_key (a key without '{' is a bare metric name). The views point
// into `key`: it must outlive them.
SeriesName split_series_key(std::string_view key);

}  // namespace shmon
