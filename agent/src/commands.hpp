// SPDX-License-Identifier: Apache-2.0
// The agent's side of the command channel (docs/COMMANDS.md): takes a tool's CommandRequest, posts
// it into the target app's data region (one command at a time per app, a short queue behind it),
// wakes the app with one byte on its socket, collects the reply half when the app wakes us (or at
// the next tick), validates it and answers the tool with exactly one CommandReply: the app's, or a
// verdict of ours (timeout, client gone, no such client, busy, ...).
//
// Replies are never dropped for a full socket (issue 18: a tool sending commands back to back
// lost 92 of 20,000). Each tool has an outbox: a reply the socket does not take at once (or takes
// in part: the socket is a stream) waits there, and while a tool's outbox holds anything the
// agent does not read from that tool (its interest is EPOLLOUT alone, set through the
// `interest` callback): the tool's own sends then wait, which is the back-pressure. A reply is
// lost only when its tool has left (counted: tool_gone). Replies are counted by status.
//
// Trust: the reply half is the app's memory. It is copied between two loads of its id, then its
// status and size are checked; a reply is delivered only when its id is the command posted to
// that app and still waiting. Anything else is dropped and counted: late_replies (the id of a
// command of this app that expired) or forged_replies (any other id).
//
// Threads: the agent's main thread only (sockets and the epoll loop live there); no locks.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "context.hpp"
#include "shmon/protocol.hpp"

namespace shmon::agent {

class CommandRouter {
 public:
  static constexpr std::size_t kMaxQueued = 8;  // per app, behind the one posted

  // Sets the epoll events the agent waits for on a tool's socket (EPOLLIN, or EPOLLOUT alone
  // while replies to it wait).
  using Interest = std::function<void(int fd, std::uint32_t events)>;

  CommandRouter(AgentContext& ctx, Interest interest);

  // A tool sent `req` (a private copy). Answers at once when it can be refused.
  void on_request(const std::shared_ptr<Client>& sender, const CommandRequest& req);
  // `app` attached: clears the command half of its region (a dead agent's command is not ours)
  // and remembers what its reply half holds (never taken for one of our commands).
  void on_attach(const std::shared_ptr<Client>& app);
  // `app` woke us (a byte on its socket): look at its reply half.
  void on_wake(const std::shared_ptr<Client>& app);
  // True while replies to `tool` wait in its outbox: do not read from it now.
  bool holding(const Client& tool) const { return outboxes_.count(&tool) != 0; }
  // `tool`'s socket is writable: sends what waits for it.
  void on_writable(const Client& tool);
  // A client left: its waiting commands are answered kClientGone.
  void forget(const Client& c);
  // Answers what passed its deadline and re-reads every reply half with a command posted
  // (a wake-up byte may have been lost). Cheap when nothing is pending.
  void tick(std::uint64_t now_ns);
  // Milliseconds until the earliest deadline (capped at `cap`): the epoll timeout.
  int wait_ms(std::uint64_t now_ns, int cap) const;

 private:
  struct Pending {
    std::uint64_t id = 0;
    std::shared_ptr<Client> sender;
    std::string name;
    std::vector<std::uint8_t> payload;
    std::uint64_t received_ns = 0;
    std::uint64_t deadline_ns = 0;
  };
  struct Target {
    std::shared_ptr<Client> app;
    std::optional<Pending> posted;
    std::deque<Pending> queue;
    std::uint64_t reply_seen = 0;            // the reply id last looked at
    std::array<std::uint64_t, 8> expired{};  // ids that timed out: a reply is late, not forged
    std::size_t expired_next = 0;
  };

  void post_next(Target& t, std::uint64_t now);
  void collect(Target& t, std::uint64_t now);
  void expire(Target& t, std::uint64_t now);
  void answer(const Pending& p, CommandStatus status, const void* payload, std::size_t size);
  void answer_text(const Pending& p, CommandStatus status, const std::string& text) {
    answer(p, status, text.data(), text.size());
  }
  void note_forged(const Client& app, std::uint64_t id);
  struct Outbox {
    std::shared_ptr<Client> tool;
    std::string bytes;     // whole replies, the first perhaps partly sent already
    bool waiting = false;  // the tool's interest is EPOLLOUT: the agent does not read it
  };
  // Sends what the socket takes; removes the outbox once empty (interest back to EPOLLIN).
  void flush(std::unordered_map<const Client*, Outbox>::iterator it);

  AgentContext& ctx_;
  std::uint64_t next_id_;
  std::unordered_map<const Client*, Target> targets_;
  std::uint64_t forged_logged_ns_ = 0;
  Interest interest_;
  std::unordered_map<const Client*, Outbox> outboxes_;  // only tools with replies waiting
};

}  // namespace shmon::agent
