// SPDX-License-Identifier: Apache-2.0
// Plots drawn with ImDrawList (ImPlot is not packaged): time series with marked moments, log-scale
// histograms of log2 wait buckets and of metric buckets, and sparklines for table rows.
#pragma once

#include <imgui.h>

#include <functional>
#include <string>
#include <vector>

#include "model.hpp"

namespace shmon::inspector::plot {

struct Series {
  std::string label;
  std::vector<float> t, y;
  ImU32 color = 0;
};

struct Mark {
  double t = 0;
  ImU32 color = 0;
  std::string label;
};

using Formatter = std::function<std::string(double)>;

// Lines over [t_min, t_max] (seconds); y from 0 (or log10 when log_y) to the data's maximum.
void time_plot(const char* id, const std::vector<Series>& series, ImVec2 size, double t_min,
               double t_max, const Formatter& fmt_y, const std::vector<Mark>& marks = {},
               bool log_y = false);

// 32 log2 buckets of wait time; bar heights on a log scale of counts.
void wait_histogram(const char* id, const WaitHist& hist, ImVec2 size, ImU32 color);

// A metric histogram: `bounds[i]` is the inclusive upper bound of `buckets[i]`.
void bucket_histogram(const char* id, const std::vector<double>& bounds,
                      const std::vector<std::uint64_t>& buckets, ImVec2 size, ImU32 color,
                      const std::string& unit = {});  // the metric's unit, for the bounds

// A latency heatmap: one column per second (the last `seconds`, newest at the right), one row
// per bucket in the span that has samples, brightness on a log scale of the count.
void heatmap(const char* id, const HistorySeries& s, std::size_t seconds, ImVec2 size,
             const std::string& unit = {});

void sparkline(const char* id, const std::vector<float>& y, ImVec2 size, ImU32 color);

ImU32 palette(int i);  // distinct series colours

}  // namespace shmon::inspector::plot
