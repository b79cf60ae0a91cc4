// SPDX-License-Identifier: Apache-2.0
// Tolerant readers for the agent's JSON: a missing or mistyped field reads as zero or "",
// so a view still renders when the agent adds, renames or omits a field.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace shmonctl {

double number(const nlohmann::json& object, std::string_view key);
std::uint64_t count(const nlohmann::json& object, std::string_view key);
std::string text(const nlohmann::json& object, std::string_view key);
// The member `key` if it is an object, else an empty object.
const nlohmann::json& member(const nlohmann::json& object, std::string_view key);

}  // namespace shmonctl

namespace shmonctl {}  // namespace shmonctl
