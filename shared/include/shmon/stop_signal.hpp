// SPDX-License-Identifier: Apache-2.0
// SIGINT/SIGTERM as a flag for shmon's own long-running tools (shmonctl's follow/watch loops,
// the example apps), so they stop cleanly and a probe's destructor still says bye. Never used by
// the probe library: it installs no handlers in host programs.
#pragma once

#include <cstdint>

namespace shmon {

// Installs handlers without SA_RESTART, so sleeps and poll() return at once on a signal.
void install_stop_handlers();
bool stop_requested();
// Sleeps up to `ms`, returning early (false) once a stop was requested.
bool sleep_unless_stopped(std::uint32_t ms);

}  // namespace shmon
