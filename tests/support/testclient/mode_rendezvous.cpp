// SPDX-License-Identifier: Apache-2.0
// Attacks on the rendezvous socket:
//   slowloris   opens 16 connections and sends their AttachRequests one byte per connection
//               every 100 ms for --wait-ms (never a whole request); prints "SLOWLORIS open=N"
//               once all are connected and "SLOWLORIS done" at the end
//   hold-tool   attaches as a tool (kind 2) and stays until a line or EOF on stdin; prints
//               "TOOL <status> <message>"
//   fd-flood    opens up to --wait-ms connections (a count here) without sending anything and
//               keeps them until a line or EOF on stdin; prints "FLOOD open=N"
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "output.hpp"
#include "raw_attach.hpp"
#include "shmon/clock.hpp"
#include "shmon/paths.hpp"

namespace shmon::testclient {
namespace {

void wait_stdin() {
  char line[64];
  if (std::fgets(line, sizeof line, stdin) == nullptr) {
    // EOF: leave as well.
  }
}

int slowloris(const Args& args) {
  constexpr int kConnections = 16;
  std::vector<UniqueFd> socks;
  for (int i = 0; i < kConnections; ++i) {
    auto c = connect_unix(socket_path(args.instance));
    if (c.error != ConnectError::kNone) {
      say("SLOWLORIS connect failed " + c.message);
      return 1;
    }
    socks.push_back(std::move(c.fd));
  }
  say("SLOWLORIS open=" + std::to_string(socks.size()));
  const char byte = 'S';  // the first byte of a plausible magic; never a whole request
  const std::uint64_t end = deadline_after_ms(args.wait_ms);
  std::size_t sent = 0;
  while (monotonic_ns() < end) {
    for (auto& s : socks) {
      if (s && sent < sizeof(AttachRequest) - 1 &&
          ::send(s.get(), &byte, 1, MSG_DONTWAIT | MSG_NOSIGNAL) != 1) {
        s.reset();  // the agent dropped it (its deadline): fine
      }
    }
    ++sent;
    ::poll(nullptr, 0, 100);  // the attack's pace, not a synchronization
  }
  say("SLOWLORIS done");
  return 0;
}

int hold_tool(const Args& args) {
  RawAttachOptions options{args.instance, args.name, kAbiVersion, RegionFlaw::kNone};
  options.kind = ClientKind::kTool;
  const RawSession session = raw_attach(options);
  if (!session.replied) {
    say("ERROR " + session.error);
    return 1;
  }
  say("TOOL " + attach_status_name(session.reply.status) + " " + reply_message(session.reply));
  wait_stdin();
  return 0;
}

int fd_flood(const Args& args) {
  std::vector<UniqueFd> socks;
  for (std::uint32_t i = 0; i < args.wait_ms; ++i) {
    auto c = connect_unix(socket_path(args.instance));
    if (c.error != ConnectError::kNone) break;
    socks.push_back(std::move(c.fd));
  }
  say("FLOOD open=" + std::to_string(socks.size()));
  wait_stdin();
  return 0;
}

}  // namespace

int run_slowloris(const Args& args) {
  return slowloris(args);
}
int run_hold_tool(const Args& args) {
  return hold_tool(args);
}
int run_fd_flood(const Args& args) {
  return fd_flood(args);
}

}  // namespace shmon::testclient
