// SPDX-License-Identifier: Apache-2.0
#include "main_menu.hpp"

#include "window_table.hpp"

namespace shmon::inspector {
namespace {

void view_menu(ViewContext& ctx, MenuResult& r) {
  if (!ImGui::BeginMenu("View")) return;
  window_menu_items(ctx.settings);
  ImGui::Separator();
  if (ImGui::MenuItem("Reset layout")) r.reset_layout = true;
  ImGui::EndMenu();
}

void settings_menu(ViewContext& ctx, float applied_scale, const std::string& config_dir,
                   MenuResult& r) {
  if (!ImGui::BeginMenu("Settings")) return;
  Settings& settings = ctx.settings;
  float hz = float(settings.refresh_hz);
  if (ImGui::SliderFloat("refresh (Hz)", &hz, 0.5f, 20.0f, "%.1f")) {
    settings.refresh_hz = hz;
    ctx.source.set_refresh_hz(hz);
    r.settings_changed = true;
  }
  float scale = settings.font_scale > 0 ? settings.font_scale : applied_scale;
  if (ImGui::SliderFloat("font scale", &scale, 0.75f, 3.0f, "%.2f")) {
    settings.font_scale = scale;
    r.settings_changed = true;
  }
  if (ImGui::SliderInt("max fps", &settings.fps_cap, 10, 240)) r.settings_changed = true;
  ImGui::TextDisabled("saved in %s", config_dir.c_str());
  ImGui::EndMenu();
}

void help_menu() {
  if (!ImGui::BeginMenu("Help")) return;
  ImGui::TextUnformatted(
      "Ctrl+1..6  focus a window (opens it)\n"
      "Ctrl+Tab   cycle windows;  arrows/Enter/Space: move, activate\n"
      "Ctrl+F     filter clients;  Esc: close client details\n"
      "Raw view:  arrows, PgUp/PgDn, Home/End move the byte cursor; F freezes\n"
      "Telemetry: pause checkbox stops the event tail");
  ImGui::EndMenu();
}

}  // namespace

MenuResult draw_main_menu(ViewContext& ctx, float applied_scale, const std::string& config_dir) {
  MenuResult r;
  if (!ImGui::BeginMainMenuBar()) return r;
  view_menu(ctx, r);
  settings_menu(ctx, applied_scale, config_dir, r);
  help_menu();
  ImGui::TextDisabled("   instance %s", ctx.snap.instance.c_str());
  r.height = ImGui::GetWindowSize().y;
  ImGui::EndMainMenuBar();
  return r;
}

}  // namespace shmon::inspector
