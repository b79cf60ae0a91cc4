// SPDX-License-Identifier: Apache-2.0
// Timeouts: a timeline (one lane per client) and a list: who, which wait, when, how long.
#include <map>

#include "format.hpp"
#include "plot.hpp"
#include "shmon/limits.hpp"
#include "ui_dump.hpp"
#include "views/views.hpp"

namespace shmon::inspector {

void draw_timeouts_view(ViewContext& ctx, bool* open) {
  if (!ImGui::Begin("Timeouts", open)) {
    ImGui::End();
    return;
  }
  ui_dump().window("Timeouts");
  const Snapshot& s = ctx.snap;
  const auto& list = s.timeouts;
  ImGui::Text("%s timeouts seen", fmt_count(double(list.size())).c_str());
  ImGui::SameLine();
  ImGui::PushTextWrapPos(0);  // the left column is narrow: wrap, do not cut
  ImGui::TextDisabled("(lock: the client mutex; done: the agent's answer)  last 2 min:");
  ImGui::PopTextWrapPos();

  // Timeline: lanes of clients that timed out, dots at the moment we noticed.
  std::map<std::string, int> lanes;
  for (const TimeoutEvent& e : list) lanes.emplace(e.client, 0);
  int lane = 0;
  for (auto& [name, index] : lanes) index = lane++;
  const float fs = ImGui::GetFontSize();
  const float lane_h = fs + 4;
  const float h = std::max(2.0f, float(lanes.size())) * lane_h + fs + 8;
  const ImVec2 p0 = ImGui::GetCursorScreenPos();
  const float w = ImGui::GetContentRegionAvail().x;
  ImGui::InvisibleButton("##timeline", ImVec2(w, h));
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->AddRectFilled(p0, ImVec2(p0.x + w, p0.y + h), IM_COL32(20, 24, 32, 255), 3);
  const float left = p0.x + 110, right = p0.x + w - 8;
  const double t0 = s.t - 120, t1 = s.t;
  for (const auto& [name, index] : lanes) {
    const float y = p0.y + 4 + float(index) * lane_h;
    dl->AddText(ImVec2(p0.x + 6, y), IM_COL32(170, 176, 190, 255), name.c_str());
    dl->AddLine(ImVec2(left, y + lane_h * 0.5f), ImVec2(right, y + lane_h * 0.5f),
                IM_COL32(70, 76, 90, 120));
  }
  for (int sec = 0; sec <= 120; sec += 30) {
    const float x = right - (right - left) * float(sec) / 120;
    char buf[16];
    std::snprintf(buf, sizeof buf, "-%d s", sec);  // an axis tick, whole seconds
    dl->AddText(ImVec2(x - 10, p0.y + h - fs - 2), IM_COL32(150, 156, 170, 255), buf);
  }
  for (const TimeoutEvent& e : list) {
    if (e.t < t0) continue;
    const float x = left + float((e.t - t0) / (t1 - t0)) * (right - left);
    const float y = p0.y + 4 + float(lanes[e.client]) * lane_h + lane_h * 0.5f;
    dl->AddCircleFilled(ImVec2(x, y), 4.5f,
                        e.lock ? IM_COL32(255, 90, 80, 255) : IM_COL32(240, 190, 60, 255));
  }
  if (lanes.empty()) {
    dl->AddText(ImVec2(p0.x + 10, p0.y + 6), IM_COL32(120, 200, 140, 255), "no timeouts");
  }

  if (ImGui::BeginTable("tlist", 5,
                        ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY |
                            ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_Resizable)) {
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("when", kFitColumn);
    ImGui::TableSetupColumn("who", kFitColumn);
    ImGui::TableSetupColumn("wait", kFitColumn);
    ImGui::TableSetupColumn("count", kFitColumn);
    ImGui::TableSetupColumn("how long", kFitColumn);
    ImGui::TableHeadersRow();
    for (auto it = list.rbegin(); it != list.rend(); ++it) {
      const std::string wait_len =
          it->lock ? "lock timeout (" + fmt_ns(double(kDefaultLockTimeoutMs) * 1e6) + " default)"
                   : "done timeout (" + fmt_ns(double(kDefaultDoneTimeoutMs) * 1e6) + " default)";
      const std::vector<std::string> cells = {
          fmt_wall(it->wall_ns) + " (within " + fmt_duration_s(it->interval_s) + ")",
          it->client + " (pid " + std::to_string(it->pid) + ")", it->lock ? "lock" : "done",
          fmt_count(double(it->count)), wait_len};
      ImGui::TableNextRow();
      for (const auto& c : cells) {
        ImGui::TableNextColumn();
        cell_text(c);
      }
      ui_dump().row(cells);
    }
    ImGui::EndTable();
  }
  ImGui::End();
}

}  // namespace shmon::inspector
