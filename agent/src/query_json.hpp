// SPDX-License-Identifier: Apache-2.0
// JSON answers to kQuery (docs/QUERIES.md). Call with ctx.mu held.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "context.hpp"
#include "shmon/protocol.hpp"

namespace shmon::agent {

std::string render_query(AgentContext& ctx, QueryKind kind, std::string_view filter,
                         std::uint64_t cursor);

}  // namespace shmon::agent
