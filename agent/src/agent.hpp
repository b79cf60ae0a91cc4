// SPDX-License-Identifier: Apache-2.0
// The agent's lifecycle: instance lock, regions, socket, threads, and the main epoll loop
// (rendezvous socket, pending and attached client sockets, pidfds, signalfd, 50 ms timer).
#pragma once

#include <sys/epoll.h>

#include <list>
#include <map>
#include <memory>

#include "commands.hpp"
#include "context.hpp"
#include "drain.hpp"
#include "housekeeping.hpp"
#include "metrics_http.hpp"
#include "service.hpp"
#include "tool_inbox.hpp"
#include "value_snapshots.hpp"

namespace shmon::agent {

class Agent {
 public:
  explicit Agent(Options options);
  ~Agent();

  // Runs until SIGINT/SIGTERM. Returns the process exit code (shmon::exit_code).
  int run();

  AgentContext& context() { return ctx_; }

  // Retires a client: releases the mutex if it holds it, drains its rings to the end, folds its
  // totals, frees the slot and republishes the directory. Idempotent.
  void retire(const std::shared_ptr<Client>& client, const char* reason);

 private:
  int start();  // everything up to the ready line; returns -1 on success, else an exit code
  void loop();
  void shutdown();
  void on_accept();
  // Stops accepting for a while when the process or system is out of descriptors (accept would
  // fail again at once), with one summary log line per second at most.
  void pause_accepts(int error);
  void resume_accepts_if_due(std::uint64_t now);
  // A pending connection became readable: attaches it once its whole AttachRequest has arrived
  // (peeked, never blocking the main thread on a slow peer); until then it stays pending.
  void on_pending(int fd);
  void on_client_event(int fd, std::uint32_t events);
  // A tool's socket is readable: takes what arrived into its inbox and serves a message once it
  // is whole (tool_inbox.hpp); never waits for the rest.
  void read_tool(const std::shared_ptr<Client>& client);
  // Drops tools whose message has been partial for longer than kToolMessageDeadlineNs (counted
  // in hostile.partial_messages_dropped).
  void drop_slow_tools(std::uint64_t now);
  // Makes room for one more pending connection: attaches the oldest ones that carry a complete
  // request and drops the oldest silent one only when none does (counted in pending_dropped).
  void make_room_for_pending();
  // An attached client (from a pending connection or the wait list) enters the event loop.
  void enter_loop(const std::shared_ptr<Client>& client);
  // Slot waiters (docs/DESIGN.md, "Fork storms"): queued when the table is full; each is
  // admitted when a slot frees, answered "agent full" after kSlotWaitNs (its region kept), and
  // folded without a slot when its process exits first.
  void queue_waiter(const std::shared_ptr<Client>& client);
  void on_waiter_event(int fd);
  void admit_waiters();
  void answer_old_waiters(std::uint64_t now);
  void forget_waiter(const std::shared_ptr<Client>& client);
  void fold_waiter(const std::shared_ptr<Client>& client);
  void drop_stale_pending();
  // Drops a pending connection that carries no complete request (true); one that does, even if
  // it arrived in the last instant, is attached instead (false). Never loses a sent request.
  bool drop_if_silent(int fd);
  // Drops clients whose data region lost pages since attach (punched holes).
  void drop_punched_regions();
  void watch(int fd, std::uint32_t events = EPOLLIN);
  void unwatch(int fd);

  AgentContext ctx_;
  UniqueFd lock_fd_;
  UniqueFd listen_fd_;
  UniqueFd epoll_fd_;
  UniqueFd signal_fd_;
  UniqueFd timer_fd_;
  std::string socket_path_;
  bool socket_inherited_ = false;  // from socket activation: systemd owns the file
  std::unique_ptr<ServiceThread> service_;
  std::unique_ptr<DrainThread> drain_;
  std::unique_ptr<SnapshotThread> snapshots_;
  std::unique_ptr<Housekeeper> housekeeper_;
  std::unique_ptr<MetricsHttp> metrics_;                       // null when /metrics is off
  std::unique_ptr<CommandRouter> commands_;                    // main thread only
  std::map<int, std::pair<UniqueFd, std::uint64_t>> pending_;  // fd -> socket, accept time
  bool accepts_paused_ = false;
  std::uint64_t accepts_resume_ns_ = 0;
  std::uint64_t accept_failures_ = 0;  // since the last summary line
  std::uint64_t accept_log_ns_ = 0;
  std::map<int, std::shared_ptr<Client>> by_fd_;        // socket and pidfd -> client
  std::map<int, ToolInbox> inboxes_;                    // a tool's socket -> its partial message
  std::list<std::shared_ptr<Client>> waiters_;          // oldest first
  std::map<int, std::shared_ptr<Client>> waiting_fds_;  // a waiter's socket and pidfd -> waiter
};

}  // namespace shmon::agent
