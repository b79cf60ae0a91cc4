// SPDX-License-Identifier: Apache-2.0
#include "command_list.hpp"

namespace shmon::inspector {

std::vector<CommandInfo> parse_command_list(std::string_view text) {
  std::vector<CommandInfo> out;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line.empty()) continue;
    const std::size_t tab = line.find('\t');
    out.push_back({std::string(line.substr(0, tab)), tab == std::string_view::npos
                                                         ? std::string()
                                                         : std::string(line.substr(tab + 1))});
  }
  return out;
}

}  // namespace shmon::inspector
