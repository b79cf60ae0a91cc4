// SPDX-License-Identifier: Apache-2.0
// "Did you mean": shmonctl's answer to a command it does not know, before CLI11 parses (which
// would only say that a subcommand is required).
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace shmonctl {

// The number of single-byte edits (insert, delete, replace, swap of neighbours) from a to b.
std::size_t edit_distance(std::string_view a, std::string_view b);

// One line for an unknown command in argv ("unknown command 'stat'; did you mean 'status'?"),
// nullopt when argv names a known command or none. Global options and their values are skipped.
std::optional<std::string> unknown_command(const CLI::App& app, int argc, const char* const* argv);

}  // namespace shmonctl
