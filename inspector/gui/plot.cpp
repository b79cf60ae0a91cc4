// SPDX-License-Identifier: Apache-2.0
#include "plot.hpp"

#include <algorithm>
#include <cmath>

#include "format.hpp"

namespace shmon::inspector::plot {
namespace {

constexpr ImU32 kFrame = IM_COL32(20, 24, 32, 255);
constexpr ImU32 kGrid = IM_COL32(70, 76, 90, 120);
constexpr ImU32 kAxisText = IM_COL32(150, 156, 170, 255);

// Reserves the plot's rectangle as an item (so hovering and layout work) and draws its frame.
bool begin_area(const char* id, ImVec2 size, ImVec2& p0, ImVec2& p1) {
  if (size.x <= 0) size.x = ImGui::GetContentRegionAvail().x;
  if (size.x < 40 || size.y < 20) return false;
  p0 = ImGui::GetCursorScreenPos();
  p1 = ImVec2(p0.x + size.x, p0.y + size.y);
  ImGui::InvisibleButton(id, size);
  ImGui::GetWindowDrawList()->AddRectFilled(p0, p1, kFrame, 3.0f);
  return true;
}

}  // namespace

ImU32 palette(int i) {
  static const ImU32 kColors[] = {
      IM_COL32(86, 180, 233, 255),  IM_COL32(230, 159, 0, 255),   IM_COL32(0, 158, 115, 255),
      IM_COL32(240, 228, 66, 255),  IM_COL32(204, 121, 167, 255), IM_COL32(213, 94, 0, 255),
      IM_COL32(140, 170, 255, 255), IM_COL32(170, 220, 120, 255),
  };
  return kColors[static_cast<unsigned>(i) % (sizeof kColors / sizeof kColors[0])];
}

void time_plot(const char* id, const std::vector<Series>& series, ImVec2 size, double t_min,
               double t_max, const Formatter& fmt_y, const std::vector<Mark>& marks, bool log_y) {
  ImVec2 p0, p1;
  if (!begin_area(id, size, p0, p1)) return;
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float left = 58, bottom = 4, top = 6, right = 6;
  const ImVec2 a(p0.x + left, p0.y + top), b(p1.x - right, p1.y - bottom - ImGui::GetFontSize());
  if (t_max <= t_min) t_max = t_min + 1;
  double y_max = 0;
  for (const Series& s : series) {
    for (float v : s.y) y_max = std::max<double>(y_max, v);
  }
  // A log axis only helps when values span decades.
  if (y_max < 1000) log_y = false;
  auto ty = [&](double v) { return log_y ? std::log10(std::max(1.0, v)) : v; };
  const double top_v = log_y ? std::max(1.0, std::ceil(ty(y_max))) : (y_max > 0 ? y_max * 1.1 : 1);
  auto to_screen = [&](double t, double v) {
    const float x = a.x + float((t - t_min) / (t_max - t_min)) * (b.x - a.x);
    const float y = b.y - float(ty(v) / top_v) * (b.y - a.y);
    return ImVec2(x, std::clamp(y, a.y, b.y));
  };
  // Grid: 4 horizontal lines with labels; time ticks every "nice" interval.
  for (int i = 0; i <= 4; ++i) {
    const float y = b.y - (b.y - a.y) * float(i) / 4;
    dl->AddLine(ImVec2(a.x, y), ImVec2(b.x, y), kGrid);
    const double v = log_y ? std::pow(10.0, top_v * i / 4) : top_v * i / 4;
    const std::string label = (log_y && i == 0) ? "" : fmt_y(v);
    dl->AddText(ImVec2(p0.x + 4, y - ImGui::GetFontSize() * 0.5f), kAxisText, label.c_str());
  }
  const double span = t_max - t_min;
  // About one tick per 70 pixels, on a round number of seconds.
  const double want = span / std::max(1.0, double(b.x - a.x) / 70.0);
  double step = 1;
  for (double s : {1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0}) {
    step = s;
    if (s >= want) break;
  }
  for (double t = std::ceil(t_min / step) * step; t <= t_max; t += step) {
    const float x = to_screen(t, 0).x;
    dl->AddLine(ImVec2(x, a.y), ImVec2(x, b.y), kGrid);
    char buf[32];
    std::snprintf(buf, sizeof buf, "-%.0f s", t_max - t);  // an axis tick, whole seconds
    dl->AddText(ImVec2(x - 12, b.y + 1), kAxisText, buf);
  }
  dl->PushClipRect(a, ImVec2(b.x + 1, b.y + 1), true);
  for (const Mark& m : marks) {
    const float x = to_screen(m.t, 0).x;
    dl->AddLine(ImVec2(x, a.y), ImVec2(x, b.y), m.color, 2.0f);
    dl->AddTriangleFilled(ImVec2(x - 5, a.y), ImVec2(x + 5, a.y), ImVec2(x, a.y + 7), m.color);
  }
  for (const Series& s : series) {
    const std::size_t n = std::min(s.t.size(), s.y.size());
    for (std::size_t i = 1; i < n; ++i) {
      dl->AddLine(to_screen(s.t[i - 1], s.y[i - 1]), to_screen(s.t[i], s.y[i]), s.color, 1.6f);
    }
    if (n == 1) dl->AddCircleFilled(to_screen(s.t[0], s.y[0]), 2.5f, s.color);
  }
  dl->PopClipRect();
  // Hover: the nearest sample of each series at the mouse's time, and marks close by.
  if (ImGui::IsItemHovered()) {
    const float mx = ImGui::GetIO().MousePos.x;
    if (mx >= a.x && mx <= b.x) {
      const double t = t_min + (mx - a.x) / (b.x - a.x) * (t_max - t_min);
      dl->AddLine(ImVec2(mx, a.y), ImVec2(mx, b.y), IM_COL32(255, 255, 255, 80));
      ImGui::BeginTooltip();
      ImGui::Text("%s ago", fmt_duration_s(t_max - t).c_str());
      for (const Series& s : series) {
        if (s.t.empty()) continue;
        auto it = std::lower_bound(s.t.begin(), s.t.end(), float(t));
        std::size_t i = std::min<std::size_t>(it - s.t.begin(), s.t.size() - 1);
        ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(s.color), "%s: %s", s.label.c_str(),
                           fmt_y(s.y[i]).c_str());
      }
      for (const Mark& m : marks) {
        if (std::fabs(m.t - t) < (t_max - t_min) / 60) {
          ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(m.color), "%s", m.label.c_str());
        }
      }
      ImGui::EndTooltip();
    }
  }
}

void wait_histogram(const char* id, const WaitHist& hist, ImVec2 size, ImU32 color) {
  ImVec2 p0, p1;
  if (!begin_area(id, size, p0, p1)) return;
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const int first = 0, last = 31;
  const float fs = ImGui::GetFontSize();
  const ImVec2 a(p0.x + 4, p0.y + 4), b(p1.x - 4, p1.y - fs - 2);
  std::uint64_t max_count = 0;
  for (int i = first; i <= last; ++i) max_count = std::max(max_count, hist[i]);
  const double top = std::log10(double(max_count) + 1) + 0.1;
  const float w = (b.x - a.x) / float(last - first + 1);
  int hovered = -1;
  const ImVec2 mouse = ImGui::GetIO().MousePos;
  for (int i = first; i <= last; ++i) {
    const float x0 = a.x + w * float(i - first), x1 = x0 + w - 1;
    if (ImGui::IsItemHovered() && mouse.x >= x0 && mouse.x < x1 + 1) hovered = i;
    if (hist[i] == 0) continue;
    const float h = float(std::log10(double(hist[i]) + 1) / top) * (b.y - a.y);
    dl->AddRectFilled(ImVec2(x0, b.y - std::max(h, 1.0f)), ImVec2(x1, b.y),
                      hovered == i ? IM_COL32(255, 255, 255, 230) : color);
  }
  // Labels every two decades, placed at their bucket (bucket i starts at 2^i ns).
  static const std::pair<int, const char*> kLabels[] = {
      {0, "1 ns"}, {7, "100 ns"}, {13, "10 \xc2\xb5s"}, {20, "1 ms"}, {27, "100 ms"}};
  for (auto [bucket, label] : kLabels) {
    const float x = a.x + w * float(bucket - first);
    if (x + 30 > b.x) continue;
    dl->AddLine(ImVec2(x, b.y), ImVec2(x, b.y + 3), kAxisText);
    dl->AddText(ImVec2(x - 4, b.y + 2), kAxisText, label);
  }
  if (hovered >= 0) {
    ImGui::BeginTooltip();
    ImGui::Text("%s .. %s: %s", fmt_ns(std::ldexp(1.0, hovered)).c_str(),
                fmt_ns(std::ldexp(1.0, hovered + 1)).c_str(),
                fmt_count(double(hist[hovered])).c_str());
    ImGui::EndTooltip();
  }
}

void bucket_histogram(const char* id, const std::vector<double>& bounds,
                      const std::vector<std::uint64_t>& buckets, ImVec2 size, ImU32 color,
                      const std::string& unit) {
  ImVec2 p0, p1;
  if (!begin_area(id, size, p0, p1)) return;
  // Only the span of non-empty buckets is worth the width.
  std::size_t lo = buckets.size(), hi = 0;
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    if (buckets[i]) {
      lo = std::min(lo, i);
      hi = i;
    }
  }
  ImDrawList* dl = ImGui::GetWindowDrawList();
  if (lo > hi) {
    dl->AddText(ImVec2(p0.x + 8, p0.y + 6), kAxisText, "no samples yet");
    return;
  }
  const float fs = ImGui::GetFontSize();
  const ImVec2 a(p0.x + 4, p0.y + 4), b(p1.x - 4, p1.y - fs - 2);
  std::uint64_t max_count = 0;
  for (std::size_t i = lo; i <= hi; ++i) max_count = std::max(max_count, buckets[i]);
  const float w = (b.x - a.x) / float(hi - lo + 1);
  const ImVec2 mouse = ImGui::GetIO().MousePos;
  for (std::size_t i = lo; i <= hi; ++i) {
    const float x0 = a.x + w * float(i - lo), x1 = x0 + std::max(1.0f, w - 1);
    const float h = float(double(buckets[i]) / double(max_count)) * (b.y - a.y);
    const bool hov = ImGui::IsItemHovered() && mouse.x >= x0 && mouse.x < x1 + 1;
    dl->AddRectFilled(ImVec2(x0, b.y - (buckets[i] ? std::max(h, 1.0f) : 0)), ImVec2(x1, b.y),
                      hov ? IM_COL32(255, 255, 255, 230) : color);
    if (hov) {
      ImGui::BeginTooltip();
      const double upper = i < bounds.size() ? bounds[i] : 0;
      const double lower = i > 0 && i - 1 < bounds.size() ? bounds[i - 1] : 0;
      ImGui::Text("(%s, %s]: %s", fmt_value(lower, unit).c_str(), fmt_value(upper, unit).c_str(),
                  fmt_count(double(buckets[i])).c_str());
      ImGui::EndTooltip();
    }
  }
  const auto label = [&](std::size_t i) {
    return i < bounds.size() ? fmt_value(bounds[i], unit) : "?";
  };
  dl->AddText(ImVec2(a.x, b.y + 2), kAxisText, ("\xe2\x89\xa4" + label(lo)).c_str());
  const std::string hi_text = label(hi);
  dl->AddText(ImVec2(b.x - ImGui::CalcTextSize(hi_text.c_str()).x, b.y + 2), kAxisText,
              hi_text.c_str());
}

void heatmap(const char* id, const HistorySeries& s, std::size_t seconds, ImVec2 size,
             const std::string& unit) {
  ImVec2 p0, p1;
  if (!begin_area(id, size, p0, p1)) return;
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const std::size_t n = std::min(seconds, s.heatmap.size());
  const std::size_t first = s.heatmap.size() - n;
  std::uint32_t lo = UINT32_MAX, hi = 0;
  std::uint64_t max_count = 0;
  for (std::size_t c = first; c < s.heatmap.size(); ++c) {
    for (const auto& [i, count] : s.heatmap[c].cells) {
      lo = std::min(lo, i), hi = std::max(hi, i), max_count = std::max(max_count, count);
    }
  }
  if (max_count == 0) {
    dl->AddText(ImVec2(p0.x + 8, p0.y + 6), kAxisText, "no samples in this window");
    return;
  }
  const float fs = ImGui::GetFontSize();
  const float left = 58;
  const ImVec2 a(p0.x + left, p0.y + 4), b(p1.x - 4, p1.y - fs - 2);
  const float w = (b.x - a.x) / float(seconds), h = (b.y - a.y) / float(hi - lo + 1);
  const double log_max = std::log1p(double(max_count));
  const auto bound = [&](std::uint32_t i) {
    return i < s.bounds.size() ? fmt_value(s.bounds[i], unit) : std::string("?");
  };
  const ImVec2 mouse = ImGui::GetIO().MousePos;
  for (std::size_t c = first; c < s.heatmap.size(); ++c) {
    const float x0 = b.x - w * float(s.heatmap.size() - c);
    for (const auto& [i, count] : s.heatmap[c].cells) {
      const float y1 = b.y - h * float(i - lo), y0 = y1 - h;
      // Dark blue (one sample) to yellow (the busiest cell), on a log scale of counts.
      const float k = float(std::log1p(double(count)) / log_max);
      const ImU32 color = IM_COL32(int(40 + 215 * k), int(60 + 170 * k), int(140 - 100 * k), 255);
      dl->AddRectFilled(ImVec2(x0, y0), ImVec2(x0 + std::max(1.0f, w), y1), color);
      if (ImGui::IsItemHovered() && mouse.x >= x0 && mouse.x < x0 + w && mouse.y >= y0 &&
          mouse.y < y1) {
        ImGui::BeginTooltip();
        ImGui::Text("%s ago, (%s, %s]: %s samples",
                    fmt_duration_s(s.heatmap.back().t_s - s.heatmap[c].t_s).c_str(),
                    i > 0 ? bound(i - 1).c_str() : "-inf", bound(i).c_str(),
                    fmt_count(double(count)).c_str());
        ImGui::EndTooltip();
      }
    }
  }
  dl->AddText(ImVec2(p0.x + 4, a.y), kAxisText, ("\xe2\x89\xa4" + bound(hi)).c_str());
  dl->AddText(ImVec2(p0.x + 4, b.y - fs), kAxisText, ("\xe2\x89\xa4" + bound(lo)).c_str());
  const std::string span = "-" + std::to_string(seconds) + " s";
  dl->AddText(ImVec2(a.x, b.y + 2), kAxisText, span.c_str());
  dl->AddText(ImVec2(b.x - ImGui::CalcTextSize("now").x, b.y + 2), kAxisText, "now");
}

void sparkline(const char* id, const std::vector<float>& y, ImVec2 size, ImU32 color) {
  const ImVec2 p0 = ImGui::GetCursorScreenPos();
  ImGui::Dummy(size);
  (void)id;
  if (y.size() < 2) return;
  const auto [mn, mx] = std::minmax_element(y.begin(), y.end());
  const float lo = std::min(0.0f, *mn), range = std::max(*mx - lo, 1e-9f);
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float dx = size.x / float(y.size() - 1);
  for (std::size_t i = 1; i < y.size(); ++i) {
    const ImVec2 a(p0.x + dx * float(i - 1), p0.y + size.y - (y[i - 1] - lo) / range * size.y);
    const ImVec2 b(p0.x + dx * float(i), p0.y + size.y - (y[i] - lo) / range * size.y);
    dl->AddLine(a, b, color, 1.3f);
  }
}

}  // namespace shmon::inspector::plot
