// SPDX-License-Identifier: Apache-2.0
// Validation of every name that crosses a process boundary or becomes part of a path.
// Instance names: 1..64 bytes of [A-Za-z0-9._-], not starting with '.', never "..".
// Client names: 1..63 bytes of printable ASCII without '/', '\\', quotes or control characters.
// Metric names: 1..63 bytes of [A-Za-z0-9_.:-], starting with a letter or '_'.
// Command names: 1..31 bytes of [A-Za-z0-9._-].
// Each validator returns an empty optional when the name is valid, else a plain sentence that
// names the offending byte or limit, suitable for a user-facing message.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace shmon {

std::optional<std::string> check_instance_name(std::string_view name);
// The instance a program serves or talks to, the one rule for all of them: `given` (its
// --instance) when not empty, else $SHMON_INSTANCE when set and not empty, else "default".
// Not validated: each caller reports a bad name in its own way (check_instance_name).
std::string resolve_instance_name(std::string_view given);
std::optional<std::string> check_client_name(std::string_view name);
std::optional<std::string> check_metric_name(std::string_view name);
std::optional<std::string> check_command_name(std::string_view name);

// A name as a message quotes it: in single quotes, control and non-ASCII bytes as \xNN, so the
// message stays one printable line.
std::string quote_name(std::string_view name);

// Reads a NUL-terminated name out of a fixed-size field that untrusted memory supplied.
// Returns nullopt when the field holds no NUL within `capacity` bytes.
std::optional<std::string> read_fixed_name(const char* field, std::size_t capacity);

// Copies `name` into a fixed field, NUL-padded. The caller has validated the length.
void write_fixed_name(char* field, std::size_t capacity, std::string_view name);

}  // namespace shmon
