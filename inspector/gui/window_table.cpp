// SPDX-License-Identifier: Apache-2.0
#include "window_table.hpp"

#include <GLFW/glfw3.h>

#include <cctype>
#include <string>
#include <string_view>
#include <vector>

namespace shmon::inspector {
namespace {

// The default layout: Agent, Mutex and Timeouts stacked on the left; Clients across the top of
// the right column, Telemetry under it across the whole column (series names with their labels
// need the width), and the raw region collapsed to its title bar at the bottom: it is for
// digging, and open it took 40 % of a 1280x800 screen from the tables. Opened, it grows upwards
// over Telemetry (raw_view.cpp keeps it on screen).
constexpr WindowEntry kWindows[] = {
    {"Agent", &Settings::show_agent,
     [](const LayoutArea& a) {
       return WindowPlace{{0, a.top}, {a.left_width, a.height * 0.36f}};
     },
     draw_agent_view},
    {"Clients", &Settings::show_clients,
     [](const LayoutArea& a) {
       return WindowPlace{{a.left_width, a.top}, {a.right_width, a.height * 0.36f}};
     },
     draw_clients_view},
    {"Mutex", &Settings::show_mutex,
     [](const LayoutArea& a) {
       return WindowPlace{{0, a.top + a.height * 0.36f}, {a.left_width, a.height * 0.42f}};
     },
     draw_mutex_view},
    {"Timeouts", &Settings::show_timeouts,
     [](const LayoutArea& a) {
       return WindowPlace{{0, a.top + a.height * 0.78f}, {a.left_width, a.height * 0.22f}};
     },
     draw_timeouts_view},
    {"Telemetry", &Settings::show_telemetry,
     [](const LayoutArea& a) {
       return WindowPlace{{a.left_width, a.top + a.height * 0.36f},
                          {a.right_width, a.height * 0.64f - a.title_height}};
     },
     draw_telemetry_view},
    {"Raw region", &Settings::show_raw,
     [](const LayoutArea& a) {
       return WindowPlace{{a.left_width, a.top + a.height - a.title_height},
                          {a.right_width, a.height * 0.6f},
                          /*collapsed=*/true};
     },
     draw_raw_view},
};
static_assert(std::size(kWindows) <= 9, "shortcuts are Ctrl+1..9");

// --expand NAME: the window's name or its first word, in any case ("raw", "Telemetry").
bool expand_requested(const std::vector<std::string>& wanted, std::string_view window) {
  const auto lower = [](std::string_view s) {
    std::string out(s);
    for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
    return out;
  };
  const std::string name = lower(window);
  const std::string first = name.substr(0, name.find(' '));
  for (const std::string& w : wanted) {
    if (lower(w) == name || lower(w) == first) return true;
  }
  return false;
}

std::string shortcut(std::size_t index) {
  return "Ctrl+" + std::to_string(index + 1);
}

}  // namespace

std::span<const WindowEntry> windows() {
  return kWindows;
}

void window_menu_items(Settings& settings) {
  for (std::size_t i = 0; i < std::size(kWindows); ++i) {
    ImGui::MenuItem(kWindows[i].name, shortcut(i).c_str(), &(settings.*kWindows[i].shown));
  }
}

void handle_window_shortcuts(ViewContext& ctx) {
  const ImGuiIO& io = ImGui::GetIO();
  if (io.KeyCtrl && !io.WantTextInput) {
    for (std::size_t i = 0; i < std::size(kWindows); ++i) {
      if (ImGui::IsKeyPressed(ImGuiKey(GLFW_KEY_1 + int(i)), false)) {
        ctx.settings.*kWindows[i].shown = true;
        ImGui::SetWindowFocus(kWindows[i].name);
      }
    }
  }
  if (io.KeyCtrl && ImGui::IsKeyPressed(ImGuiKey(GLFW_KEY_F), false)) {
    ctx.settings.show_clients = true;
    ImGui::SetWindowFocus("Clients");
    ctx.ui.focus_filter = true;
  }
}

void draw_windows(ViewContext& ctx, float top, bool reset_layout) {
  const ImVec2 display = ImGui::GetIO().DisplaySize;
  const float left = display.x * 0.29f;
  const LayoutArea area{top, display.y - top, left, display.x - left, ImGui::GetFrameHeight()};
  const ImGuiCond cond = reset_layout ? ImGuiCond_Always : ImGuiCond_FirstUseEver;
  for (const WindowEntry& w : kWindows) {
    const WindowPlace place = w.place(area);
    ImGui::SetNextWindowPos(place.pos, cond);
    ImGui::SetNextWindowSize(place.size, cond);
    ImGui::SetNextWindowCollapsed(place.collapsed, cond);
    bool& shown = ctx.settings.*w.shown;
    if (expand_requested(ctx.ui.expand_once, w.name)) {
      shown = true;
      ImGui::SetNextWindowCollapsed(false, ImGuiCond_Always);
    }
    if (shown) w.draw(ctx, &shown);
  }
  ctx.ui.expand_once.clear();  // --expand acts on the first frame only
  // The raw view asks the worker for a client's data region; nobody needs it while hidden.
  if (!ctx.settings.show_raw) ctx.source.want_data_region(-1);
}

}  // namespace shmon::inspector
