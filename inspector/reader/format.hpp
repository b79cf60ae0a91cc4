// SPDX-License-Identifier: Apache-2.0
// The one number formatter of shmonctl, the inspector and the tray (docs/DESIGN.md, "Numbers").
//
// Every quantity a person reads goes through here, so "9.85 ms" reads the same in a terminal, a
// window and a menu. The rules:
//  - Three significant digits, with an SI prefix on the base unit: "9.85 ms", "17.1 ms",
//    "1.20 k/s", "11.5 k", "2.00 s". Rounding comes first, then the prefix: 999.5 is "1.00 k".
//  - A value shown in the unit it was given in, that is a whole number, is shown exactly:
//    "850 ns", "42", "0 /s" (counts below 1000 never read "42.0").
//  - A space separates the number from prefix+unit ("1.20 k/s", "0 /s"); a bare count has none.
//  - Negative values (gauges) keep their sign: "-9.85 k". NaN reads "NaN", infinities "inf" and
//    "-inf". Values past the largest prefix (E, 10^18) are written like "1.23e+21".
//  - Durations scale from ns up to s (no "ks"): 4321 s reads "4320 s". Sizes in bytes use binary
//    prefixes (KiB, MiB, ...: regions are sized in pages), with the same three digits.
// JSON output never comes through here: it carries the raw numbers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace shmon::inspector {

// `v` in `unit` with an SI prefix from k up to E ("11.5 k", "1.20 kreq" for unit "req").
std::string fmt_si(double v, std::string_view unit = {});
std::string fmt_count(double v);      // fmt_si(v): "42", "11.5 k", "4.50 M"
std::string fmt_rate(double per_s);   // "0 /s", "2.50 /s", "1.20 k/s"
std::string fmt_ns(double ns);        // "850 ns", "12.3 µs", "9.85 ms", "2.00 s"
std::string fmt_seconds(double s);    // fmt_ns(s * 1e9)
std::string fmt_bytes(double bytes);  // "512 B", "52.0 KiB", "1.20 MiB"
// A metric's value in the unit its owner declared: time units (ns, us, µs, ms, s) become
// durations, "B"/"bytes" sizes, "1/s" and "/s" rates, anything else fmt_si(v, unit).
std::string fmt_value(double v, std::string_view unit);
// Elapsed time: below a minute fmt_seconds ("850 ms", "42.0 s"), then "4 m 05 s", "2 h 01 m",
// "3 d 04 h".
std::string fmt_duration_s(double s);
std::string fmt_wall(std::uint64_t realtime_ns);     // "14:03:22" local time
std::string fmt_wall_ms(std::uint64_t realtime_ns);  // "14:03:22.123"

}  // namespace shmon::inspector
