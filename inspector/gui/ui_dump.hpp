// SPDX-License-Identifier: Apache-2.0
// A record of what one frame drew, for tests: per window, the text of its rows (table rows as
// cell lists, labels as single-cell rows), and the texts that did not fit where they were drawn
// ("clipped": a cut pid or series name is a bug at the default window size). Views call it only
// while it is enabled, so a normal frame pays nothing.
#pragma once

#include <string>
#include <vector>

namespace shmon::inspector {

class UiDump {
 public:
  bool enabled() const { return enabled_; }
  void start_frame(bool enabled);
  void window(const std::string& name);
  void row(std::vector<std::string> cells);
  void text(std::string line) { row({std::move(line)}); }
  void clipped(std::string text);  // drawn wider than its cell (views.hpp: cell_text)
  // Writes {"windows":[{"name":..., "rows":[[...],...], "clipped":[...]}], ...extra} to `path`.
  bool write(const std::string& path, const std::string& extra_json_object,
             std::string* error) const;

 private:
  struct Window {
    std::string name;
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> clipped;
  };
  bool enabled_ = false;
  std::vector<Window> windows_;
};

UiDump& ui_dump();  // the UI thread's recorder

}  // namespace shmon::inspector
