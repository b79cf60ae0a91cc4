// SPDX-License-Identifier: Apache-2.0
// Registered commands, the built-ins, and serving the command channel in the data region.
#include "commands.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <exception>

#include "probe_core.hpp"
#include "shmon/clock.hpp"
#include "shmon/names.hpp"
#include "shmon/seqlock.hpp"

namespace shmon::detail {
namespace {

constexpr std::string_view kBuiltins[][2] = {
    {"ping", "answers with the app's pid and name"},
    {"commands", "lists the commands this app offers, one per line: name<TAB>description"},
    {"stop", "asks the app to end cleanly (if it registered a stop handler)"},
};

bool is_builtin(std::string_view name) {
  return std::any_of(std::begin(kBuiltins), std::end(kBuiltins),
                     [&](const auto& b) { return b[0] == name; });
}

CommandResult failure(CommandStatus status, std::string text) {
  return {status, std::move(text)};
}

}  // namespace

bool CommandTable::add(std::string_view name, std::string_view description,
                       CommandHandler handler) {
  if (check_command_name(name) || is_builtin(name) || !handler) return false;
  std::string desc(description.substr(0, kMaxDescriptionLen));
  for (char& c : desc) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';  // one line per command
  }
  auto fn = std::make_shared<const CommandHandler>(std::move(handler));
  std::lock_guard lock(mu_);
  for (Entry& e : entries_) {
    if (e.name == name) {
      e.description = std::move(desc);
      e.handler = std::move(fn);
      return true;
    }
  }
  if (entries_.size() >= kMaxCommands) return false;
  entries_.push_back({std::string(name), std::move(desc), std::move(fn)});
  return true;
}

void CommandTable::set_stop(std::function<void()> handler) {
  auto fn = handler ? std::make_shared<const std::function<void()>>(std::move(handler)) : nullptr;
  std::lock_guard lock(mu_);
  stop_ = std::move(fn);
}

CommandResult CommandTable::list() const {
  constexpr std::size_t kRoom = kMaxCommandReply - 32;  // leaves room for the "N more" line
  std::string out;
  const auto add = [&](std::string_view name, std::string_view desc) {
    const std::size_t need = name.size() + desc.size() + 2;
    if (out.size() + need > kRoom) return false;
    out.append(name).append("\t").append(desc).append("\n");
    return true;
  };
  for (const auto& b : kBuiltins) add(b[0], b[1]);
  std::size_t shown = 0;
  for (const Entry& e : entries_) {
    if (!add(e.name, e.description)) break;
    ++shown;
  }
  if (shown < entries_.size()) out += "...\t" + std::to_string(entries_.size() - shown) + " more\n";
  return {CommandStatus::kOk, std::move(out)};
}

CommandResult CommandTable::run(std::string_view name, std::string_view payload,
                                const std::string& who) {
  try {
    std::shared_ptr<const CommandHandler> handler;
    std::shared_ptr<const std::function<void()>> stop;
    {
      std::lock_guard lock(mu_);
      if (name == "ping") return {CommandStatus::kOk, who};
      if (name == "commands") return list();
      if (name == "stop") {
        stop = stop_;
        if (!stop) return failure(CommandStatus::kNotSupported, "not supported: no stop handler");
      }
      for (const Entry& e : entries_) {
        if (e.name == name) handler = e.handler;
      }
    }
    if (stop) {
      (*stop)();
      return {CommandStatus::kOk, "stopping"};
    }
    if (!handler) {
      return failure(CommandStatus::kUnknownCommand, "no command '" + std::string(name) + "'");
    }
    CommandResult r = (*handler)(payload);
    if (r.status != CommandStatus::kOk && r.status != CommandStatus::kError) {
      r.status = CommandStatus::kError;  // a handler answers ok or error; the rest are verdicts
    }
    return r;
  } catch (const std::exception& e) {
    return failure(CommandStatus::kHandlerFailed, std::string("handler threw: ") + e.what());
  } catch (...) {
    return failure(CommandStatus::kHandlerFailed, "handler threw");
  }
}

bool ProbeCore::command_pending() const noexcept {
  if (header == nullptr || !region_shareable) return false;
  const std::uint64_t id = header->commands.command_id.load(std::memory_order_acquire);
  return id != 0 && id != served_command_id.load(std::memory_order_relaxed);
}

void ProbeCore::serve_commands(int notify_fd) noexcept {
  std::unique_lock lock(serve_mutex, std::try_to_lock);
  if (!lock.owns_lock() || !command_pending()) return;
  try {
    CommandArea& area = header->commands;
    // Copy the command half between two loads of its id (the agent is trusted, but a copy that
    // changed under us belongs to the next command: the agent's next wake-up serves it).
    const std::uint64_t id = area.command_id.load(std::memory_order_acquire);
    char name[kMaxCommandNameLen + 1];
    std::memcpy(name, area.name, sizeof name);
    name[kMaxCommandNameLen] = '\0';
    const std::uint32_t size = area.payload_size;
    const std::uint64_t deadline = area.deadline_monotonic_ns;
    std::string payload(reinterpret_cast<const char*>(header->command_payload),
                        std::min<std::size_t>(size, kMaxCommandPayload));
    if (id == 0 || seqlock_recheck(area.command_id) != id) return;
    served_command_id.store(id, std::memory_order_relaxed);
    area.taken_id.store(id, std::memory_order_relaxed);

    CommandResult r =
        size > kMaxCommandPayload
            ? failure(CommandStatus::kError, "payload size out of range")
            : commands.run(name, payload,
                           "pid " + std::to_string(::getpid()) + " name " + opts.name);
    stats().commands_handled.fetch_add(1, std::memory_order_relaxed);
    if (r.payload.size() > kMaxCommandReply) {
      r = failure(CommandStatus::kReplyTooLarge,
                  "reply of " + std::to_string(r.payload.size()) + " bytes exceeds the " +
                      std::to_string(kMaxCommandReply) + "-byte limit");
    }
    if (r.status == CommandStatus::kHandlerFailed || r.status == CommandStatus::kReplyTooLarge ||
        monotonic_ns() > deadline) {
      stats().command_failures.fetch_add(1, std::memory_order_relaxed);
    }
    // Even a late reply is written: the agent drops and counts it (it never answers another
    // command with it: the id says which command it belongs to).
    seqlock_invalidate(area.reply_id);
    area.reply_status = std::uint32_t(r.status);
    area.reply_size = std::uint32_t(r.payload.size());
    std::memcpy(header->reply_payload, r.payload.data(), r.payload.size());
    area.reply_id.store(id, std::memory_order_release);
    if (notify_fd >= 0) {
      const char wake = 'r';
      [[maybe_unused]] auto n = ::send(notify_fd, &wake, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
    }
  } catch (...) {
    // Allocation failed: no reply; the agent answers the tool with a timeout.
  }
}

}  // namespace shmon::detail
