// SPDX-License-Identifier: Apache-2.0
// What /proc says about a process: CPU time (utime + stime) and resident memory (VmRSS).
#pragma once

#include <sys/types.h>

#include <cstdint>

namespace shmon::bench {

// utime + stime of `pid` in nanoseconds (clock-tick resolution), or -1 when unreadable.
std::int64_t cpu_time_ns(pid_t pid);

// VmRSS of `pid` in KiB, or -1 when unreadable.
std::int64_t rss_kib(pid_t pid);

}  // namespace shmon::bench
