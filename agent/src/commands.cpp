// SPDX-License-Identifier: Apache-2.0
#include "commands.hpp"

#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>

#include "persistence.hpp"
#include "shmon/clock.hpp"
#include "shmon/names.hpp"
#include "shmon/seqlock.hpp"
#include "shmon/unix_socket.hpp"

namespace shmon::agent {
namespace {

std::string describe(const Client& c) {
  return "'" + c.name + "' (pid " + std::to_string(c.pid) + ", slot " + std::to_string(c.slot) +
         ")";
}

std::uint64_t ms(std::uint64_t ns) {
  return ns / 1'000'000;
}

}  // namespace

CommandRouter::CommandRouter(AgentContext& ctx, Interest interest)
    : ctx_(ctx), next_id_(random_u64() | 1), interest_(std::move(interest)) {}

void CommandRouter::answer(const Pending& p, CommandStatus status, const void* payload,
                           std::size_t size) {
  if (!p.sender || p.sender->retired.load() || !p.sender->socket) {  // the tool left
    ctx_.command_replies.tool_gone.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  ctx_.command_replies.by_status[std::uint32_t(status) % 32].fetch_add(1,
                                                                       std::memory_order_relaxed);
  auto reply = std::make_unique<CommandReply>();
  std::memset(static_cast<void*>(reply.get()), 0, sizeof(CommandReply));
  std::memcpy(reply->magic, kCommandReplyMagic, sizeof reply->magic);
  reply->abi_version = kAbiVersion;
  reply->status = std::uint32_t(status);
  reply->id = p.id;
  reply->elapsed_ns = monotonic_ns() - p.received_ns;
  reply->payload_size = std::uint32_t(std::min(size, kMaxCommandReply));
  if (reply->payload_size > 0) std::memcpy(reply->payload, payload, reply->payload_size);
  auto [it, fresh] = outboxes_.try_emplace(p.sender.get());
  if (fresh) it->second.tool = p.sender;
  it->second.bytes.append(reinterpret_cast<const char*>(reply.get()), sizeof(CommandReply));
  flush(it);
}

void CommandRouter::flush(std::unordered_map<const Client*, Outbox>::iterator it) {
  Outbox& o = it->second;
  const int fd = o.tool->socket.get();
  std::size_t sent = 0;
  bool broken = o.tool->retired.load() || fd < 0;
  while (!broken && sent < o.bytes.size()) {
    const ssize_t n =
        ::send(fd, o.bytes.data() + sent, o.bytes.size() - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      sent += std::size_t(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      break;
    } else {
      broken = true;  // the tool's connection is gone: the agent retires it on its next event
    }
  }
  if (broken) {
    const std::size_t lost =
        (o.bytes.size() - sent + sizeof(CommandReply) - 1) / sizeof(CommandReply);
    ctx_.command_replies.tool_gone.fetch_add(lost, std::memory_order_relaxed);
    o.bytes.clear();
  } else {
    o.bytes.erase(0, sent);
  }
  if (o.bytes.empty()) {
    if (o.waiting && !broken) interest_(fd, EPOLLIN);  // read this tool again
    outboxes_.erase(it);
    return;
  }
  if (!o.waiting) {
    o.waiting = true;
    ctx_.command_replies.held_back.fetch_add(1, std::memory_order_relaxed);
    interest_(fd, EPOLLOUT);  // stop reading this tool until it has read its replies
  }
}

void CommandRouter::on_writable(const Client& tool) {
  auto it = outboxes_.find(&tool);
  if (it != outboxes_.end()) flush(it);
}

void CommandRouter::on_request(const std::shared_ptr<Client>& sender, const CommandRequest& req) {
  const std::uint64_t now = monotonic_ns();
  Pending p;
  p.sender = sender;
  p.received_ns = now;
  if (sender->kind == ClientKind::kApp) {
    // Only tools send commands: an app cannot command another app through the agent.
    answer_text(p, CommandStatus::kRefused, "apps cannot send commands");
    return;
  }
  auto name = read_fixed_name(req.name, sizeof req.name);
  if (!name || check_command_name(*name)) {
    answer_text(p, CommandStatus::kRefused,
                name ? "invalid command name: " + *check_command_name(*name)
                     : std::string("command name is not NUL-terminated"));
    return;
  }
  if (req.payload_size > kMaxCommandPayload) {
    answer_text(p, CommandStatus::kPayloadTooLarge,
                "payload of " + std::to_string(req.payload_size) + " bytes exceeds the " +
                    std::to_string(kMaxCommandPayload) + "-byte limit");
    return;
  }
  auto app = ctx_.client_at(req.slot);
  if (!app || app->incarnation != req.incarnation || app->kind != ClientKind::kApp ||
      !app->serving() || app->retired.load() || app->region_lost.load()) {
    answer_text(p, CommandStatus::kNoSuchClient,
                "no app client in slot " + std::to_string(req.slot) + " with that incarnation");
    return;
  }
  Target& t = targets_[app.get()];
  t.app = app;
  if (t.queue.size() >= kMaxQueued) {
    answer_text(p, CommandStatus::kBusy,
                std::to_string(t.queue.size()) + " commands already wait for " + describe(*app));
    return;
  }
  p.id = next_id_++;
  if (next_id_ == 0) next_id_ = 1;
  p.name = std::move(*name);
  p.payload.assign(req.payload, req.payload + req.payload_size);
  p.deadline_ns =
      now +
      std::uint64_t(std::clamp<std::uint32_t>(req.timeout_ms, 1, kMaxCommandTimeoutMs)) * 1'000'000;
  t.queue.push_back(std::move(p));
  if (!t.posted) post_next(t, now);
}

void CommandRouter::post_next(Target& t, std::uint64_t now) {
  while (!t.posted && !t.queue.empty()) {
    Pending p = std::move(t.queue.front());
    t.queue.pop_front();
    if (!p.sender || p.sender->retired.load()) continue;  // nobody waits for it any more
    if (now >= p.deadline_ns) {
      ctx_.stats().command_timeouts.fetch_add(1, std::memory_order_relaxed);
      answer_text(p, CommandStatus::kTimeout,
                  "the client was busy with another command for " +
                      std::to_string(ms(now - p.received_ns)) + " ms");
      continue;
    }
    DataHeader* h = t.app->region().header();
    CommandArea& a = h->commands;
    seqlock_invalidate(a.command_id);
    a.deadline_monotonic_ns = p.deadline_ns;
    a.payload_size = std::uint32_t(p.payload.size());
    a.sender_pid = p.sender->pid;
    std::memset(a.name, 0, sizeof a.name);
    std::memcpy(a.name, p.name.data(), p.name.size());
    if (!p.payload.empty()) std::memcpy(h->command_payload, p.payload.data(), p.payload.size());
    a.command_id.store(p.id, std::memory_order_release);
    ctx_.stats().commands_sent.fetch_add(1, std::memory_order_relaxed);
    t.posted = std::move(p);
    if (t.app->socket) {
      const char wake = 'c';
      [[maybe_unused]] auto n = ::send(t.app->socket.get(), &wake, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
    }
  }
}

void CommandRouter::collect(Target& t, std::uint64_t now) {
  const DataHeader* h = t.app->region().header();
  const CommandArea& a = h->commands;
  const std::uint64_t id = a.reply_id.load(std::memory_order_acquire);
  if (id == 0 || id == t.reply_seen) return;
  // Copy, then validate: the reply half is the client's memory.
  const std::uint32_t status = a.reply_status;
  const std::uint32_t size = a.reply_size;
  std::vector<std::uint8_t> payload;
  if (size <= kMaxCommandReply) payload.assign(h->reply_payload, h->reply_payload + size);
  if (seqlock_recheck(a.reply_id) != id) return;  // being rewritten: look later
  t.reply_seen = id;

  if (t.posted && t.posted->id == id) {
    const Pending p = std::move(*t.posted);
    t.posted.reset();
    if (size > kMaxCommandReply) {
      answer_text(p, CommandStatus::kBadReply,
                  "the client's reply claims " + std::to_string(size) + " bytes (limit " +
                      std::to_string(kMaxCommandReply) + ")");
    } else if (status >= std::uint32_t(CommandStatus::kTimeout)) {
      answer_text(p, CommandStatus::kBadReply,
                  "the client's reply has status " + std::to_string(status) +
                      ", which only the agent gives");
    } else {
      answer(p, CommandStatus(status), payload.data(), payload.size());
    }
    post_next(t, now);
    return;
  }
  for (std::uint64_t& e : t.expired) {
    if (e == id) {
      e = 0;
      ctx_.stats().late_replies.fetch_add(1, std::memory_order_relaxed);
      spdlog::debug("late reply of {} to command {} dropped", describe(*t.app), id);
      return;
    }
  }
  note_forged(*t.app, id);
}

void CommandRouter::note_forged(const Client& app, std::uint64_t id) {
  ctx_.stats().forged_replies.fetch_add(1, std::memory_order_relaxed);
  const std::uint64_t now = monotonic_ns();
  if (now - forged_logged_ns_ >= 1'000'000'000) {
    forged_logged_ns_ = now;
    spdlog::warn("client {} wrote a reply to command {}, which was never sent to it; dropped",
                 describe(app), id);
  }
}

void CommandRouter::expire(Target& t, std::uint64_t now) {
  if (t.posted && now >= t.posted->deadline_ns) {
    const Pending p = std::move(*t.posted);
    t.posted.reset();
    t.expired[t.expired_next++ % t.expired.size()] = p.id;
    ctx_.stats().command_timeouts.fetch_add(1, std::memory_order_relaxed);
    const bool taken = t.app->header().commands.taken_id.load(std::memory_order_relaxed) == p.id;
    const std::uint64_t waited = ms(p.deadline_ns - p.received_ns);
    answer_text(p, CommandStatus::kTimeout,
                taken ? "the handler of '" + p.name + "' did not answer within " +
                            std::to_string(waited) + " ms"
                      : "the client did not take '" + p.name + "' within " +
                            std::to_string(waited) + " ms");
  }
  for (auto it = t.queue.begin(); it != t.queue.end();) {
    if (now < it->deadline_ns) {
      ++it;
      continue;
    }
    ctx_.stats().command_timeouts.fetch_add(1, std::memory_order_relaxed);
    answer_text(*it, CommandStatus::kTimeout,
                "the client was busy with another command for " +
                    std::to_string(ms(now - it->received_ns)) + " ms");
    it = t.queue.erase(it);
  }
  post_next(t, now);
}

void CommandRouter::on_attach(const std::shared_ptr<Client>& app) {
  if (app->kind != ClientKind::kApp) return;
  CommandArea& a = app->region().header()->commands;
  a.command_id.store(0, std::memory_order_release);
  Target& t = targets_[app.get()];
  t.app = app;
  t.reply_seen = a.reply_id.load(std::memory_order_acquire);
  // A command of the previous agent still running: its reply is late, not forged.
  const std::uint64_t taken = a.taken_id.load(std::memory_order_relaxed);
  if (taken != 0 && taken != t.reply_seen) t.expired[t.expired_next++ % t.expired.size()] = taken;
}

void CommandRouter::on_wake(const std::shared_ptr<Client>& app) {
  auto it = targets_.find(app.get());
  if (it == targets_.end()) {
    // Nothing was ever sent to it: only a reply half that changed matters (a forged reply).
    Target& t = targets_[app.get()];
    t.app = app;
    collect(t, monotonic_ns());
    return;
  }
  if (!it->second.app) it->second.app = app;
  collect(it->second, monotonic_ns());
}

void CommandRouter::forget(const Client& c) {
  if (auto o = outboxes_.find(&c); o != outboxes_.end()) {
    ctx_.command_replies.tool_gone.fetch_add(
        (o->second.bytes.size() + sizeof(CommandReply) - 1) / sizeof(CommandReply),
        std::memory_order_relaxed);
    outboxes_.erase(o);
  }
  auto it = targets_.find(&c);
  if (it == targets_.end()) return;
  Target& t = it->second;
  const std::string why = "client " + describe(c) + " went away before it replied";
  if (t.posted) answer_text(*t.posted, CommandStatus::kClientGone, why);
  for (const Pending& p : t.queue) answer_text(p, CommandStatus::kClientGone, why);
  targets_.erase(it);
}

void CommandRouter::tick(std::uint64_t now_ns) {
  for (auto& [key, t] : targets_) {
    if (!t.app || (!t.posted && t.queue.empty())) continue;
    if (t.posted) collect(t, now_ns);
    expire(t, now_ns);
  }
}

int CommandRouter::wait_ms(std::uint64_t now_ns, int cap) const {
  std::uint64_t earliest = UINT64_MAX;
  for (const auto& [key, t] : targets_) {
    if (t.posted) earliest = std::min(earliest, t.posted->deadline_ns);
    for (const Pending& p : t.queue) earliest = std::min(earliest, p.deadline_ns);
  }
  if (earliest == UINT64_MAX) return cap;
  if (earliest <= now_ns) return 0;
  return int(
      std::min<std::uint64_t>((earliest - now_ns + 999'999) / 1'000'000, std::uint64_t(cap)));
}

}  // namespace shmon::agent
