// SPDX-License-Identifier: Apache-2.0
// How the agent's log lines look. On a terminal or in a file: a timestamp, the level and the
// thread. Under systemd, when stderr is the journal stream that $JOURNAL_STREAM names
// ("DEV:INODE" of the stream, see systemd.exec(5)): an sd-daemon priority prefix ("<3>", see
// sd-daemon(3)) and no timestamp of our own, so journald files each line at its level and does
// not stamp it twice.
#pragma once

#include <string>

namespace shmon::agent {

// True when standard error is the journal stream named by $JOURNAL_STREAM.
bool stderr_is_journal();

// Makes the default spdlog logger ("shmon-agent", on stderr) at `level` (a spdlog level name).
// REQUIRES: called once, before any other thread logs.
void setup_logging(const std::string& level);

// What starts a line written to stderr without spdlog (fatal start-up errors): "<3>" under the
// journal, else nothing.
const char* error_line_prefix();

}  // namespace shmon::agent
