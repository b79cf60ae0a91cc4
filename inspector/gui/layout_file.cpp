// SPDX-License-Identifier: Apache-2.0
#include "layout_file.hpp"

#include <imgui.h>

#include "settings.hpp"

namespace shmon::inspector {

void LayoutFile::load() const {
  if (std::string text; read_small_file(path_, kMaxSettingsFile, text, nullptr)) {
    ImGui::LoadIniSettingsFromMemory(text.data(), text.size());
  }
}

void LayoutFile::save() const {
  std::size_t size = 0;
  const char* text = ImGui::SaveIniSettingsToMemory(&size);
  write_file_atomically(path_, std::string(text, size), nullptr);
  ImGui::GetIO().WantSaveIniSettings = false;
}

void LayoutFile::save_if_changed() const {
  if (ImGui::GetIO().WantSaveIniSettings) save();
}

}  // namespace shmon::inspector
