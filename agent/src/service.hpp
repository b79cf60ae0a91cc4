// SPDX-License-Identifier: Apache-2.0
// The service thread: the agent's side of the seed handshake. It waits on Exec (bounded, 1 s;
// stop() sets Exec), copies and validates the request, dispatches it, writes the response
// (seq last, with release) and sets Done. After recent activity it spins briefly before
// sleeping so that back-to-back calls stay fast; when idle it never spins. Every request is
// answered at most once: Exec only says "look", and a request whose seq was already answered (for
// its session, or as the previous answer) is left alone, so Exec set in a loop changes nothing.
#pragma once

#include <thread>

#include "context.hpp"

namespace shmon::agent {

class ServiceThread {
 public:
  explicit ServiceThread(AgentContext& ctx) : ctx_(ctx) {}
  ~ServiceThread() { join(); }
  void start();
  void wake();  // sets Exec so the thread re-checks ctx.stop
  void join();

  // Looks at the mailbox once; true when it answered a request (public so tests can drive the
  // handshake without the thread).
  bool handle_one();

 private:
  void run();
  AgentContext& ctx_;
  // The previous answer (any session, errors included): its seq, session and slot.
  std::uint64_t last_seq_ = 0, last_session_ = 0;
  std::uint32_t last_slot_ = 0;
  std::thread thread_;
};

}  // namespace shmon::agent
