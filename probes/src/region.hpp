// SPDX-License-Identifier: Apache-2.0
// Data region helpers shared by construction (data_region.cpp) and the fork child (fork.cpp).
// Everything declared here is async-signal-safe: plain stores and system calls, no allocation.
#pragma once

#include <cstddef>
#include <cstdint>

#include "shmon/layout.hpp"

namespace shmon::detail {

// Histogram cells of every shard start empty: min = INT64_MAX, max = INT64_MIN.
void init_histogram_extremes(const DataRegion& region) noexcept;

// Maps `size` bytes of zeroed private memory, at `at` (MAP_FIXED) when not null. Returns
// nullptr on failure.
std::byte* map_zero_pages(void* at, std::size_t size) noexcept;

// Fills the header fields that identify the region (magic, ABI, sizes, pid, kind, name, params).
void write_data_header(DataHeader* h, const DataGeometry& g, std::uint64_t incarnation,
                       std::uint32_t kind, const char* name) noexcept;

}  // namespace shmon::detail
