// SPDX-License-Identifier: Apache-2.0
#include "ui_dump.hpp"

#include <fstream>
#include <nlohmann/json.hpp>

namespace shmon::inspector {

UiDump& ui_dump() {
  static UiDump dump;
  return dump;
}

void UiDump::start_frame(bool enabled) {
  enabled_ = enabled;
  windows_.clear();
}

void UiDump::window(const std::string& name) {
  if (!enabled_) return;
  for (auto& w : windows_) {
    if (w.name == name) {
      // Re-entering a window (ImGui allows Begin twice): keep appending to it, at the back.
      Window again = std::move(w);
      std::erase_if(windows_, [&](const Window& x) { return x.name == name; });
      windows_.push_back(std::move(again));
      return;
    }
  }
  windows_.push_back({name, {}, {}});
}

void UiDump::row(std::vector<std::string> cells) {
  if (!enabled_) return;
  if (windows_.empty()) windows_.push_back({"(none)", {}, {}});
  windows_.back().rows.push_back(std::move(cells));
}

void UiDump::clipped(std::string text) {
  if (!enabled_) return;
  if (windows_.empty()) windows_.push_back({"(none)", {}, {}});
  windows_.back().clipped.push_back(std::move(text));
}

bool UiDump::write(const std::string& path, const std::string& extra, std::string* error) const {
  nlohmann::json j = nlohmann::json::object();
  if (!extra.empty()) {
    auto e = nlohmann::json::parse(extra, nullptr, false);
    if (e.is_object()) j = e;
  }
  nlohmann::json windows = nlohmann::json::array();
  for (const Window& w : windows_)
    windows.push_back({{"name", w.name}, {"rows", w.rows}, {"clipped", w.clipped}});
  j["windows"] = windows;
  std::ofstream out(path, std::ios::trunc);
  // Names from regions may hold any byte: replace invalid UTF-8 rather than throw.
  out << j.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  if (!out) {
    if (error) *error = "cannot write " + path;
    return false;
  }
  return true;
}

}  // namespace shmon::inspector
