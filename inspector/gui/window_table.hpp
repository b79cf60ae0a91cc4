// SPDX-License-Identifier: Apache-2.0
// The inspector's windows, as one table. Each entry is a window: its name (the ImGui window id,
// the View menu label and the name in the UI dump), the setting that shows it, its place in the
// default layout and its draw function. The View menu, the Ctrl+1..6 shortcuts and the frame
// loop all walk this table, so a new window is one entry.
#pragma once

#include <imgui.h>

#include <span>

#include "settings.hpp"
#include "views/views.hpp"

namespace shmon::inspector {

// The area below the menu bar and the status strip, split into a left and a right column.
struct LayoutArea {
  float top, height, left_width, right_width;
  float title_height;  // of a window's title bar: what a collapsed window takes
};
struct WindowPlace {
  ImVec2 pos, size;
  bool collapsed = false;  // starts as its title bar only
};

struct WindowEntry {
  const char* name;
  bool Settings::*shown;
  WindowPlace (*place)(const LayoutArea& area);
  void (*draw)(ViewContext& ctx, bool* open);
};

std::span<const WindowEntry> windows();

// The View menu's entries ("Agent  Ctrl+1" ...). REQUIRES: inside an open menu.
void window_menu_items(Settings& settings);
// Ctrl+1..6 opens and focuses a window; Ctrl+F the client filter.
void handle_window_shortcuts(ViewContext& ctx);
// Draws every shown window, placed by the default layout the first time (ImGui's layout file
// keeps the user's own), or always when `reset_layout`. `top`: where the area starts.
void draw_windows(ViewContext& ctx, float top, bool reset_layout);

}  // namespace shmon::inspector
