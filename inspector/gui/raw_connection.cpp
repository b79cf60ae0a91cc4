#include "raw_connection.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <random>
#include <span>

#include "shmon/clock.hpp"
#include "shmon/layout.hpp"
#include "shmon/limits.hpp"
#include "shmon/names.hpp"
#include "shmon/paths.hpp"
#include "shmon/protocol.hpp"
#include "shmon/unix_socket.hpp"

namespace shmon::inspector {
namespace {

constexpr std::uint64_t kRetryNs = 500'000'000;
// A tool's data region: it never registers metrics or emits events.
constexpr DataParams kTinyParams{1, 1, 0, 2, 1};

template <class T>
std::span<const std::byte> as_bytes(const T& v) {
  return {reinterpret_cast<const std::byte*>(&v), sizeof(T)};
}
template <class T>
std::span<std::byte> as_writable_bytes(T& v) {
  return {reinterpret_cast<std::byte*>(&v), sizeof(T)};
}

Result<std::shared_ptr<RegionImage>> map_image(int fd, std::size_t min, std::size_t max) {
  auto size = verify_region(fd, min, max);
  if (!size) return Error{size.error()};
  auto m = Mapping::map(fd, *size, false);
  if (!m) return Error{m.error()};
  auto img = std::make_shared<RegionImage>();
  img->mapping = std::move(m.value());
  img->size = *size;
  return img;
}

}  // namespace

RawConnection::RawConnection(std::string instance, std::string name)
    : instance_(std::move(instance)), name_(std::move(name)) {
  std::random_device rd;
  incarnation_ = (std::uint64_t(rd()) << 32 | rd()) | 1;
}

RawConnection::~RawConnection() = default;

void RawConnection::drop(const std::string& why) {
  sock_.reset();
  error_ = why;
  // The images stay mapped for whoever still shows them; new ones come with the next agent.
  control_.reset();
  mailbox_.reset();
}

Status RawConnection::make_own_region() {
  if (own_map_.valid()) return Ok{};
  auto geo = compute_data_geometry(kTinyParams);
  if (!geo) return Error{geo.error()};
  auto fd = create_region("shmon-inspector-raw", geo->region_size);
  if (!fd) return Error{fd.error()};
  auto map = Mapping::map(fd->get(), geo->region_size, true);
  if (!map) return Error{map.error()};
  auto* h = map->as<DataHeader>();
  init_data_header(*h, *geo, ClientKind::kInspector, ::getpid(), incarnation_, name_);
  if (auto st = seal_shared(fd->get()); !st) return st;
  own_fd_ = std::move(fd.value());
  own_map_ = std::move(map.value());
  return Ok{};
}

Status RawConnection::attach() {
  if (auto st = make_own_region(); !st) return st;
  Connected c = connect_unix(socket_path(instance_));
  if (!c.fd) return Error{c.message.empty() ? "no agent" : c.message};
  AttachRequest req{};
  std::memcpy(req.magic, kAttachMagic, sizeof req.magic);
  req.abi_version = kAbiVersion;
  req.kind = static_cast<std::uint32_t>(ClientKind::kInspector);
  req.pid = ::getpid();
  req.incarnation = incarnation_;
  write_fixed_name(req.name, sizeof req.name, name_);
  req.data_region_size = own_map_.size();
  const int fds[1] = {own_fd_.get()};
  if (auto st = send_message(c.fd.get(), as_bytes(req), fds); !st) return st;
  AttachReply reply{};
  auto got =
      receive_message(c.fd.get(), as_writable_bytes(reply), 2, deadline_after_ms(kAttachTimeoutMs));
  if (!got) return Error{"attach: " + got.error()};
  if (std::memcmp(reply.magic, kReplyMagic, sizeof reply.magic) != 0) {
    return Error{"attach: the agent's reply has a bad magic"};
  }
  if (reply.status != static_cast<std::uint32_t>(AttachStatus::kOk)) {
    reply.message[sizeof reply.message - 1] = '\0';
    return Error{std::string("attach refused (") +
                 to_string(static_cast<AttachStatus>(reply.status)) + "): " + reply.message};
  }
  if (got->fds.size() < 1) return Error{"attach: the agent sent no control region"};
  auto ctl = map_image(got->fds[0].get(), sizeof(ControlHeader),
                       control_region_size(kHardMaxClients + kReservedToolSlots));
  if (!ctl) return Error{"control region: " + ctl.error()};
  ControlHeader copy;
  std::memcpy(static_cast<void*>(&copy), ctl.value()->bytes(), sizeof copy);
  if (auto st = validate_control_header(copy, ctl.value()->size); !st) {
    return Error{"control region: " + st.error()};
  }
  ctl.value()->kind = RegionKind::kControl;
  ctl.value()->agent_generation = reply.agent_generation;
  ctl.value()->label = "control region";
  control_ = ctl.value();
  if (got->fds.size() >= 2) {
    auto mbx = map_image(got->fds[1].get(), sizeof(MailboxHeader), MailboxLayout::kRegionSize);
    if (mbx) {
      mbx.value()->kind = RegionKind::kMailbox;
      mbx.value()->agent_generation = reply.agent_generation;
      mbx.value()->label = "mailbox region";
      mailbox_ = mbx.value();
    }
  }
  agent_generation_ = reply.agent_generation;
  sock_ = std::move(c.fd);
  error_.clear();
  return Ok{};
}

void RawConnection::tick() {
  if (sock_) {
    pollfd p{sock_.get(), POLLIN | POLLRDHUP, 0};
    if (::poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLRDHUP | POLLERR | POLLIN))) {
      // The agent sends nothing unasked: any readiness here is its death (EOF) or an error.
      drop("agent closed the connection");
    }
    return;
  }
  const std::uint64_t now = monotonic_ns();
  if (now < next_attempt_ns_) return;
  next_attempt_ns_ = now + kRetryNs;
  if (auto st = attach(); !st) error_ = st.error();
}

Result<std::shared_ptr<const RegionImage>> RawConnection::request_data(std::uint32_t slot) {
  if (!sock_) return Error{"not connected: " + error_};
  RegionRequest req{};
  std::memcpy(req.magic, kRegionRequestMagic, sizeof req.magic);
  req.abi_version = kAbiVersion;
  req.slot = slot;
  if (auto st = send_message(sock_.get(), as_bytes(req)); !st) {
    drop(st.error());
    return Error{st.error()};
  }
  AttachReply reply{};
  auto got = receive_message(sock_.get(), as_writable_bytes(reply), 1,
                             deadline_after_ms(kAttachTimeoutMs));
  if (!got) {
    // No answer in time: the agent may not implement RegionRequest. Our socket's message
    // framing is now uncertain, so start over.
    drop("region request: " + got.error());
    return Error{"the agent did not answer the region request (" + got.error() + ")"};
  }
  if (reply.status != static_cast<std::uint32_t>(AttachStatus::kOk)) {
    reply.message[sizeof reply.message - 1] = '\0';
    return Error{std::string("refused (") + to_string(static_cast<AttachStatus>(reply.status)) +
                 ")" + (reply.message[0] ? std::string(": ") + reply.message : "")};
  }
  if (got->fds.empty()) return Error{"the agent sent no descriptor"};
  auto img = map_image(got->fds[0].get(), sizeof(DataHeader), DataLimits::kMaxRegionSize);
  if (!img) return Error{img.error()};
  DataHeader copy;
  std::memcpy(static_cast<void*>(&copy), img.value()->bytes(), sizeof copy);
  auto geo = validate_data_header(copy, img.value()->size);
  if (!geo) return Error{"data region: " + geo.error()};
  auto name = read_fixed_name(copy.name, sizeof copy.name);
  img.value()->kind = RegionKind::kData;
  img.value()->slot = slot;
  img.value()->incarnation = copy.incarnation;
  img.value()->agent_generation = agent_generation_;
  img.value()->label =
      "data region of " + name.value_or("?") + " (slot " + std::to_string(slot) + ")";
  return std::shared_ptr<const RegionImage>(img.value());
}

}  // namespace shmon::inspector
