// SPDX-License-Identifier: Apache-2.0
// hostile-text: an app whose event text and metric name carry terminal control sequences (ESC,
// BEL, CR, DEL): it emits one event of type "hostile", flushes (so the agent has it) and leaves.
#include <string>

#include "output.hpp"
#include "shmon/clock.hpp"
#include "shmon/probe.hpp"

namespace shmon::testclient {

// Sets the window title, clears the screen, rings the bell, returns the carriage, deletes.
const char kHostileText[] = "\x1b]0;owned\x07\x1b[2J\r\x7f";

int run_hostile_text(const Args& args) {
  Probe probe(probe_options(args));
  if (!await_attach(probe, args)) return 1;
  EventType type = probe.event_type("hostile");
  probe.emit(type, EventLevel::kWarn, kHostileText);
  const FlushResult flushed = probe.flush();
  say(std::string("FLUSH ") + to_string(flushed.status));
  return flushed.status == CallStatus::kOk ? 0 : 1;
}

}  // namespace shmon::testclient
