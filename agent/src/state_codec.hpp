// SPDX-License-Identifier: Apache-2.0
// JSON encoding of what the state store keeps as documents: folded values (departed totals,
// tombstones, live snapshots) and event sources. Decoding validates kinds and sizes and throws
// std::runtime_error on anything malformed (the store treats that as bad state).
#pragma once

#include <nlohmann/json.hpp>

#include "aggregate.hpp"
#include "event_log.hpp"

namespace shmon::agent {

nlohmann::json encode_folded(const Folded& f);
Folded decode_folded(const nlohmann::json& j);

nlohmann::json encode_source(const EventSource& s);
EventSource decode_source(const nlohmann::json& j);

}  // namespace shmon::agent
