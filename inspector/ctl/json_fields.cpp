// SPDX-License-Identifier: Apache-2.0
#include "json_fields.hpp"

#include <algorithm>

namespace shmonctl {
namespace {

const nlohmann::json* find(const nlohmann::json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

}  // namespace

double number(const nlohmann::json& object, std::string_view key) {
  const auto* value = find(object, key);
  return value != nullptr && value->is_number() ? value->get<double>() : 0.0;
}

std::uint64_t count(const nlohmann::json& object, std::string_view key) {
  const auto* value = find(object, key);
  if (value == nullptr) return 0;
  if (value->is_number_unsigned()) return value->get<std::uint64_t>();
  if (value->is_number_integer())
    return std::uint64_t(std::max<std::int64_t>(0, value->get<std::int64_t>()));
  if (value->is_number_float()) return std::uint64_t(std::max(0.0, value->get<double>()));
  return 0;
}

std::string text(const nlohmann::json& object, std::string_view key) {
  const auto* value = find(object, key);
  if (value == nullptr || value->is_null()) return {};
  return value->is_string() ? value->get<std::string>() : value->dump();
}

const nlohmann::json& member(const nlohmann::json& object, std::string_view key) {
  static const nlohmann::json empty = nlohmann::json::object();
  const auto* value = find(object, key);
  return value != nullptr && value->is_object() ? *value : empty;
}

}  // namespace shmonctl
