// Settings that persist across runs in $XDG_CONFIG_HOME/shmon (else ~/.config/shmon):
// inspector.json (refresh rate, font scale, open windows) and inspector-imgui.ini (window layout,
// written by ImGui itself).
#pragma once

#include <string>

namespace shmon::inspector {

struct Settings {
  double refresh_hz = 4;
  float font_scale = 0;  // 0: follow the monitor's content scale
  bool show_agent = true, show_clients = true, show_mutex = true, show_timeouts = true,
       show_telemetry = true, show_raw = true;
  int fps_cap = 60;
};

std::string config_dir();  // created (0700) on first save
Settings load_settings(const std::string& dir);
// Writes atomically (temp file + rename); returns false and sets *error on failure.
bool save_settings(const std::string& dir, const Settings& s, std::string* error);

}  // namespace shmon::inspector
