// SPDX-License-Identifier: Apache-2.0
#include "metric_labels.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <tuple>

#include "shmon/histogram_buckets.hpp"
#include "shmon/labels.hpp"

namespace shmon::inspector {
namespace {

const std::string* label_value(const MetricInfo& m, const std::string& name) {
  for (const auto& [k, v] : m.labels) {
    if (k == name) return &v;
  }
  return nullptr;
}

// Adds histogram `m` into `into` (same metric). Count, sum, min and max always add (they are
// exact whatever the bounds); the buckets only when the bounds agree. False when they do not:
// the group then has no buckets and no quantiles (it cannot have honest ones).
bool merge_histogram(MetricInfo& into, const MetricInfo& m) {
  if (m.count > 0) {
    into.min = into.count > 0 ? std::min(into.min, m.min) : m.min;
    into.max = into.count > 0 ? std::max(into.max, m.max) : m.max;
    into.min_exact = into.count > 0 ? std::min(into.min_exact, m.min_exact) : m.min_exact;
    into.max_exact = into.count > 0 ? std::max(into.max_exact, m.max_exact) : m.max_exact;
  }
  into.count += m.count;
  into.sum += m.sum;
  into.sum_exact += m.sum_exact;
  into.window.count += m.window.count;
  into.window.p50 = std::max(into.window.p50, m.window.p50);
  into.window.p90 = std::max(into.window.p90, m.window.p90);
  into.window.p99 = std::max(into.window.p99, m.window.p99);
  into.window.covered_s = std::max(into.window.covered_s, m.window.covered_s);
  if (into.bounds != m.bounds || into.buckets.size() != m.buckets.size()) {
    into.bounds.clear();
    into.buckets.clear();
    return false;
  }
  for (std::size_t i = 0; i < m.buckets.size(); ++i) into.buckets[i] += m.buckets[i];
  return true;
}

// An event type appears twice in the agent's answer: as its total (no labels) and as one series
// per level, which sum to it. A sum over the type must count each event once, so the total
// series of every event type whose level series are present is left out of grouping (the level
// series carry everything, and grouping by level keeps its meaning).
std::vector<const MetricInfo*> without_event_totals(const std::vector<MetricInfo>& metrics) {
  std::set<std::string> has_levels;
  for (const MetricInfo& m : metrics) {
    if (m.kind == "event" && label_value(m, "level") != nullptr) has_levels.insert(m.metric);
  }
  std::vector<const MetricInfo*> out;
  for (const MetricInfo& m : metrics) {
    const bool type_total = m.kind == "event" && label_value(m, "level") == nullptr &&
                            has_levels.count(m.metric.empty() ? m.name : m.metric) > 0;
    if (!type_total) out.push_back(&m);
  }
  return out;
}

// The words of a text field, split at spaces and commas.
std::vector<std::string_view> words_of(std::string_view text) {
  std::vector<std::string_view> out;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t end = std::min(text.find_first_of(", ", i), text.size());
    if (end > i) out.push_back(text.substr(i, end - i));
    i = end + 1;
  }
  return out;
}

bool contains_any_case(std::string_view hay, std::string_view needle) {
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) ==
                  std::tolower(static_cast<unsigned char>(b));
         }) != hay.end();
}

void recompute_quantiles(MetricInfo& h) {
  h.mean = h.count > 0 ? h.sum / double(h.count) : 0;
  if (h.buckets.empty()) {  // merged across different bounds: no honest quantiles
    h.p50 = h.p90 = h.p99 = 0;
    return;
  }
  std::vector<std::int64_t> bounds;
  for (double b : h.bounds) bounds.push_back(b >= 9.2e18 ? INT64_MAX : std::int64_t(b));
  const auto q = [&](double p) {
    return bucket_quantile(bounds, h.buckets, h.count, std::int64_t(h.min), std::int64_t(h.max), p);
  };
  h.p50 = q(0.5);
  h.p90 = q(0.9);
  h.p99 = q(0.99);
}

}  // namespace

std::optional<LabelMatcher> parse_label_matcher(std::string_view text, std::string* error) {
  const std::size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == text.size()) {
    if (error != nullptr) *error = "'" + std::string(text) + "' is not NAME=VALUE";
    return std::nullopt;
  }
  LabelMatcher m{std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
  if (auto bad = check_label_name(m.name)) {
    if (error != nullptr) *error = *bad;
    return std::nullopt;
  }
  return m;
}

bool matches(const MetricInfo& m, const std::vector<LabelMatcher>& matchers) {
  return std::all_of(matchers.begin(), matchers.end(), [&](const LabelMatcher& want) {
    const std::string* v = label_value(m, want.name);
    return v != nullptr && *v == want.value;
  });
}

std::string series_name(const std::string& metric,
                        const std::vector<std::pair<std::string, std::string>>& labels) {
  LabelPairs pairs(labels.begin(), labels.end());
  std::erase_if(pairs, [](const auto& p) { return p.second.empty(); });
  if (pairs.empty()) return metric;
  // The agent's spelling when the set is valid; a plain rendering otherwise (display only).
  if (auto text = canonical_labels(pairs)) return series_key(metric, *text);
  std::string out = metric + "{";
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    out += (i ? "," : "") + pairs[i].first + "=\"" + pairs[i].second + "\"";
  }
  return out + "}";
}

void sort_by_metric(std::vector<MetricInfo>& metrics) {
  std::stable_sort(metrics.begin(), metrics.end(), [](const MetricInfo& a, const MetricInfo& b) {
    return std::tie(a.metric, a.labels) < std::tie(b.metric, b.labels);
  });
}

bool is_unused_event_level(const MetricInfo& m) {
  return m.kind == "event" && m.total == 0 && m.labels.size() == 1 && m.labels[0].first == "level";
}

std::vector<MetricInfo> select_metrics(const std::vector<MetricInfo>& metrics,
                                       std::string_view filter, std::string_view group,
                                       std::string* problem) {
  std::vector<std::string_view> names;
  std::vector<LabelMatcher> matchers;
  for (std::string_view word : words_of(filter)) {
    if (word.find('=') == std::string_view::npos) {
      names.push_back(word);
    } else if (auto m = parse_label_matcher(word, problem)) {
      matchers.push_back(std::move(*m));
    }
  }
  std::vector<MetricInfo> out;
  for (const MetricInfo& m : metrics) {
    const bool named = std::all_of(names.begin(), names.end(), [&](std::string_view w) {
      return contains_any_case(m.name, w);
    });
    if (named && matches(m, matchers) && !is_unused_event_level(m)) out.push_back(m);
  }
  sort_by_metric(out);
  if (group.empty()) return out;
  std::vector<std::string> by;
  for (std::string_view label : group == "*" ? std::vector<std::string_view>{} : words_of(group)) {
    if (auto why = check_label_name(label)) {
      *problem = *why;
    } else {
      by.emplace_back(label);
    }
  }
  return group_by_labels(out, by);
}

std::vector<MetricInfo> group_by_labels(const std::vector<MetricInfo>& metrics,
                                        const std::vector<std::string>& by) {
  std::vector<MetricInfo> rows;
  std::map<std::string, std::size_t> row_of;  // group name -> index in rows
  std::set<std::size_t> histogram_rows_merged;
  for (const MetricInfo* series : without_event_totals(metrics)) {
    const MetricInfo& m = *series;
    std::vector<std::pair<std::string, std::string>> key_labels;
    for (const std::string& name : by) {
      const std::string* v = label_value(m, name);
      key_labels.emplace_back(name, v != nullptr ? *v : std::string());
    }
    const std::string metric = m.metric.empty() ? m.name : m.metric;
    const std::string group = series_name(metric, key_labels);
    auto [it, fresh] = row_of.try_emplace(group, rows.size());
    if (fresh) {
      MetricInfo row = m;
      row.name = group;
      row.metric = metric;
      row.labels.clear();
      for (auto& kv : key_labels) {
        if (!kv.second.empty()) row.labels.push_back(kv);
      }
      rows.push_back(std::move(row));
      continue;
    }
    MetricInfo& row = rows[it->second];
    if (row.kind != m.kind) continue;  // the agent keeps one kind per name; never mix
    row.live_clients = std::max(row.live_clients, m.live_clients);
    row.departed_total += m.departed_total;
    row.departed_exact += m.departed_exact;
    for (const MetricClientValue& c : m.clients) {  // a client counts once per group
      const bool known = std::any_of(row.clients.begin(), row.clients.end(), [&](const auto& k) {
        return k.slot == c.slot && k.pid == c.pid;
      });
      if (known) {
        for (auto& k : row.clients) {
          if (k.slot == c.slot && k.pid == c.pid) k.value += c.value;
        }
      } else {
        row.clients.push_back(c);
      }
    }
    row.rate_per_s += m.rate_per_s;
    if (m.kind == "histogram") {
      merge_histogram(row, m);
      row.total = double(row.count);
      row.total_exact = row.count;
      histogram_rows_merged.insert(it->second);
    } else {
      row.total += m.total;
      row.total_exact += m.total_exact;
    }
  }
  for (std::size_t i : histogram_rows_merged) recompute_quantiles(rows[i]);
  return rows;
}

}  // namespace shmon::inspector
