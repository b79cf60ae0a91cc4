// SPDX-License-Identifier: Apache-2.0
// command-burst: a tool that sends `--variant N` echo commands back to back to the app named
// "target" (issue 18: such a tool lost 92 of 20,000 replies) and counts what comes back. It
// never waits for a reply before sending the next command (at most 4,000 outstanding) and reads
// replies whenever the socket has some, non-blocking both ways. After the N replies it sends one
// more command, to slot 0xfffffff0 (no such client), and expects the very next reply to be
// that one: a second reply to any of the N would come first.
// `--variant N:slow-reader`: the tool reads no reply for its first 300 ms, so that the agent's
// send buffer towards it fills (an agent that dropped a reply on EAGAIN lost many then).
// Prints "REPLIES n", "STATUS <name> <count>" per status, then "SENTINEL ok" or "SENTINEL <what>",
// or "DESYNC" when a reply's magic is wrong (a torn stream).
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <string>

#include "output.hpp"
#include "shmon/client/tool_client.hpp"
#include "shmon/clock.hpp"
#include "shmon/protocol.hpp"

namespace shmon::testclient {

namespace {

constexpr std::uint32_t kSentinelSlot = 0xfffffff0u;

std::string request_bytes(std::uint32_t slot, std::uint64_t incarnation, const std::string& text) {
  auto req = std::make_unique<CommandRequest>();
  std::memset(static_cast<void*>(req.get()), 0, sizeof(CommandRequest));
  std::memcpy(req->magic, kCommandRequestMagic, sizeof req->magic);
  req->abi_version = kAbiVersion;
  req->slot = slot;
  req->incarnation = incarnation;
  req->timeout_ms = 10'000;
  req->payload_size = std::uint32_t(text.size());
  std::memcpy(req->name, "echo", 4);
  std::memcpy(req->payload, text.data(), text.size());
  return std::string(reinterpret_cast<const char*>(req.get()), sizeof(CommandRequest));
}

}  // namespace

int run_command_burst(const Args& args) {
  const std::uint64_t total = std::stoull(args.variant.empty() ? "20000" : args.variant);
  const bool slow_reader = args.variant.find(":slow-reader") != std::string::npos;
  client::ToolOptions options;
  options.instance = args.instance;
  options.name = args.name;
  client::ToolClient tool(options);
  if (tool.attach(deadline_after_ms(5000)) != client::AttachOutcome::kAttached) {
    say("NOT CONNECTED " + tool.error());
    return 1;
  }
  std::uint32_t slot = 0;
  std::uint64_t incarnation = 0;
  for (const std::uint64_t until = deadline_after_ms(5000); incarnation == 0;) {
    if (monotonic_ns() > until) {
      say("NO TARGET");
      return 1;
    }
    if (auto d = tool.directory()) {
      for (const DirectoryEntry& e : d->clients) {
        if (ClientKind(e.kind) == ClientKind::kApp && std::string(e.name) == "target") {
          slot = e.slot;
          incarnation = e.incarnation;
        }
      }
    }
    if (incarnation == 0) ::poll(nullptr, 0, 5);
  }
  const int fd = tool.socket_fd();
  std::string out, in;
  std::uint64_t sent = 0, replies = 0;
  bool sentinel_sent = false;
  std::map<std::string, std::uint64_t> by_status;
  const std::uint64_t deadline = deadline_after_ms(120'000);
  // A slow reader's pause: the attack's shape (the agent must hold replies back meanwhile).
  const std::uint64_t read_from = slow_reader ? deadline_after_ms(300) : 0;
  while (monotonic_ns() < deadline) {
    if (out.empty() && sent < total && sent - replies < 4000) {
      out = request_bytes(slot, incarnation, "c" + std::to_string(sent++));
    } else if (out.empty() && replies == total && !sentinel_sent) {
      out = request_bytes(kSentinelSlot, 0, "sentinel");
      sentinel_sent = true;
    }
    const bool reading = monotonic_ns() >= read_from;
    pollfd p{fd, short((reading ? POLLIN : 0) | (out.empty() ? 0 : POLLOUT)), 0};
    if (::poll(&p, 1, reading ? 1000 : 10) < 0 && errno != EINTR) break;
    if ((p.revents & POLLOUT) != 0 && !out.empty()) {
      const ssize_t n = ::send(fd, out.data(), out.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n > 0) out.erase(0, std::size_t(n));
    }
    if (reading && (p.revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      char buf[65536];
      const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n == 0) {
        say("AGENT CLOSED");
        break;
      }
      if (n > 0) in.append(buf, std::size_t(n));
    }
    while (in.size() >= sizeof(CommandReply)) {
      CommandReply r;
      std::memcpy(&r, in.data(), sizeof r);
      in.erase(0, sizeof r);
      if (std::memcmp(r.magic, kCommandReplyMagic, sizeof r.magic) != 0) {
        say("DESYNC after " + std::to_string(replies) + " replies");
        return 1;
      }
      if (replies == total) {  // the reply after the N: must be the sentinel's
        const std::string text(reinterpret_cast<const char*>(r.payload),
                               std::min<std::size_t>(r.payload_size, kMaxCommandReply));
        const bool ours = CommandStatus(r.status) == CommandStatus::kNoSuchClient &&
                          text.find(std::to_string(kSentinelSlot)) != std::string::npos;
        say("REPLIES " + std::to_string(replies));
        for (const auto& [name, n] : by_status) say("STATUS " + name + " " + std::to_string(n));
        say(ours ? "SENTINEL ok"
                 : "SENTINEL another reply came first: " +
                       std::string(to_string(CommandStatus(r.status))) + " " + text);
        return ours ? 0 : 1;
      }
      ++replies;
      ++by_status[to_string(CommandStatus(r.status))];
    }
  }
  say("REPLIES " + std::to_string(replies));
  for (const auto& [name, n] : by_status) say("STATUS " + name + " " + std::to_string(n));
  say("INCOMPLETE sent " + std::to_string(sent));
  return 1;
}

}  // namespace shmon::testclient
