// SPDX-License-Identifier: Apache-2.0
#include "suggest.hpp"

#include <algorithm>
#include <vector>

namespace shmonctl {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // Optimal string alignment distance: Levenshtein plus transposition of neighbours ("stauts").
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

std::optional<std::string> unknown_command(const CLI::App& app, int argc, const char* const* argv) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    names.push_back(sub->get_name());
  }
  std::string word;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--") break;
    if (arg.starts_with("-")) {
      // The global options that take a value as the next word.
      const CLI::Option* opt = arg.find('=') == std::string_view::npos && arg.starts_with("--")
                                   ? app.get_option_no_throw(std::string(arg))
                                   : nullptr;
      if (opt != nullptr && opt->get_type_size() != 0) ++i;
      continue;
    }
    word = arg;
    break;
  }
  if (word.empty() || std::find(names.begin(), names.end(), word) != names.end()) {
    return std::nullopt;
  }
  std::string list;
  for (const std::string& n : names) list += (list.empty() ? "" : ", ") + n;
  // The closest command: a prefix ("stat" of "status") or at most two edits away.
  std::string best;
  std::size_t best_distance = 3;
  for (const std::string& n : names) {
    const std::size_t d = n.starts_with(word) ? 1 : edit_distance(word, n);
    if (d < best_distance) {
      best = n;
      best_distance = d;
    }
  }
  std::string shown;
  for (const char c : word) {  // our own echo of what was typed: printable ASCII only
    shown += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  if (best.empty()) return "unknown command '" + shown + "' (commands: " + list + ")";
  return "unknown command '" + shown + "'; did you mean '" + best + "'? (commands: " + list + ")";
}

}  // namespace shmonctl
