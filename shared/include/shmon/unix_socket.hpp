// SPDX-License-Identifier: Apache-2.0
// The rendezvous: a unix stream socket per instance that carries fixed-size messages with file
// descriptors (SCM_RIGHTS). The agent checks each peer with SO_PEERCRED and watches it through a
// pidfd; EOF on the socket means the peer is gone.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "shmon/fd.hpp"
#include "shmon/result.hpp"

namespace shmon {

struct PeerCred {
  pid_t pid;
  uid_t uid;
  gid_t gid;
};

// The rendezvous backlog: a fork storm queues one connection per child before the agent can
// accept them (the kernel caps it at net.core.somaxconn, 4096 by default since Linux 5.4).
inline constexpr int kListenBacklog = 4096;

// Binds and listens on `path` (SOCK_CLOEXEC|SOCK_NONBLOCK) with kListenBacklog. A stale socket
// file left by a dead agent is removed first; the caller must already hold the instance lock.
Result<UniqueFd> listen_unix(const std::string& path);

// Connects (blocking connect on a unix socket completes or fails at once). The returned socket
// is blocking and close-on-exec. Errors distinguish "no agent" (ENOENT/ECONNREFUSED) from
// "permission denied" (EACCES/EPERM).
enum class ConnectError { kNone, kNoAgent, kPermission, kOther };
struct Connected {
  UniqueFd fd;
  ConnectError error = ConnectError::kNone;
  std::string message;
};
Connected connect_unix(const std::string& path);

// Sends `bytes` and up to 4 fds in one message. Never raises SIGPIPE (MSG_NOSIGNAL).
Status send_message(int sock, std::span<const std::byte> bytes, std::span<const int> fds = {});

// Receives one message of exactly `bytes.size()` bytes and up to `max_fds` fds, waiting at most
// until `deadline_ns` (monotonic). Extra fds beyond max_fds are closed. EOF is an error whose
// message says "peer closed the connection".
struct Received {
  std::size_t size = 0;
  std::vector<UniqueFd> fds;
};
Result<Received> receive_message(int sock, std::span<std::byte> bytes, std::size_t max_fds,
                                 std::uint64_t deadline_ns);

Result<PeerCred> peer_credentials(int sock);

// pidfd_open(2); invalid fd when the kernel lacks it.
UniqueFd open_pidfd(pid_t pid);

}  // namespace shmon
