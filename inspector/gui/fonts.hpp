// SPDX-License-Identifier: Apache-2.0
// Fonts: DejaVu Sans for text and DejaVu Sans Mono for the hex view when installed (crisp at any
// scale), ImGui's built-in font otherwise. Sized by the font scale for high-DPI screens.
#pragma once

#include <imgui.h>

namespace shmon::inspector {

struct Fonts {
  ImFont* ui = nullptr;
  ImFont* mono = nullptr;
};

// Clears the atlas and loads both fonts at `scale`; the caller re-uploads the texture.
Fonts load_fonts(float scale);

}  // namespace shmon::inspector
