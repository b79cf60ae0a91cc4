// SPDX-License-Identifier: Apache-2.0
// Event emission into the calling thread's shard ring (see events.cpp).
#pragma once

#include <cstddef>
#include <cstdint>

#include "probe_core.hpp"

namespace shmon::detail {

// Writes one record for descriptor `id`; false when dropped (counted by cause in the stats).
bool emit_event(ProbeCore& core, std::uint32_t id, EventLevel level, PayloadKind kind,
                const void* payload, std::size_t size) noexcept;

}  // namespace shmon::detail
