// SPDX-License-Identifier: Apache-2.0
// The inspector's look: ImGui's dark style with our colours and spacing, scaled for the screen.
#pragma once

namespace shmon::inspector {

// REQUIRES: an ImGui context. Sets colours, roundings, padding and spacing, then scales every
// size by `scale` (sizes it does not set are scaled again on each call).
void apply_style(float scale);

}  // namespace shmon::inspector
