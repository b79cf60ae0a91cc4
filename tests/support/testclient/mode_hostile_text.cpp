// SPDX-License-Identifier: Apache-2.0
// hostile-text: an app whose event text carries terminal control sequences (ESC, BEL, CR, DEL)
// and bidirectional / invisible format characters (U+202E, U+200B, U+2066): it emits one event
// of type "hostile", tries to register a counter whose label value holds U+202E (printing
// "LABEL refused" or "LABEL registered"), flushes (so the agent has it) and leaves.
#include <string>

#include "output.hpp"
#include "shmon/clock.hpp"
#include "shmon/probe.hpp"

namespace shmon::testclient {

// Sets the window title, clears the screen, rings the bell, returns the carriage, deletes.
// Then reverses what follows (U+202E), hides a space (U+200B), isolates (U+2066 .. U+2069).
const char kHostileText[] =
    "\x1b]0;owned\x07\x1b[2J\r\x7f"
    "\u202egnp.exe\u200b\u2066x\u2069";

int run_hostile_text(const Args& args) {
  Probe probe(probe_options(args));
  if (!await_attach(probe, args)) return 1;
  EventType type = probe.event_type("hostile");
  probe.emit(type, EventLevel::kWarn, kHostileText);
  const Counter bidi = probe.counter("bidi_hits", {{"file", "\u202egnp.exe"}});
  say(bidi.registered() ? "LABEL registered" : "LABEL refused");
  const FlushResult flushed = probe.flush();
  say(std::string("FLUSH ") + to_string(flushed.status));
  return flushed.status == CallStatus::kOk ? 0 : 1;
}

}  // namespace shmon::testclient
