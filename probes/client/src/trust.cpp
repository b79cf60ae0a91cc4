// SPDX-License-Identifier: Apache-2.0
#include "shmon/client/trust.hpp"

#include <unistd.h>

#include "shmon/paths.hpp"
#include "shmon/unix_socket.hpp"

namespace shmon::client {

Status check_socket_directory(const std::string& socket_path) {
  const auto slash = socket_path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : socket_path.substr(0, slash);
  if (auto st = check_runtime_dir(dir.empty() ? "/" : dir); !st) {
    return Error{st.error() + "; not talking to an agent there"};
  }
  return Ok{};
}

Status check_agent_credentials(int sock) {
  auto cred = peer_credentials(sock);
  if (!cred) return Error{"cannot read the agent's credentials: " + cred.error()};
  if (cred->uid != ::geteuid()) {
    return Error{"the process serving the socket (pid " + std::to_string(cred->pid) +
                 ") runs as uid " + std::to_string(cred->uid) + ", not as this user (uid " +
                 std::to_string(::geteuid()) + "); not talking to it"};
  }
  return Ok{};
}

}  // namespace shmon::client
