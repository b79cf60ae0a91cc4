// SPDX-License-Identifier: Apache-2.0
// The unix-socket baseline for control calls: a request/response echo of a ping-sized message
// between two processes over a unix stream socket.
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "shmon/fd.hpp"

namespace shmon::bench {

class EchoPair {
 public:
  // Forks the echo server; false on failure.
  bool start();
  // One request/response round trip of 16 bytes; its duration in ns, or 0 on failure.
  std::uint64_t round_trip() noexcept;
  // Closes the socket (the server exits on EOF) and reaps the server (bounded).
  void stop();
  ~EchoPair() { stop(); }

 private:
  UniqueFd fd_;
  pid_t server_ = -1;
};

}  // namespace shmon::bench
