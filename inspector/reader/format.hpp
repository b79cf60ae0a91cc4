// SPDX-License-Identifier: Apache-2.0
// Human-readable numbers: durations, sizes, rates, ages, wall-clock times.
#pragma once

#include <cstdint>
#include <string>

namespace shmon::inspector {

std::string fmt_ns(double ns);                       // "850 ns", "12.3 µs", "4.20 ms", "1.50 s"
std::string fmt_bytes(double bytes);                 // "1.2 MiB"
std::string fmt_count(double v);                     // "1234", "12.3 k", "4.5 M"
std::string fmt_rate(double per_s);                  // "12.3/s"
std::string fmt_duration_s(double s);                // "3 s", "4 m 05 s", "2 h 01 m"
std::string fmt_wall(std::uint64_t realtime_ns);     // "14:03:22" local time
std::string fmt_wall_ms(std::uint64_t realtime_ns);  // "14:03:22.123"

}  // namespace shmon::inspector
