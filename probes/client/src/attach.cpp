// SPDX-License-Identifier: Apache-2.0
// The rendezvous conversation of every client: checks, AttachRequest + data region fd, reply,
// control and mailbox regions validated from private copies before anything is trusted.
#include "shmon/client/attach.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <span>

#include "shmon/client/trust.hpp"
#include "shmon/client_mutex.hpp"
#include "shmon/clock.hpp"
#include "shmon/limits.hpp"
#include "shmon/names.hpp"
#include "shmon/paths.hpp"
#include "shmon/protocol.hpp"
#include "shmon/unix_socket.hpp"

namespace shmon::client {
namespace {

std::string abi_message(const std::string& path, std::uint32_t theirs) {
  return "agent at " + path + " speaks ABI " + std::to_string(theirs) + "; this client speaks " +
         std::to_string(kAbiVersion);
}

AttachResult outcome(AttachOutcome o, std::string message) {
  AttachResult r;
  r.outcome = o;
  r.message = std::move(message);
  return r;
}

// Puts zero pages back over a fixed mailbox reservation after a failed mapping.
void restore_reservation(void* at) {
  if (at != nullptr) {
    ::mmap(at, mailbox_reservation_size(), PROT_READ | PROT_WRITE,
           MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  }
}

}  // namespace

std::size_t mailbox_reservation_size() {
  const auto page = std::size_t(::sysconf(_SC_PAGESIZE));
  return (MailboxLayout::kRegionSize + page - 1) / page * page;
}

AttachResult attach(const AttachParams& params) {
  const std::string path = socket_path(params.instance);
  auto failed = [&](const std::string& why) {
    return outcome(AttachOutcome::kFailed, "attach to " + path + " failed: " + why);
  };
  auto refused = [&](std::string why) { return outcome(AttachOutcome::kRefused, std::move(why)); };

  Connected conn;
  const bool pending = params.pending_sock >= 0;
  if (pending) {
    conn.fd = UniqueFd(params.pending_sock);
  } else {
    if (::access(path.c_str(), F_OK) != 0 && errno == ENOENT) {
      return outcome(AttachOutcome::kNoAgent, "no agent at " + path);
    }
    if (auto st = check_socket_directory(path); !st) return refused(st.error());
    conn = connect_unix(path);
    if (!conn.fd) {
      if (conn.error == ConnectError::kPermission) {
        return refused("permission denied on " + path + ": " + conn.message);
      }
      return outcome(AttachOutcome::kNoAgent,
                     conn.message.empty() ? "no agent at " + path : conn.message);
    }
  }
  if (auto st = check_agent_credentials(conn.fd.get()); !st) {
    return refused("agent at " + path + ": " + st.error());
  }
  if (!pending) {
    AttachRequest req{};
    std::memcpy(req.magic, params.view_only ? kViewMagic : kAttachMagic, sizeof(kAttachMagic));
    req.abi_version = kAbiVersion;
    req.kind = std::uint32_t(params.kind);
    req.pid = std::int32_t(::getpid());
    req.incarnation = params.incarnation;
    std::memcpy(req.reattach_secret, params.reattach_secret.data(), sizeof(req.reattach_secret));
    write_fixed_name(req.name, sizeof(req.name), params.name);
    req.data_region_size = params.data_region_size;
    const int fds[1] = {params.data_fd};
    const std::span<const int> sent_fds = params.view_only ? std::span<const int>() : fds;
    if (auto st = send_message(conn.fd.get(), std::as_bytes(std::span(&req, 1)), sent_fds); !st) {
      return failed(st.error());
    }
  }
  AttachReply rep{};
  auto got = receive_message(conn.fd.get(), std::as_writable_bytes(std::span(&rep, 1)), 2,
                             params.deadline_ns);
  if (!got) return failed(got.error());
  if (std::memcmp(rep.magic, kReplyMagic, sizeof(kReplyMagic)) != 0) {
    return failed("the reply has a bad magic");
  }
  if (rep.abi_version != kAbiVersion) return refused(abi_message(path, rep.abi_version));
  rep.message[sizeof(rep.message) - 1] = '\0';
  const std::string agent_says = rep.message;
  switch (AttachStatus(rep.status)) {
    case AttachStatus::kOk:
      break;
    case AttachStatus::kFull:
      return outcome(
          AttachOutcome::kFull,
          "agent full (" + (agent_says.empty() ? std::string("no free slot") : agent_says) + ")");
    case AttachStatus::kAbiMismatch:
      return refused(abi_message(path, rep.abi_version) + (agent_says.empty() ? "" : ": ") +
                     agent_says);
    default:
      return refused(std::string("agent at ") + path + " refused the attach (" +
                     to_string(AttachStatus(rep.status)) + (agent_says.empty() ? "" : ": ") +
                     agent_says + ")");
  }
  if (got->fds.size() != (params.view_only ? 1u : 2u))
    return failed("the reply carries no region descriptors");

  AttachResult result;
  Attachment& a = result.attachment;
  // Control region: read-only, validated on a private copy of its header.
  const std::size_t max_control = control_region_size(kHardMaxClients + kReservedToolSlots);
  auto control_size = verify_region(got->fds[0].get(), sizeof(ControlHeader), max_control);
  if (!control_size) return failed("control region: " + control_size.error());
  auto control = Mapping::map(got->fds[0].get(), *control_size, false);
  if (!control) return failed(control.error());
  ControlHeader ch;
  std::memcpy(static_cast<void*>(&ch), control->data(), sizeof(ch));
  // A wrong magic or ABI is a different program or version, not a passing fault: refuse (and
  // retry slowly) rather than fail, and say which of the two it is.
  if (std::memcmp(ch.magic, kControlMagic, sizeof(kControlMagic)) != 0) {
    return refused("agent at " + path + " sent a control region with a bad magic (not a shmon " +
                   "agent, or a corrupt region)");
  }
  if (ch.abi_version != kAbiVersion) return refused(abi_message(path, ch.abi_version));
  if (auto st = validate_control_header(ch, *control_size); !st) return failed(st.error());
  if (params.view_only) {
    a.control = std::move(*control);  // the agent closes the connection: no socket kept
    a.agent_pid = rep.agent_pid;
    a.agent_generation = rep.agent_generation;
    result.outcome = AttachOutcome::kAttached;
    return result;
  }

  // Mailbox: read-write; over the caller's reservation when it has one.
  const std::size_t mbx_max =
      params.mailbox_at != nullptr ? mailbox_reservation_size() : MailboxLayout::kRegionSize;
  auto mbx_size = verify_region(got->fds[1].get(), MailboxLayout::kRegionSize, mbx_max);
  if (!mbx_size) return failed("mailbox: " + mbx_size.error());
  if (params.mailbox_at != nullptr) {
    void* p = ::mmap(params.mailbox_at, *mbx_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
                     got->fds[1].get(), 0);
    if (p == MAP_FAILED) {
      const int err = errno;
      restore_reservation(params.mailbox_at);
      return failed("cannot map the mailbox: " + std::string(std::strerror(err)));
    }
    a.mailbox_header = static_cast<MailboxHeader*>(params.mailbox_at);
  } else {
    auto m = Mapping::map(got->fds[1].get(), *mbx_size, true);
    if (!m) return failed("mailbox: " + m.error());
    a.mailbox = std::move(*m);
    a.mailbox_header = a.mailbox.as<MailboxHeader>();
  }
  MailboxHeader mh;
  std::memcpy(static_cast<void*>(&mh), a.mailbox_header, sizeof(mh));
  if (auto st = validate_mailbox_header(mh, *mbx_size); !st) {
    restore_reservation(params.mailbox_at);
    return failed(st.error());
  }

  a.sock = std::move(conn.fd);
  a.control = std::move(*control);
  a.slot = rep.slot;
  a.session = rep.session;
  a.owner_token = make_owner_token(rep.slot, rep.lock_generation);
  a.agent_pid = rep.agent_pid;
  a.agent_generation = rep.agent_generation;
  result.outcome = AttachOutcome::kAttached;
  return result;
}

}  // namespace shmon::client
