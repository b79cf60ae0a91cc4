// SPDX-License-Identifier: Apache-2.0
#include "style.hpp"

#include <imgui.h>

namespace shmon::inspector {

void apply_style(float scale) {
  ImGui::StyleColorsDark();
  ImGuiStyle& st = ImGui::GetStyle();
  st.WindowRounding = 4;
  st.FrameRounding = 3;
  st.GrabRounding = 3;
  st.TabRounding = 3;
  st.ScrollbarRounding = 3;
  st.WindowPadding = ImVec2(8, 6);
  st.ItemSpacing = ImVec2(7, 4);
  st.CellPadding = ImVec2(5, 2);
  ImVec4* c = st.Colors;
  c[ImGuiCol_WindowBg] = ImVec4(0.105f, 0.115f, 0.14f, 1);
  c[ImGuiCol_ChildBg] = ImVec4(0.09f, 0.10f, 0.12f, 0.6f);
  c[ImGuiCol_TitleBg] = ImVec4(0.13f, 0.16f, 0.22f, 1);
  c[ImGuiCol_TitleBgActive] = ImVec4(0.17f, 0.25f, 0.38f, 1);
  c[ImGuiCol_Header] = ImVec4(0.22f, 0.36f, 0.56f, 0.55f);
  c[ImGuiCol_TableRowBgAlt] = ImVec4(1, 1, 1, 0.035f);
  c[ImGuiCol_TableHeaderBg] = ImVec4(0.16f, 0.19f, 0.25f, 1);
  st.ScaleAllSizes(scale);
}

}  // namespace shmon::inspector
