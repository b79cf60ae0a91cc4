// SPDX-License-Identifier: Apache-2.0
// The main menu bar: View (the window table's entries, Reset layout), Settings (refresh rate,
// font scale, frame cap) and Help, with the instance name on the right.
#pragma once

#include <cstdint>
#include <string>

#include "views/views.hpp"

namespace shmon::inspector {

struct MenuResult {
  float height = 0;           // of the menu bar (0 when it was not drawn)
  bool reset_layout = false;  // "Reset layout" chosen this frame
  bool settings_changed = false;
};

// `applied_scale`: the font scale in use (shown when the setting is automatic); `config_dir`:
// where the settings are saved (shown in the menu). Changes to the refresh rate reach ctx.source.
MenuResult draw_main_menu(ViewContext& ctx, float applied_scale, const std::string& config_dir);

}  // namespace shmon::inspector
