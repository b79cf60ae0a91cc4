// SPDX-License-Identifier: Apache-2.0
// trickle-tool: a tool that writes its RegionRequest (for the mailbox) one byte every 5 ms on its
// attached socket (issue 18: a tool trickling its request stalled the agent's main thread).
//   --variant complete  trickles one whole request, then reads the reply: "REGION ok" or
//                       "REGION <why>"
//   --variant stall     sends half a request and then nothing; waits (at most --wait-ms) for the
//                       agent to close the socket: "DROPPED <ms>" or "NOT DROPPED"
//   --variant loop      says READY, then trickles whole requests one after another (attaching
//                       again whenever the agent drops it) until stdin closes; "LOOP n=<served>"
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "output.hpp"
#include "shmon/client/tool_client.hpp"
#include "shmon/clock.hpp"
#include "shmon/protocol.hpp"
#include "shmon/unix_socket.hpp"

namespace shmon::testclient {
namespace {

constexpr int kByteIntervalMs = 5;

RegionRequest mailbox_request() {
  RegionRequest req{};
  std::memcpy(req.magic, kRegionRequestMagic, sizeof req.magic);
  req.abi_version = kAbiVersion;
  req.slot = kMailboxSlot;
  return req;
}

// Sends `count` bytes of `req` from `from`, one per kByteIntervalMs; false when the socket broke.
bool trickle(int fd, const RegionRequest& req, std::size_t from, std::size_t count) {
  const auto* bytes = reinterpret_cast<const char*>(&req);
  for (std::size_t i = from; i < from + count; ++i) {
    if (::send(fd, bytes + i, 1, MSG_NOSIGNAL) != 1) return false;
    ::poll(nullptr, 0, kByteIntervalMs);  // the attack's pace, not a synchronisation
  }
  return true;
}

// True when stdin has a line or EOF (poll, no wait).
bool stdin_closed() {
  pollfd p{STDIN_FILENO, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0;
}

// Trickles one whole request and reads its reply; "" when served, else why not.
std::string one_request(client::ToolClient& tool) {
  const RegionRequest req = mailbox_request();
  if (!trickle(tool.socket_fd(), req, 0, sizeof req)) return "the agent closed the socket";
  AttachReply reply{};
  auto got = receive_message(tool.socket_fd(), std::as_writable_bytes(std::span(&reply, 1)), 1,
                             deadline_after_ms(5000));
  if (!got) return got.error();
  if (reply.status != std::uint32_t(AttachStatus::kOk)) return "refused";
  return got->fds.size() == 1 ? "" : "no descriptor";
}

}  // namespace

int run_trickle_tool(const Args& args) {
  client::ToolOptions options;
  options.instance = args.instance;
  options.name = args.name;
  client::ToolClient tool(options);
  if (tool.attach(deadline_after_ms(5000)) != client::AttachOutcome::kAttached) {
    say("NOT CONNECTED " + tool.error());
    return 1;
  }
  if (args.variant == "stall") {
    const RegionRequest req = mailbox_request();
    if (!trickle(tool.socket_fd(), req, 0, sizeof req / 2)) {
      say("DROPPED early");
      return 1;
    }
    const std::uint64_t start = monotonic_ns();
    pollfd p{tool.socket_fd(), POLLIN | POLLRDHUP, 0};
    if (::poll(&p, 1, int(args.wait_ms)) > 0) {
      say("DROPPED " + std::to_string((monotonic_ns() - start) / 1'000'000));
      return 0;
    }
    say("NOT DROPPED");
    return 1;
  }
  if (args.variant == "loop") {
    say("READY");
    std::uint64_t served = 0;
    while (!stdin_closed()) {
      if (!tool.connected() &&
          tool.attach(deadline_after_ms(5000)) != client::AttachOutcome::kAttached) {
        say("NOT CONNECTED " + tool.error());
        return 1;
      }
      if (one_request(tool).empty()) {
        ++served;
      } else {
        tool.drop("dropped by the agent");  // as an old agent does: attach again
      }
    }
    say("LOOP n=" + std::to_string(served));
    return 0;
  }
  const std::string why = one_request(tool);
  say(why.empty() ? "REGION ok" : "REGION " + why);
  return why.empty() ? 0 : 1;
}

}  // namespace shmon::testclient
