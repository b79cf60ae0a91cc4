// SPDX-License-Identifier: Apache-2.0
// The app's side of the command channel (docs/COMMANDS.md): the table of registered commands and
// the built-ins ping, commands and stop. Used by ProbeCore::serve_commands() on the connector
// thread (or in Probe::poll()); never on the update path.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "shmon/probe.hpp"

namespace shmon::detail {

class CommandTable {
 public:
  static constexpr std::size_t kMaxCommands = 32;
  static constexpr std::size_t kMaxDescriptionLen = 80;

  // False for an invalid or built-in name, or a full table. Registering a name again replaces it.
  bool add(std::string_view name, std::string_view description, CommandHandler handler);
  void set_stop(std::function<void()> handler);
  // fork child: the lock may have been held by a thread that does not exist there.
  void reset_lock_after_fork() noexcept { new (&mu_) std::mutex(); }

  // Runs command `name` (a built-in or a registered one) and returns its answer; never throws.
  // A handler that throws yields kHandlerFailed with what() as the reply. `who` is the ping
  // built-in's answer ("pid N name X").
  CommandResult run(std::string_view name, std::string_view payload, const std::string& who);

 private:
  struct Entry {
    std::string name;
    std::string description;
    std::shared_ptr<const CommandHandler> handler;  // shared: runs outside the lock
  };
  CommandResult list() const;  // mu_ held

  mutable std::mutex mu_;
  std::vector<Entry> entries_;
  std::shared_ptr<const std::function<void()>> stop_;
};

}  // namespace shmon::detail
