// SPDX-License-Identifier: Apache-2.0
// The reply of the `commands` built-in (docs/COMMANDS.md): one command per line,
// "name<TAB>description". The text is the client's: parsed leniently, never trusted (callers
// escape what they print).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace shmon::inspector {

struct CommandInfo {
  std::string name;
  std::string description;
};

// Lines without a tab become a name without a description; empty lines are skipped.
std::vector<CommandInfo> parse_command_list(std::string_view text);

}  // namespace shmon::inspector
