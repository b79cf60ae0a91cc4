// SPDX-License-Identifier: Apache-2.0
// The status strip: green when the agent answers, red with "agent not running on instance X —
// retrying" when it does not. Also the widgets several views share.
#include "format.hpp"
#include "ui_dump.hpp"
#include "views/views.hpp"

namespace shmon::inspector {

float draw_status_strip(ViewContext& ctx, float y, float width) {
  const Snapshot& s = ctx.snap;
  const float h = ImGui::GetFrameHeight() + 8;
  ImGui::SetNextWindowPos(ImVec2(0, y));
  ImGui::SetNextWindowSize(ImVec2(width, h));
  const bool up = s.agent_up;
  const ImVec4 bg = up ? ImVec4(0.10f, 0.28f, 0.18f, 1) : ImVec4(0.55f, 0.12f, 0.12f, 1);
  ImGui::PushStyleColor(ImGuiCol_WindowBg, bg);
  ImGui::PushStyleVar(ImGuiStyleVar_WindowRounding, 0);
  ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, ImVec2(10, 4));
  ImGui::Begin("##status", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
                   ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoFocusOnAppearing |
                   ImGuiWindowFlags_NoBringToFrontOnFocus | ImGuiWindowFlags_NoNav);
  ui_dump().window("Status");
  std::string line;
  if (up) {
    line = "\xe2\x97\x8f connected to shmon-agent pid " + std::to_string(s.status.pid) +
           " on instance " + s.instance + "  |  up " + fmt_duration_s(s.status.uptime_s) + "  |  " +
           fmt_count(double(s.status.clients_connected)) + " clients  |  refresh " +
           fmt_si(ctx.settings.refresh_hz, "Hz") + ", last took " + fmt_ns(s.refresh_ms * 1e6);
    if (s.generation_changes)
      line += "  |  agent restarted " + std::to_string(s.generation_changes) + "x";
  } else {
    line = "\xe2\x97\x8f agent not running on instance " + s.instance + " \xe2\x80\x94 retrying";
    if (!s.down_reason.empty()) line += "   (" + s.down_reason + ")";
  }
  ImGui::AlignTextToFramePadding();
  ImGui::TextUnformatted(line.c_str());
  if (!s.query_error.empty()) {
    ImGui::SameLine();
    ImGui::TextColored(ImVec4(1, 0.8f, 0.3f, 1), "  query failed: %s", s.query_error.c_str());
  }
  ui_dump().text(line);
  ImGui::End();
  ImGui::PopStyleVar(2);
  ImGui::PopStyleColor();
  return h;
}

void key_value_row(const char* key, const std::string& value) {
  ImGui::TableNextRow();
  ImGui::TableNextColumn();
  const ImVec4 disabled = ImGui::GetStyle().Colors[ImGuiCol_TextDisabled];
  cell_text(key, &disabled);
  ImGui::TableNextColumn();
  ImGui::PushTextWrapPos(0);
  ImGui::TextUnformatted(value.c_str());
  ImGui::PopTextWrapPos();
  ui_dump().row({key, value});
}

void cell_text(const std::string& text, const ImVec4* color) {
  const bool fits = ImGui::CalcTextSize(text.c_str()).x <= ImGui::GetContentRegionAvail().x + 0.5f;
  if (color) {
    ImGui::TextColored(*color, "%s", text.c_str());
  } else {
    ImGui::TextUnformatted(text.c_str());
  }
  if (!fits) {
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", text.c_str());
    ui_dump().clipped(text);
  }
}

const ClientInfo* find_client(const Snapshot& s, const std::string& key) {
  for (const ClientInfo& c : s.clients) {
    if (c.key() == key) return &c;
  }
  return nullptr;
}

ImVec4 level_color(const std::string& level) {
  if (level == "warn") return ImVec4(1.0f, 0.78f, 0.3f, 1);
  if (level == "error" || level == "fatal") return ImVec4(1.0f, 0.42f, 0.42f, 1);
  if (level == "debug" || level == "trace") return ImVec4(0.6f, 0.62f, 0.68f, 1);
  return ImVec4(0.75f, 0.88f, 1.0f, 1);
}

ImVec4 state_color(const std::string& state) {
  if (state == "live") return ImVec4(0.45f, 0.9f, 0.55f, 1);
  if (state == "revoked") return ImVec4(1.0f, 0.45f, 0.4f, 1);
  if (state == "leaving") return ImVec4(0.9f, 0.75f, 0.35f, 1);
  return ImVec4(0.7f, 0.75f, 0.85f, 1);
}

}  // namespace shmon::inspector
