// SPDX-License-Identifier: Apache-2.0
// A record of what one frame drew, for tests: per window, the text of its rows (table rows as
// cell lists, labels as single-cell rows). Views call it only while it is enabled, so a normal
// frame pays nothing.
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
  // Writes {"windows":[{"name":..., "rows":[[...],...]}], ...extra} to `path`.
  bool write(const std::string& path, const std::string& extra_json_object,
             std::string* error) const;

 private:
  struct Window {
    std::string name;
    std::vector<std::vector<std::string>> rows;
  };
  bool enabled_ = false;
  std::vector<Window> windows_;
};

UiDump& ui_dump();  // the UI thread's recorder

}  // namespace shmon::inspector
