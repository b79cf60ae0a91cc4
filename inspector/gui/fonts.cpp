// SPDX-License-Identifier: Apache-2.0
#include "fonts.hpp"

#include <unistd.h>

namespace shmon::inspector {
namespace {

const ImWchar* glyph_ranges() {
  static ImVector<ImWchar> ranges;
  if (ranges.empty()) {
    ImFontGlyphRangesBuilder b;
    b.AddRanges(ImGui::GetIO().Fonts->GetGlyphRangesDefault());
    b.AddText(
        "\xe2\x80\x94\xe2\x80\xa6\xe2\x97\x8f\xe2\x89\xa4\xe2\x96\xb2\xe2\x96\xbc");  // —…●≤▲▼
    b.BuildRanges(&ranges);
  }
  return ranges.Data;
}

ImFont* load(const char* path, float size) {
  ImGuiIO& io = ImGui::GetIO();
  if (::access(path, R_OK) == 0) {
    ImFontConfig cfg;
    cfg.OversampleH = 2;
    if (ImFont* f = io.Fonts->AddFontFromFileTTF(path, size, &cfg, glyph_ranges())) return f;
  }
  ImFontConfig cfg;
  cfg.SizePixels = 13.0f * size / 15.0f;
  return io.Fonts->AddFontDefault(&cfg);
}

}  // namespace

Fonts load_fonts(float scale) {
  ImGui::GetIO().Fonts->Clear();
  Fonts f;
  f.ui = load("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 15.0f * scale);
  f.mono = load("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf", 13.0f * scale);
  return f;
}

}  // namespace shmon::inspector
