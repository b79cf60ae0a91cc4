// SPDX-License-Identifier: Apache-2.0
// systemd integration of the agent: socket activation (a listening socket handed over in
// LISTEN_FDS) and readiness/status notifications (NOTIFY_SOCKET). Both are optional: without the
// variables the agent binds its own socket and the notifications are no-ops.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "shmon/fd.hpp"
#include "shmon/result.hpp"

namespace shmon::agent {

// The socket systemd (or systemd-socket-activate) passed us, if any. nullopt: no socket was
// passed (LISTEN_FDS unset or meant for another pid). An error when what was passed cannot be
// this instance's rendezvous: more than one fd, not a unix stream socket, not listening, or bound
// to another path than `expected_path`. The fd comes back close-on-exec and non-blocking.
// The LISTEN_* variables are removed from the environment either way.
// REQUIRES: called once, before any thread is started (it edits the environment).
Result<std::optional<UniqueFd>> adopt_activated_socket(const std::string& expected_path);

// sd_notify wrappers; each is a no-op when NOTIFY_SOCKET is unset.
void notify_ready(const std::string& instance, std::uint64_t clients);
void notify_status(std::uint64_t clients, std::uint64_t events_per_s_milli);
void notify_stopping();

}  // namespace shmon::agent
