#include "raw_attach.hpp"

#include <unistd.h>

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

// Creates and fills a small data region; returns false with session.error set on failure.
bool build_region(const RawAttachOptions& options, RawSession& session) {
  DataParams params;
  params.metric_capacity = 16;
  params.shard_count = 2;
  params.histogram_capacity = 1;
  params.histogram_buckets = 16;
  params.ring_capacity = 64;
  auto geometry = compute_data_geometry(params);
  if (!geometry) {
    session.error = "compute_data_geometry: " + geometry.error();
    return false;
  }
  std::size_t size = geometry->region_size;
  if (options.flaw == RegionFlaw::kBadRegionSize) size += 64 * 1024;
  auto fd = create_region("shmon-testclient", size);
  if (!fd) {
    session.error = "create_region: " + fd.error();
    return false;
  }
  if (auto sealed = seal_shared(fd->get()); !sealed) {
    session.error = "seal_shared: " + sealed.error();
    return false;
  }
  auto mapping = Mapping::map(fd->get(), size, true);
  if (!mapping) {
    session.error = "map: " + mapping.error();
    return false;
  }
  auto* header = mapping->as<DataHeader>();
  const std::uint64_t incarnation = options.incarnation != 0 ? options.incarnation : random_u64();
  init_data_header(*header, *geometry, ClientKind::kApp, ::getpid(), incarnation, options.name);
  if (options.flaw == RegionFlaw::kBadMagic) std::memcpy(header->magic, "NOTSHMON", 8);
  session.data_fd = std::move(*fd);
  session.data = std::move(*mapping);
  return true;
}

}  // namespace

RawSession raw_attach(const RawAttachOptions& options) {
  RawSession session;
  if (!build_region(options, session)) return session;

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
  request.kind = std::uint32_t(ClientKind::kApp);
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

std::string attach_status_name(std::uint32_t status) {
  // Unknown values (a broken agent) keep their number; known ones use the protocol's names.
  const char* name = to_string(AttachStatus(status));
  return std::string(name) == "unknown" ? "unknown(" + std::to_string(status) + ")" : name;
}

std::string reply_message(const AttachReply& reply) {
  return std::string(reply.message, strnlen(reply.message, sizeof reply.message));
}

}  // namespace shmon::testclient
