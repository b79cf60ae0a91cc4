// SPDX-License-Identifier: Apache-2.0
// Settings that persist across runs in $XDG_CONFIG_HOME/shmon (else ~/.config/shmon):
// inspector.json (refresh rate, font scale, open windows, the window's size) and
// inspector-imgui.ini (window layout, produced by ImGui, read and written here). Both files are
// input from outside: each value is checked against its range before use (an out-of-range one keeps
// its default and is never saved back), only regular files of at most kMaxSettingsFile bytes are
// read (a FIFO, a device or a link to one is refused without blocking), and saving writes a
// temporary file, then renames it over the old one.
#pragma once

#include <cstddef>
#include <string>

namespace shmon::inspector {

inline constexpr std::size_t kMaxSettingsFile = 256 * 1024;

// Ranges of the persisted values (the command line uses the same).
inline constexpr double kMinRefreshHz = 0.2, kMaxRefreshHz = 60;
inline constexpr float kMinFontScale = 0.5f, kMaxFontScale = 4;  // or 0: automatic
inline constexpr int kMinFpsCap = 10, kMaxFpsCap = 240;
inline constexpr int kMinWidth = 320, kMaxWidth = 8192, kMinHeight = 240, kMaxHeight = 8192;
inline constexpr int kDefaultWidth = 1280, kDefaultHeight = 800;

struct Settings {
  double refresh_hz = 4;
  float font_scale = 0;  // 0: follow the monitor's content scale
  bool show_agent = true, show_clients = true, show_mutex = true, show_timeouts = true,
       show_telemetry = true, show_raw = true;
  int fps_cap = 60;
  // The window's size when it was last closed (or resized); the next run opens at it.
  int window_width = kDefaultWidth, window_height = kDefaultHeight;
};

std::string config_dir();  // created (0700) on first save
Settings load_settings(const std::string& dir);
// Writes atomically (temp file + rename); returns false and sets *error on failure.
bool save_settings(const std::string& dir, const Settings& s, std::string* error);

// Reads `path` if it is a regular file of at most `max_bytes`; false (and *error) otherwise.
bool read_small_file(const std::string& path, std::size_t max_bytes, std::string& out,
                     std::string* error);
// Writes `text` to `path` atomically: a temporary file beside it (never following a link),
// then rename.
bool write_file_atomically(const std::string& path, const std::string& text, std::string* error);

}  // namespace shmon::inspector
