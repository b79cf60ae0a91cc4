// SPDX-License-Identifier: Apache-2.0
#include "shmon/client/tool_client.hpp"

#include <poll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "shmon/clock.hpp"
#include "shmon/limits.hpp"
#include "shmon/names.hpp"
#include "shmon/unix_socket.hpp"

namespace shmon::client {
namespace {

// A tool's data region: it never registers metrics or emits events.
constexpr DataParams kToolParams{1, 1, 0, 2, 1};

std::uint64_t random_incarnation() {
  std::uint64_t v = 0;
  if (::getrandom(&v, sizeof v, 0) != ssize_t(sizeof v))
    v = realtime_ns() ^ std::uint64_t(::getpid());
  return v | 1;
}

// 128 random bits, never all zero.
std::array<std::uint8_t, kReattachSecretSize> random_secret() {
  std::array<std::uint8_t, kReattachSecretSize> s{};
  if (::getrandom(s.data(), s.size(), 0) != ssize_t(s.size())) {
    const std::uint64_t a = realtime_ns() ^ random_incarnation(), b = monotonic_ns();
    std::memcpy(s.data(), &a, 8);
    std::memcpy(s.data() + 8, &b, 8);
  }
  s[0] |= 1;
  return s;
}

}  // namespace

ToolClient::ToolClient(ToolOptions options)
    : options_(std::move(options)),
      incarnation_(random_incarnation()),
      secret_(random_secret()),
      response_(kResponseBodyCapacity) {}

ToolClient::~ToolClient() {
  if (!attached_) return;
  Reply reply;
  std::span<const std::byte> page;
  call(RequestType::kBye, {}, reply, page, deadline_after_ms(200));
}

Status ToolClient::make_region() {
  if (region_.valid()) return Ok{};
  auto geo = compute_data_geometry(kToolParams);
  if (!geo) return Error{geo.error()};
  auto fd = create_region("shmon-tool", geo->region_size);
  if (!fd) return Error{fd.error()};
  auto map = Mapping::map(fd->get(), geo->region_size, true);
  if (!map) return Error{map.error()};
  init_data_header(*map->as<DataHeader>(), *geo, options_.kind, ::getpid(), incarnation_,
                   options_.name);
  if (auto st = seal_shared(fd->get()); !st) return st;
  region_fd_ = std::move(*fd);
  region_ = std::move(*map);
  return Ok{};
}

AttachOutcome ToolClient::attach(std::uint64_t deadline_ns) {
  if (auto st = make_region(); !st) {
    error_ = "cannot create the tool's region: " + st.error();
    return AttachOutcome::kFailed;
  }
  AttachParams p;
  p.instance = options_.instance;
  p.name = options_.name;
  p.kind = options_.kind;
  p.incarnation = incarnation_;
  p.reattach_secret = secret_;
  p.data_fd = region_fd_.get();
  p.data_region_size = region_.size();
  p.deadline_ns = deadline_ns != 0 ? deadline_ns : deadline_after_ms(kAttachTimeoutMs);
  AttachResult r = client::attach(p);
  if (r.outcome != AttachOutcome::kAttached) {
    error_ = r.message;
    return r.outcome;
  }
  at_ = std::move(r.attachment);
  control_ = std::make_shared<Mapping>(std::move(at_.control));
  mailbox_ = std::make_shared<Mapping>(std::move(at_.mailbox));  // mailbox_header stays valid
  attached_ = true;
  Reply reply;
  std::span<const std::byte> page;
  if (auto st = call(RequestType::kHello, {}, reply, page, p.deadline_ns); st != CallStatus::kOk) {
    drop(std::string("hello answered ") + to_string(st));
    return AttachOutcome::kFailed;
  }
  error_.clear();
  return AttachOutcome::kAttached;
}

AttachOutcome ToolClient::view(std::uint64_t deadline_ns) {
  AttachParams p;
  p.instance = options_.instance;
  p.name = options_.name;
  p.kind = options_.kind;
  p.view_only = true;
  p.deadline_ns = deadline_ns != 0 ? deadline_ns : deadline_after_ms(kAttachTimeoutMs);
  AttachResult r = client::attach(p);
  if (r.outcome != AttachOutcome::kAttached) {
    error_ = r.message;
    return r.outcome;
  }
  control_ = std::make_shared<Mapping>(std::move(r.attachment.control));
  at_.agent_pid = r.attachment.agent_pid;
  at_.agent_generation = r.attachment.agent_generation;
  error_.clear();
  return AttachOutcome::kAttached;
}

void ToolClient::detach(std::uint64_t deadline_ns) {
  if (!attached_) return;
  Reply reply;
  std::span<const std::byte> page;
  call(RequestType::kBye, {}, reply, page, deadline_ns);
  drop("detached");
}

void ToolClient::drop(const std::string& why) {
  at_ = Attachment{};
  control_.reset();
  mailbox_.reset();
  attached_ = false;
  error_ = why;
}

bool ToolClient::check_alive() {
  if (!attached_) return false;
  pollfd p{at_.sock.get(), POLLIN | POLLRDHUP, 0};
  if (::poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLRDHUP | POLLERR | POLLIN)) != 0) {
    // The agent sends nothing unasked: readiness here is its death (EOF) or an error.
    drop("the agent closed the connection");
  }
  return attached_;
}

CallLimits ToolClient::limits_until(std::uint64_t deadline_ns) const {
  CallLimits l = options_.limits;
  if (deadline_ns != 0)
    l.deadline_ns = l.deadline_ns != 0 ? std::min(l.deadline_ns, deadline_ns) : deadline_ns;
  return l;
}

CallStatus ToolClient::call(RequestType type, std::span<const std::byte> body, Reply& reply,
                            std::span<const std::byte>& page, std::uint64_t deadline_ns) {
  page = {};
  if (!attached_) return CallStatus::kNotConnected;
  auto* header = region_.as<DataHeader>();
  CallTarget target{at_.mailbox_header,   at_.slot,
                    at_.owner_token,      at_.session,
                    &header->mutex_claim, &header->awaiting_seq};
  const CallStatus st = client::call(target, type, body, response_, reply, next_seq_, header->stats,
                                     limits_until(deadline_ns));
  if (reply.dropped != nullptr) drop(reply.dropped);
  if (st == CallStatus::kOk) page = std::span<const std::byte>(response_.data(), reply.body_size);
  return st;
}

CallStatus ToolClient::query(QueryKind kind, std::string& json, std::string_view filter,
                             std::uint64_t cursor, std::uint64_t deadline_ns) {
  return query_pages(
      kind, filter, cursor,
      [&](std::span<const std::byte> body, Reply& reply, std::span<const std::byte>& page) {
        return call(RequestType::kQuery, body, reply, page, deadline_ns);
      },
      json);
}

CallStatus ToolClient::ping(std::uint64_t& round_trip_ns, std::uint64_t deadline_ns) {
  PingBody body{monotonic_ns(), 0};
  Reply reply;
  std::span<const std::byte> page;
  const CallStatus st =
      call(RequestType::kPing, std::as_bytes(std::span(&body, 1)), reply, page, deadline_ns);
  round_trip_ns = st == CallStatus::kOk ? monotonic_ns() - body.client_ns : 0;
  return st;
}

std::span<const std::byte> ToolClient::control() const {
  if (!control_) return {};
  return {control_->data(), control_->size()};
}

Result<Directory> ToolClient::directory() const {
  if (!attached_ && !control_) return Error{"not attached: " + error_};
  return read_directory(control());
}

Result<RegionView> ToolClient::request_region(std::uint32_t slot, std::uint64_t deadline_ns) {
  if (!attached_) return Error{"not attached: " + error_};
  RegionRequest req{};
  std::memcpy(req.magic, kRegionRequestMagic, sizeof req.magic);
  req.abi_version = kAbiVersion;
  req.slot = slot;
  if (auto st = send_message(at_.sock.get(), std::as_bytes(std::span(&req, 1))); !st) {
    drop("region request: " + st.error());
    return Error{st.error()};
  }
  AttachReply reply{};
  auto got = receive_message(at_.sock.get(), std::as_writable_bytes(std::span(&reply, 1)), 1,
                             deadline_ns != 0 ? deadline_ns : deadline_after_ms(kAttachTimeoutMs));
  if (!got) {
    // No answer in time: the framing of the socket is now uncertain, so start over.
    drop("region request: " + got.error());
    return Error{"the agent did not answer the region request (" + got.error() + ")"};
  }
  if (std::memcmp(reply.magic, kReplyMagic, sizeof reply.magic) != 0 ||
      reply.abi_version != kAbiVersion) {
    drop("region request: a reply with a bad magic or ABI");
    return Error{"the agent's reply to the region request has a bad magic or ABI"};
  }
  reply.message[sizeof reply.message - 1] = '\0';
  if (reply.status != std::uint32_t(AttachStatus::kOk)) {
    return Error{std::string("refused (") + to_string(AttachStatus(reply.status)) + ")" +
                 (reply.message[0] != '\0' ? std::string(": ") + reply.message : "")};
  }
  if (got->fds.empty()) return Error{"the agent sent no descriptor"};
  auto size = verify_region(got->fds[0].get(), sizeof(DataHeader), DataLimits::kMaxRegionSize);
  if (!size) return Error{size.error()};
  auto map = Mapping::map(got->fds[0].get(), *size, false);
  if (!map) return Error{map.error()};
  DataHeader copy;
  std::memcpy(static_cast<void*>(&copy), map->data(), sizeof copy);
  if (auto geo = validate_data_header(copy, *size); !geo) {
    return Error{"data region: " + geo.error()};
  }
  RegionView v;
  v.mapping = std::move(*map);
  v.slot = slot;
  v.incarnation = copy.incarnation;
  v.client_name = read_fixed_name(copy.name, sizeof copy.name).value_or("?");
  return v;
}

CommandOutcome ToolClient::send_command(std::uint32_t slot, std::uint64_t incarnation,
                                        std::string_view name, std::span<const std::byte> payload,
                                        std::uint64_t deadline_ns) {
  CommandOutcome out;
  if (!attached_) {
    out.payload = "not attached: " + error_;
    return out;
  }
  if (payload.size() > kMaxCommandPayload) {
    out.status = CommandStatus::kPayloadTooLarge;
    out.payload = "payload of " + std::to_string(payload.size()) + " bytes exceeds the " +
                  std::to_string(kMaxCommandPayload) + "-byte limit";
    return out;
  }
  if (auto bad = check_command_name(name)) {
    out.status = CommandStatus::kRefused;
    out.payload = *bad;
    return out;
  }
  const std::uint64_t start = monotonic_ns();
  const std::uint64_t remaining = deadline_ns > start ? deadline_ns - start : 0;
  // The command's deadline leaves the agent a tenth (5..200 ms) to deliver its timeout verdict.
  const std::uint64_t margin = std::clamp<std::uint64_t>(remaining / 10, 5'000'000, 200'000'000);
  const std::uint64_t budget_ms = remaining > margin ? (remaining - margin) / 1'000'000 : 0;

  auto req = std::make_unique<CommandRequest>();
  std::memset(static_cast<void*>(req.get()), 0, sizeof(CommandRequest));
  std::memcpy(req->magic, kCommandRequestMagic, sizeof req->magic);
  req->abi_version = kAbiVersion;
  req->slot = slot;
  req->incarnation = incarnation;
  req->timeout_ms = std::uint32_t(std::clamp<std::uint64_t>(budget_ms, 1, kMaxCommandTimeoutMs));
  req->payload_size = std::uint32_t(payload.size());
  write_fixed_name(req->name, sizeof req->name, name);
  if (!payload.empty()) std::memcpy(req->payload, payload.data(), payload.size());
  if (auto st = send_message(at_.sock.get(), std::as_bytes(std::span(req.get(), 1))); !st) {
    drop("command request: " + st.error());
    out.payload = "cannot send the command: " + st.error();
    return out;
  }
  auto reply = std::make_unique<CommandReply>();
  auto got = receive_message(at_.sock.get(), std::as_writable_bytes(std::span(reply.get(), 1)), 0,
                             std::max(deadline_ns, start + 1'000'000));
  out.round_trip_ns = monotonic_ns() - start;
  if (!got) {
    const bool timed_out = got.error().starts_with("timed out");
    // Either way the framing of the socket is now uncertain: start over.
    drop("command: " + got.error());
    out.status = timed_out ? CommandStatus::kTimeout : CommandStatus::kAgentGone;
    out.payload = timed_out ? "no reply from the agent in time"
                            : "the agent closed the connection before it replied";
    return out;
  }
  if (std::memcmp(reply->magic, kCommandReplyMagic, sizeof reply->magic) != 0 ||
      reply->abi_version != kAbiVersion || reply->payload_size > kMaxCommandReply) {
    drop("command: a reply with a bad magic, ABI or size");
    out.payload = "the agent's reply to the command is malformed";
    return out;
  }
  out.status = CommandStatus(reply->status);
  out.id = reply->id;
  out.agent_ns = reply->elapsed_ns;
  out.payload.assign(reinterpret_cast<const char*>(reply->payload), reply->payload_size);
  return out;
}

}  // namespace shmon::client
