// SPDX-License-Identifier: Apache-2.0
// Telemetry: a metrics browser (a small history per metric: counters as rates, gauges as values,
// histograms as distributions) and an event tail with level filter, text search and pause.
#include <algorithm>
#include <cstring>

#include "format.hpp"
#include "metric_labels.hpp"
#include "plot.hpp"
#include "ui_dump.hpp"
#include "views/views.hpp"

namespace shmon::inspector {
namespace {

const char* const kLevels[] = {"trace", "debug", "info", "warn", "error", "fatal"};

int level_index(const std::string& level) {
  for (int i = 0; i < 6; ++i) {
    if (level == kLevels[i]) return i;
  }
  return 2;
}

bool icontains(const std::string& hay, const char* needle) {
  if (!needle[0]) return true;
  return std::search(hay.begin(), hay.end(), needle, needle + std::strlen(needle),
                     [](char a, char b) { return std::tolower(a) == std::tolower(b); }) !=
         hay.end();
}

// The metric's history as plotted: counters and event counts become per-second rates.
std::vector<float> history_values(const Snapshot& s, const MetricInfo& m, std::vector<float>* t) {
  std::vector<float> y;
  if (!s.history) return y;
  for (const HistorySeries& hs : s.history->series) {
    if (hs.name != m.name) continue;
    const bool rate = m.kind == "counter" || m.kind == "event" || m.kind == "histogram";
    for (std::size_t i = rate ? 1 : 0; i < hs.points.size(); ++i) {
      double v = hs.points[i].second;
      if (rate) {
        const double dt = hs.points[i].first - hs.points[i - 1].first;
        v = dt > 0 ? (v - hs.points[i - 1].second) / dt : 0;
      }
      y.push_back(float(v));
      if (t) t->push_back(float(hs.points[i].first));
    }
  }
  return y;
}

// A histogram: its recent window and lifetime quantiles, and a heatmap of the last two minutes
// (the lifetime distribution while the heatmap has not arrived yet).
void draw_histogram_detail(const Snapshot& s, const MetricInfo& m, float height) {
  constexpr std::size_t kHeatSeconds = 120;
  const QuantileWindow& w = m.window;
  const auto v = [&](double x) { return fmt_value(x, m.unit); };
  const std::string recent = w.count ? "p50 " + v(w.p50) + ", p90 " + v(w.p90) + ", p99 " + v(w.p99)
                                     : std::string("no samples");
  ImGui::Text("%s, last %s: %s samples, %s", m.name.c_str(), fmt_seconds(w.seconds).c_str(),
              fmt_count(double(w.count)).c_str(), recent.c_str());
  ImGui::TextDisabled("lifetime: %s samples, mean %s, p50 %s, p99 %s, max %s",
                      fmt_count(double(m.count)).c_str(), v(m.mean).c_str(), v(m.p50).c_str(),
                      v(m.p99).c_str(), v(m.max).c_str());
  ui_dump().row(
      {"window", m.name, std::to_string(w.seconds), std::to_string(w.count), v(w.p50), v(w.p99)});
  const ImVec2 size(0, std::max(20.0f, height - 2 * ImGui::GetTextLineHeightWithSpacing() - 8));
  if (s.heatmap && s.heatmap->name == m.name) {
    plot::heatmap("##heat", *s.heatmap, kHeatSeconds, size, m.unit);
    std::size_t cells = 0;
    for (const HeatColumn& c : s.heatmap->heatmap) cells += c.cells.size();
    ui_dump().row(
        {"heatmap", m.name, std::to_string(s.heatmap->heatmap.size()), std::to_string(cells)});
  } else {
    plot::bucket_histogram("##mh", m.bounds, m.buckets, size, plot::palette(2), m.unit);
  }
}

void draw_metrics(ViewContext& ctx, float height) {
  const Snapshot& s = ctx.snap;
  UiState& ui = ctx.ui;
  ImGui::SetNextItemWidth(170);
  ImGui::InputTextWithHint("##mfilter", "filter: name, label=value", ui.metric_filter,
                           sizeof ui.metric_filter);
  ImGui::SameLine();
  ImGui::SetNextItemWidth(90);
  ImGui::InputTextWithHint("##mgroup", "group by label", ui.metric_group, sizeof ui.metric_group);
  std::string problem;
  const std::vector<MetricInfo> shown =
      select_metrics(s.metrics, ui.metric_filter, ui.metric_group, &problem);
  ImGui::SameLine();
  if (!problem.empty()) {
    ImGui::TextColored(ImVec4(1, 0.5f, 0.3f, 1), "%s", problem.c_str());
  } else {
    ImGui::TextDisabled("%zu of %zu series", shown.size(), s.metrics.size());
  }
  const MetricInfo* selected = nullptr;
  for (const MetricInfo& m : shown) {
    if (m.name == ui.selected_metric) selected = &m;
  }
  const bool histogram = selected && selected->kind == "histogram";
  const float detail_h = !selected   ? 0
                         : histogram ? std::min(220.0f, height * 0.55f)
                                     : std::min(150.0f, height * 0.45f);
  if (ImGui::BeginTable(
          "metrics", 4,
          ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY | ImGuiTableFlags_ScrollX |
              ImGuiTableFlags_BordersInnerV,
          ImVec2(0, std::max(60.0f, height - detail_h - ImGui::GetFrameHeight() - 8)))) {
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("series", kFitColumn);
    ImGui::TableSetupColumn("total", kFitColumn);
    ImGui::TableSetupColumn("now", kFitColumn);
    ImGui::TableSetupColumn("history",
                            ImGuiTableColumnFlags_WidthFixed | ImGuiTableColumnFlags_NoResize, 64);
    ImGui::TableHeadersRow();
    for (const MetricInfo& m : shown) {
      // A histogram's total is its sample count: no unit.
      const std::string total =
          m.kind == "histogram" ? fmt_count(m.total) : fmt_value(m.total, m.unit);
      // Histograms: the p99 of the agent's recent window (the lifetime one barely moves).
      const std::string now =
          m.kind == "gauge" ? fmt_value(m.total, m.unit)
          : m.kind == "histogram"
              ? "p99 " + (m.window.count ? fmt_value(m.window.p99, m.unit) : "-")
              : fmt_rate(m.rate_per_s);
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::PushID(m.name.c_str());
      // The series name with its labels is what tells rows apart: never cut it silently.
      if (ImGui::CalcTextSize(m.name.c_str()).x > ImGui::GetContentRegionAvail().x + 0.5f) {
        ui_dump().clipped(m.name);
      }
      if (ImGui::Selectable(m.name.c_str(), selected == &m, ImGuiSelectableFlags_SpanAllColumns)) {
        ui.selected_metric = selected == &m ? "" : m.name;
      }
      if (ImGui::IsItemHovered()) {
        ImGui::SetTooltip("%s %s, %llu live clients", m.kind.c_str(), m.name.c_str(),
                          static_cast<unsigned long long>(m.live_clients));
      }
      ImGui::TableNextColumn();
      cell_text(total);
      ImGui::TableNextColumn();
      cell_text(now);
      ImGui::TableNextColumn();
      std::vector<float> y = history_values(s, m, nullptr);
      if (y.size() > 60) y.erase(y.begin(), y.end() - 60);
      plot::sparkline("##spark", y, ImVec2(60, ImGui::GetTextLineHeight()),
                      plot::palette(m.kind == "gauge"       ? 3
                                    : m.kind == "histogram" ? 2
                                                            : 0));
      ImGui::PopID();
      ui_dump().row({m.name, m.kind, total, now});
    }
    ImGui::EndTable();
  }
  // By name, not by the selected row: before the first metrics answer there is no row yet.
  ctx.source.want_heatmap(ui.selected_metric);
  if (selected) {
    const MetricInfo& m = *selected;
    if (m.kind == "histogram") {
      draw_histogram_detail(s, m, detail_h);
    } else {
      std::vector<float> t;
      std::vector<float> y = history_values(s, m, &t);
      const bool rate = m.kind != "gauge";
      ImGui::Text("%s %s over the last %s", m.name.c_str(), rate ? "per second" : "value",
                  t.empty() ? "-" : fmt_duration_s(t.back() - t.front()).c_str());
      plot::time_plot(
          "##mt", {{m.name, t, y, plot::palette(0)}}, ImVec2(0, detail_h - 26),
          t.empty() ? 0 : t.front(), t.empty() ? 1 : t.back(),
          [rate, unit = m.unit](double v) { return rate ? fmt_rate(v) : fmt_value(v, unit); });
    }
  }
}

void draw_event_tail(ViewContext& ctx) {
  const Snapshot& s = ctx.snap;
  EventTailState& st = ctx.ui.tail;
  if (ImGui::Checkbox("pause", &st.paused) && st.paused) st.frozen = s.events;
  if (!st.paused) st.frozen.reset();
  ImGui::SameLine();
  ImGui::SetNextItemWidth(90);
  ImGui::Combo("##level", &st.min_level, kLevels, 6);
  ImGui::SameLine();
  ImGui::SetNextItemWidth(std::max(80.0f, ImGui::GetContentRegionAvail().x - 120));
  ImGui::InputTextWithHint("##search", "search client, event, text", st.search, sizeof st.search);
  const auto& events = st.paused && st.frozen ? st.frozen : s.events;
  ImGui::SameLine();
  if (st.paused && s.events && st.frozen) {
    const long behind = long(s.events->size()) - long(st.frozen->size());
    ImGui::TextColored(ImVec4(1, 0.8f, 0.3f, 1), "paused (+%ld)", std::max(0L, behind));
  } else {
    ImGui::TextDisabled("%zu events", events ? events->size() : 0);
  }
  std::vector<const EventInfo*> rows;
  if (events) {
    for (auto it = events->rbegin(); it != events->rend(); ++it) {
      if (level_index(it->level) < st.min_level) continue;
      if (st.search[0] && !icontains(it->text, st.search) && !icontains(it->name, st.search) &&
          !icontains(it->client, st.search)) {
        continue;
      }
      rows.push_back(&*it);
    }
  }
  if (ImGui::BeginTable("tail", 5,
                        ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY |
                            ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_Resizable)) {
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("time", kFitColumn);
    ImGui::TableSetupColumn("level", kFitColumn);
    ImGui::TableSetupColumn("client", kFitColumn);
    ImGui::TableSetupColumn("event", kFitColumn);
    ImGui::TableSetupColumn("text", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableHeadersRow();
    ImGuiListClipper clipper;
    clipper.Begin(int(rows.size()));
    while (clipper.Step()) {
      for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
        const EventInfo& e = *rows[i];
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(fmt_wall_ms(e.ts_ns).c_str());
        ImGui::TableNextColumn();
        ImGui::TextColored(level_color(e.level), "%s", e.level.c_str());
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(e.client.c_str());
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(e.name.c_str());
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(e.text.c_str());
      }
    }
    ImGui::EndTable();
  }
  if (ui_dump().enabled()) {
    for (std::size_t i = 0; i < rows.size() && i < 200; ++i) {
      ui_dump().row({"event", rows[i]->client, rows[i]->name, rows[i]->level, rows[i]->text});
    }
  }
}

}  // namespace

void draw_telemetry_view(ViewContext& ctx, bool* open) {
  if (!ImGui::Begin("Telemetry", open)) {
    ImGui::End();
    return;
  }
  ui_dump().window("Telemetry");
  const float avail = ImGui::GetContentRegionAvail().y;
  ImGui::BeginChild("metrics", ImVec2(0, avail * 0.55f), false);
  draw_metrics(ctx, avail * 0.55f);
  ImGui::EndChild();
  ImGui::Separator();
  ImGui::BeginChild("events", ImVec2(0, 0), false);
  draw_event_tail(ctx);
  ImGui::EndChild();
  ImGui::End();
}

}  // namespace shmon::inspector
