// SPDX-License-Identifier: Apache-2.0
// ImGui's window layout (positions, sizes), kept beside the settings as inspector-imgui.ini.
// ImGui's own file I/O would follow a FIFO or a device: we read it (bounded, regular files only)
// and write it (atomically) for ImGui, with the helpers of settings.hpp.
#pragma once

#include <string>

namespace shmon::inspector {

class LayoutFile {
 public:
  explicit LayoutFile(const std::string& config_dir) : path_(config_dir + "/inspector-imgui.ini") {}
  // REQUIRES: an ImGui context whose IniFilename is null.
  void load() const;
  void save() const;
  void save_if_changed() const;  // when ImGui says the layout changed

 private:
  std::string path_;
};

}  // namespace shmon::inspector
