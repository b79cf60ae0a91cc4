// SIGINT/SIGTERM as a flag the examples' loops check, so they stop cleanly and the probe's
// destructor still says bye to the agent.
#pragma once

namespace shmon_examples {

void install_stop_handlers();
bool stop_requested();

}  // namespace shmon_examples
