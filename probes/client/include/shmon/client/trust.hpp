// SPDX-License-Identifier: Apache-2.0
// What a client checks about an agent before it sends anything: that nobody but us controls the
// runtime directory (else another user could serve a fake agent there and receive our data
// region read-write), and that the process on the other end of the socket runs as us.
#pragma once

#include <string>

#include "shmon/result.hpp"

namespace shmon::client {

// The runtime directory of `socket_path` passes check_runtime_dir (owner, mode, not a link).
Status check_socket_directory(const std::string& socket_path);

// The peer of the connected unix socket `sock` has our effective uid (SO_PEERCRED).
Status check_agent_credentials(int sock);

}  // namespace shmon::client
