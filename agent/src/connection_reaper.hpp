// SPDX-License-Identifier: Apache-2.0
// Bounds what a peer of the /metrics endpoint can take: cpp-httplib limits neither the time a
// request may take to arrive (a byte every second keeps a worker forever) nor the number of
// header lines (they pile up in memory). The reaper finds the endpoint's accepted connections
// in /proc/self/fd and shuts those open longer than the deadline or that sent more than the
// byte limit (TCP_INFO), so their worker's read fails and the connection closes.
//
// It acts on a descriptor only through its own duplicate whose inode it checked, so a descriptor
// number that was closed and reused meanwhile (a client's socket) is never touched. It never
// operates on the other threads' descriptor numbers themselves: it reads the inode from the
// /proc link and takes the duplicate with pidfd_getfd(2). (It used fstat and fcntl(F_DUPFD) on
// them, which was safe through the inode check but is a use of a descriptor racing with its
// owner's accept or close: ThreadSanitizer reported it and stopped the agent.)
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>

#include "shmon/fd.hpp"

namespace shmon::agent {

struct ReapLimits {
  int port = 0;                   // the endpoint's local TCP port
  std::uint64_t deadline_ns = 0;  // longest life of a connection
  std::uint64_t max_bytes = 0;    // most bytes a connection may send
};

struct ReapCount {
  std::uint64_t too_old = 0;
  std::uint64_t too_big = 0;
};

class ConnectionReaper {
 public:
  explicit ConnectionReaper(ReapLimits limits);
  // One pass at monotonic time `now_ns`; with `all`, shuts every connection (stop). Returns the
  // connections shut in this pass for the first time.
  ReapCount pass(std::uint64_t now_ns, bool all);

 private:
  struct Seen {
    std::uint64_t since = 0;
    bool cut = false;
  };
  ReapLimits limits_;
  UniqueFd self_pidfd_;         // for pidfd_getfd; invalid when the kernel lacks pidfds
  std::map<ino_t, Seen> seen_;  // by socket inode
};

}  // namespace shmon::agent
