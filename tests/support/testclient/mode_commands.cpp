// SPDX-License-Identifier: Apache-2.0
// commands: an app that offers commands for the command-channel tests and waits until stdin
// closes (or its stop handler runs). It registers
//   echo   replies with its payload
//   throw  throws std::runtime_error("boom")
//   sleep  prints "HANDLER sleep START", sleeps the payload's number of ms, prints "... END"
//   big    replies with kMaxCommandReply + 1 bytes
// --variant stop: also a stop handler (prints "STOP HANDLER", then the mode exits 0);
// --variant poll: background_connect = false, commands run in its poll() loop.
// Prints "READY" once attached, "STATS handled=N failures=M" when it leaves.
//
// forge-reply: an app that attaches, then for every line "ID" (decimal) on stdin writes a reply
// to command ID into its own command area (a command it never received) and wakes the agent.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>

#include "output.hpp"
#include "probe_core.hpp"
#include "probe_testing.hpp"
#include "shmon/probe.hpp"

namespace shmon::testclient {
namespace {

// Waits up to 10 ms for stdin; false once stdin is at EOF (or a line arrived: `line` has it).
bool stdin_open(std::string* line = nullptr) {
  pollfd p{STDIN_FILENO, POLLIN, 0};
  if (::poll(&p, 1, 10) <= 0) return true;
  char buf[256];
  const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
  if (n <= 0) return false;
  if (line != nullptr) line->append(buf, std::size_t(n));
  return true;
}

}  // namespace

int run_commands(const Args& args) {
  ProbeOptions options = probe_options(args);
  options.background_connect = args.variant != "poll";
  Probe probe(options);
  std::atomic<bool> stop{false};
  probe.on_command("echo", "replies with its payload", [](std::string_view payload) {
    return CommandResult{CommandStatus::kOk, std::string(payload)};
  });
  probe.on_command("throw", "throws",
                   [](std::string_view) -> CommandResult { throw std::runtime_error("boom"); });
  probe.on_command("sleep", "sleeps PAYLOAD ms", [](std::string_view payload) {
    say("HANDLER sleep START");
    std::this_thread::sleep_for(std::chrono::milliseconds(std::stoul(std::string(payload))));
    say("HANDLER sleep END");
    return CommandResult{CommandStatus::kOk, "slept"};
  });
  probe.on_command("big", "replies too much", [](std::string_view) {
    return CommandResult{CommandStatus::kOk, std::string(kMaxCommandReply + 1, 'x')};
  });
  if (args.variant == "stop") {
    probe.on_stop([&] {
      say("STOP HANDLER");
      stop.store(true);
    });
  }
  if (!await_attach(probe, args)) return 1;
  say("READY");
  while (!stop.load() && stdin_open()) {
    if (args.variant == "poll") probe.poll();
  }
  const ClientStatsSnapshot s = probe.stats();
  say("STATS handled=" + std::to_string(s.commands_handled) +
      " failures=" + std::to_string(s.command_failures));
  return 0;
}

int run_forge_reply(const Args& args) {
  Probe probe(probe_options(args));
  if (!await_attach(probe, args)) return 1;
  say("READY");
  detail::ProbeCore* core = testing::core_of(probe);
  std::string pending;
  while (stdin_open(&pending)) {
    for (std::size_t nl; (nl = pending.find('\n')) != std::string::npos;) {
      const std::uint64_t id = std::stoull(pending.substr(0, nl));
      pending.erase(0, nl + 1);
      CommandArea& a = core->header->commands;
      const char text[] = "FORGED";
      a.reply_id.store(0, std::memory_order_relaxed);
      a.reply_status = 0;
      a.reply_size = sizeof text - 1;
      std::memcpy(core->header->reply_payload, text, sizeof text - 1);
      a.reply_id.store(id, std::memory_order_release);
      {
        std::lock_guard lock(core->call_mutex);
        const char wake = 'r';
        if (core->session.sock) ::send(core->session.sock.get(), &wake, 1, MSG_NOSIGNAL);
      }
      say("FORGED " + std::to_string(id));
    }
  }
  return 0;
}

}  // namespace shmon::testclient
