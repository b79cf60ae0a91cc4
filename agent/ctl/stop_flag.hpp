// SIGINT/SIGTERM end shmonctl's long-running commands (events --follow, watch) cleanly: a
// handler sets a flag that the loops check between short sleeps.
#pragma once

#include <cstdint>

namespace shmonctl {

void install_stop_handlers();
bool stop_requested();
// Sleeps up to `ms`, returning early (false) once a stop was requested.
bool sleep_unless_stopped(std::uint32_t ms);

}  // namespace shmonctl
