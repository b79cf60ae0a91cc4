// SPDX-License-Identifier: Apache-2.0
// Attach attempts the agent must refuse (bad-magic, bad-abi, bad-region-size), and a plain raw
// attach (attach) that reports how far it got.
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "output.hpp"
#include "raw_attach.hpp"
#include "shmon/clock.hpp"

namespace shmon::testclient {
namespace {

std::string connect_error_name(ConnectError error) {
  switch (error) {
    case ConnectError::kNone:
      return "none";
    case ConnectError::kNoAgent:
      return "no_agent";
    case ConnectError::kPermission:
      return "permission";
    case ConnectError::kOther:
      return "other";
  }
  return "unknown";
}

// Prints "REPLY <status> <message>" or "ERROR <what>"; exit 0 when refused with `expected`.
int expect_refusal(const Args& args, std::uint32_t abi, RegionFlaw flaw, AttachStatus expected) {
  const RawSession session = raw_attach({args.instance, args.name, abi, flaw});
  if (!session.replied) {
    say("ERROR " + session.error);
    return 1;
  }
  say("REPLY " + attach_status_name(session.reply.status) + " " + reply_message(session.reply));
  return session.reply.status == std::uint32_t(expected) ? 0 : 1;
}

}  // namespace

int run_bad_magic(const Args& args) {
  return expect_refusal(args, kAbiVersion, RegionFlaw::kBadMagic, AttachStatus::kBadRegion);
}

int run_bad_abi(const Args& args) {
  return expect_refusal(args, 999, RegionFlaw::kNone, AttachStatus::kAbiMismatch);
}

int run_bad_region_size(const Args& args) {
  return expect_refusal(args, kAbiVersion, RegionFlaw::kBadRegionSize, AttachStatus::kBadRegion);
}

int run_bad_region(const Args& args) {
  RegionFlaw flaw = RegionFlaw::kNone;
  if (args.variant == "sparse") {
    flaw = RegionFlaw::kSparse;
  } else if (args.variant == "hugetlb") {
    flaw = RegionFlaw::kHugetlb;
  } else if (args.variant == "disk-file") {
    flaw = RegionFlaw::kDiskFile;
  } else {
    say("ERROR unknown --variant '" + args.variant + "' (sparse | hugetlb | disk-file)");
    return 2;
  }
  const RawSession session = raw_attach({args.instance, args.name, kAbiVersion, flaw});
  if (!session.replied && !session.data.valid() && !session.data_fd) {
    say("UNAVAILABLE " + session.error);  // this machine cannot build the flawed region
    return 4;
  }
  if (!session.replied) {
    say("ERROR " + session.error);
    return 1;
  }
  say("REPLY " + attach_status_name(session.reply.status) + " " + reply_message(session.reply));
  return session.reply.status == std::uint32_t(AttachStatus::kBadRegion) ? 0 : 1;
}

int run_punch_region(const Args& args) {
  RawSession session = raw_attach({args.instance, args.name, kAbiVersion, RegionFlaw::kNone});
  if (!session.replied || session.reply.status != std::uint32_t(AttachStatus::kOk)) {
    say("ERROR attach: " + (session.replied ? reply_message(session.reply) : session.error));
    return 1;
  }
  say("ATTACHED");
  // Give every page but the header's back to the kernel: a reader faults them in again later.
  const auto page = off_t(::sysconf(_SC_PAGESIZE));
  const auto length = off_t(session.data.size()) - page;
  if (::fallocate(session.data_fd.get(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, page,
                  length) != 0) {
    say(std::string("ERROR punch hole: ") + std::strerror(errno));
    return 1;
  }
  say("PUNCHED");
  // The agent must notice and hang up on us.
  const std::uint64_t deadline = deadline_after_ms(args.wait_ms);
  char byte;
  for (;;) {
    const std::uint64_t now = monotonic_ns();
    if (now >= deadline) break;
    pollfd p{session.sock.get(), POLLIN, 0};
    const int n = ::poll(&p, 1, int((deadline - now) / 1'000'000) + 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    const ssize_t got = ::recv(session.sock.get(), &byte, 1, MSG_DONTWAIT);
    if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) {
      say("DROPPED");
      return 0;
    }
  }
  say("NOT DROPPED");
  return 1;
}

int run_attach(const Args& args) {
  const RawSession session = raw_attach({args.instance, args.name, kAbiVersion, RegionFlaw::kNone});
  if (session.connect_error != ConnectError::kNone) {
    say("CONNECT " + connect_error_name(session.connect_error) + " " + session.error);
    return 1;
  }
  if (!session.replied) {
    say("ERROR " + session.error);
    return 1;
  }
  say("ATTACH " + attach_status_name(session.reply.status) + " " + reply_message(session.reply));
  return session.reply.status == std::uint32_t(AttachStatus::kOk) ? 0 : 1;
}

}  // namespace shmon::testclient
