// SPDX-License-Identifier: Apache-2.0
// Text a client wrote (names, event text, units) is untrusted: printed raw to a terminal it could
// move the cursor, rewrite the screen or set the window title. Every reader prints it through
// escape_for_terminal.
#pragma once

#include <string>
#include <string_view>

namespace shmon::inspector {

// C0 controls (including ESC, BEL, CR, LF, TAB) and DEL become \xNN; C1 controls (U+0080-U+009F)
// and the bidirectional and invisible format characters (U+200B-U+200F, U+202A-U+202E,
// U+2066-U+2069, which reorder or hide the text around them) become \u{XXXX}; a backslash
// becomes \\. Other bytes (other UTF-8 included, invalid UTF-8 too) pass unchanged.
std::string escape_for_terminal(std::string_view text);

}  // namespace shmon::inspector
