// SPDX-License-Identifier: Apache-2.0
// A hand-made attach with the shared primitives only (no probe): build a data region, send the
// AttachRequest with its fd, read the AttachReply and its fds. Options make the attempt wrong in
// one precise way, so the tests can check that the agent refuses it and keeps serving.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "shmon/client_mutex.hpp"
#include "shmon/fd.hpp"
#include "shmon/layout.hpp"
#include "shmon/memfd.hpp"
#include "shmon/protocol.hpp"
#include "shmon/unix_socket.hpp"

namespace shmon::testclient {

enum class RegionFlaw {
  kNone,
  kBadMagic,       // the data header's magic is wrong
  kBadRegionSize,  // the fd is larger than the size the header's params give
  kSparse,         // a sealed memfd whose pages were never reserved (no fallocate)
  kHugetlb,        // a sealed MFD_HUGETLB memfd (needs free huge pages)
  kDiskFile,       // an unlinked file on /var/tmp instead of a memfd
};

struct RawAttachOptions {
  std::string instance;
  std::string name;
  std::uint32_t abi_version = kAbiVersion;  // in the AttachRequest
  RegionFlaw flaw = RegionFlaw::kNone;
  std::uint64_t incarnation = 0;  // 0: a random one
  bool random_secret = false;     // false: no re-attach secret (all zero)
  ClientKind kind = ClientKind::kApp;
};

// Runs on the initialised region before the attach request is sent (lies told at attach).
using PrepareRegion = std::function<void(std::byte* region, const DataGeometry& geometry)>;

struct RawSession {
  ConnectError connect_error = ConnectError::kNone;
  std::string error;  // empty when an AttachReply arrived
  bool replied = false;
  AttachReply reply{};
  UniqueFd sock;
  UniqueFd data_fd;
  Mapping data;
  UniqueFd control_fd;  // on kOk
  UniqueFd mailbox_fd;  // on kOk
};

RawSession raw_attach(const RawAttachOptions& options, const PrepareRegion& prepare = {});

// A raw attach that succeeded, with the mailbox verified and mapped read-write: what a client
// that attacks or abuses the mailbox starts from.
struct MailboxSession {
  RawSession session;
  Mapping mailbox;
  std::string error;  // a line to print ("ATTACH failed ...", "MAILBOX ..."); empty on success
  MailboxHeader* header() const { return mailbox.as<MailboxHeader>(); }
  RequestHeader* request() const {
    return mailbox.as<RequestHeader>(MailboxLayout::kRequestOffset);
  }
  ResponseHeader* response() const {
    return mailbox.as<ResponseHeader>(MailboxLayout::kResponseOffset);
  }
  std::uint32_t owner_token() const {
    return make_owner_token(session.reply.slot, session.reply.lock_generation);
  }
};
MailboxSession attach_with_mailbox(const RawAttachOptions& options);

// "kOk"-style names for printing.
std::string attach_status_name(std::uint32_t status);
std::string reply_message(const AttachReply& reply);

}  // namespace shmon::testclient
