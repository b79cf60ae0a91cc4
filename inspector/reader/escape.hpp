// SPDX-License-Identifier: Apache-2.0
// Text a client wrote (names, event text, units) is untrusted: printed raw to a terminal it could
// move the cursor, rewrite the screen or set the window title. Every reader prints it through
// escape_for_terminal.
#pragma once

#include <string>
#include <string_view>

namespace shmon::inspector {

// C0 controls (including ESC, BEL, CR, LF, TAB) and DEL become \xNN; a backslash becomes \\.
// Other bytes (UTF-8 included) pass unchanged.
std::string escape_for_terminal(std::string_view text);

}  // namespace shmon::inspector
