// Attach attempts the agent must refuse (bad-magic, bad-abi, bad-region-size), and a plain raw
// attach (attach) that reports how far it got.
#include <string>

#include "output.hpp"
#include "raw_attach.hpp"

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
