// SPDX-License-Identifier: Apache-2.0
#include "raw_attach.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "shmon/clock.hpp"
#include "shmon/layout.hpp"
#include "shmon/paths.hpp"

namespace shmon::testclient {
namespace {

std::uint64_t random_u64() {
  std::random_device rd;
  return (std::uint64_t(rd()) << 32) ^ rd() ^ 1;
}

constexpr std::uint64_t kHugePage = 2u << 20;

// Small parameters; for kHugetlb, the first ones whose region is a whole number of 2 MiB pages
// (hugetlbfs sizes must be, and the agent insists on the exact geometry size).
Result<DataGeometry> pick_geometry(RegionFlaw flaw) {
  DataParams params;
  params.metric_capacity = 16;
  params.shard_count = 2;
  params.histogram_capacity = 1;
  params.histogram_buckets = 16;
  params.ring_capacity = 1024;  // 64 KiB per ring: most pages are records, read only on events
  if (flaw != RegionFlaw::kHugetlb) return compute_data_geometry(params);
  // One shard's 16384-event ring is 1 MiB; histograms fill the rest in steps of 64 bytes.
  params.shard_count = 1;
  params.ring_capacity = 16384;
  for (std::uint32_t histograms = 1; histograms <= DataLimits::kMaxHistograms; ++histograms) {
    for (std::uint32_t buckets = 2; buckets <= DataLimits::kMaxBuckets; ++buckets) {
      params.histogram_capacity = histograms;
      params.histogram_buckets = buckets;
      auto g = compute_data_geometry(params);
      if (g && g->region_size % kHugePage == 0) return g;
    }
  }
  return Error{"no small geometry is a whole number of huge pages"};
}

// A descriptor of `size` bytes with the requested flaw (kNone: a proper region).
Result<UniqueFd> flawed_fd(RegionFlaw flaw, std::size_t size) {
  if (flaw == RegionFlaw::kSparse || flaw == RegionFlaw::kHugetlb) {
    const unsigned flags =
        MFD_CLOEXEC | MFD_ALLOW_SEALING | (flaw == RegionFlaw::kHugetlb ? MFD_HUGETLB : 0u);
    UniqueFd fd(::memfd_create("shmon-testclient", flags));
    if (!fd) return Error{std::string("memfd_create: ") + std::strerror(errno)};
    if (::ftruncate(fd.get(), off_t(size)) != 0)
      return Error{std::string("ftruncate: ") + std::strerror(errno)};
    if (flaw == RegionFlaw::kHugetlb && ::fallocate(fd.get(), 0, 0, off_t(size)) != 0) {
      return Error{std::string("fallocate (huge pages): ") + std::strerror(errno)};
    }
    if (auto sealed = seal_shared(fd.get()); !sealed)
      return Error{"seal_shared: " + sealed.error()};
    return fd;
  }
  if (flaw == RegionFlaw::kDiskFile) {
    UniqueFd fd(::open("/var/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
    if (!fd) return Error{std::string("open(/var/tmp, O_TMPFILE): ") + std::strerror(errno)};
    if (::ftruncate(fd.get(), off_t(size)) != 0)
      return Error{std::string("ftruncate: ") + std::strerror(errno)};
    return fd;
  }
  auto fd = create_region("shmon-testclient", size);
  if (!fd) return Error{"create_region: " + fd.error()};
  if (auto sealed = seal_shared(fd->get()); !sealed) return Error{"seal_shared: " + sealed.error()};
  return fd;
}

// Creates and fills a small data region; returns false with session.error set on failure.
bool build_region(const RawAttachOptions& options, const PrepareRegion& prepare,
                  RawSession& session) {
  auto geometry = pick_geometry(options.flaw);
  if (!geometry) {
    session.error = "compute_data_geometry: " + geometry.error();
    return false;
  }
  std::size_t size = geometry->region_size;
  if (options.flaw == RegionFlaw::kBadRegionSize) size += 64 * 1024;
  auto fd = flawed_fd(options.flaw, size);
  if (!fd) {
    session.error = fd.error();
    return false;
  }
  auto mapping = Mapping::map(fd->get(), size, true);
  if (!mapping) {
    session.error = "map: " + mapping.error();
    return false;
  }
  auto* header = mapping->as<DataHeader>();
  const std::uint64_t incarnation = options.incarnation != 0 ? options.incarnation : random_u64();
  init_data_header(*header, *geometry, options.kind, ::getpid(), incarnation, options.name);
  if (options.flaw == RegionFlaw::kBadMagic) std::memcpy(header->magic, "NOTSHMON", 8);
  if (prepare) prepare(mapping->data(), *geometry);
  session.data_fd = std::move(*fd);
  session.data = std::move(*mapping);
  return true;
}

}  // namespace

RawSession raw_attach(const RawAttachOptions& options, const PrepareRegion& prepare) {
  RawSession session;
  if (!build_region(options, prepare, session)) return session;

  auto connected = connect_unix(socket_path(options.instance));
  session.connect_error = connected.error;
  if (connected.error != ConnectError::kNone) {
    session.error = connected.message;
    return session;
  }
  session.sock = std::move(connected.fd);

  AttachRequest request{};
  std::memcpy(request.magic, kAttachMagic, sizeof request.magic);
  request.abi_version = options.abi_version;
  request.kind = std::uint32_t(options.kind);
  request.pid = ::getpid();
  request.incarnation = session.data.as<DataHeader>()->incarnation;
  if (options.random_secret) {
    for (std::size_t i = 0; i < sizeof request.reattach_secret; i += 8) {
      const std::uint64_t r = random_u64();
      std::memcpy(request.reattach_secret + i, &r, 8);
    }
  }
  std::strncpy(request.name, options.name.c_str(), kMaxClientNameLen);
  request.data_region_size = session.data.size();
  const int fds[] = {session.data_fd.get()};
  auto sent = send_message(session.sock.get(), std::as_bytes(std::span(&request, 1)),
                           std::span<const int>(fds));
  if (!sent) {
    session.error = "send AttachRequest: " + sent.error();
    return session;
  }
  auto received =
      receive_message(session.sock.get(), std::as_writable_bytes(std::span(&session.reply, 1)), 2,
                      deadline_after_ms(5000));
  if (!received) {
    session.error = "receive AttachReply: " + received.error();
    return session;
  }
  session.replied = true;
  if (received->fds.size() >= 1) session.control_fd = std::move(received->fds[0]);
  if (received->fds.size() >= 2) session.mailbox_fd = std::move(received->fds[1]);
  return session;
}

MailboxSession attach_with_mailbox(const RawAttachOptions& options) {
  MailboxSession out;
  out.session = raw_attach(options);
  const RawSession& s = out.session;
  if (!s.replied || s.reply.status != std::uint32_t(AttachStatus::kOk)) {
    out.error = "ATTACH failed " + (s.replied ? reply_message(s.reply) : s.error);
    return out;
  }
  auto size =
      verify_region(s.mailbox_fd.get(), MailboxLayout::kRegionSize, MailboxLayout::kRegionSize);
  if (!size) {
    out.error = "MAILBOX bad " + size.error();
    return out;
  }
  auto mapping = Mapping::map(s.mailbox_fd.get(), *size, true);
  if (!mapping) {
    out.error = "MAILBOX map failed " + mapping.error();
    return out;
  }
  out.mailbox = std::move(*mapping);
  return out;
}

std::string attach_status_name(std::uint32_t status) {
  // Unknown values (a broken agent) keep their number; known ones use the protocol's names.
  const char* name = to_string(AttachStatus(status));
  return std::string(name) == "unknown" ? "unknown(" + std::to_string(status) + ")" : name;
}

std::string reply_message(const AttachReply& reply) {
  return std::string(reply.message, strnlen(reply.message, sizeof reply.message));
}

}  // namespace shmon::testclient
