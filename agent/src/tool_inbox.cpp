// SPDX-License-Identifier: Apache-2.0
#include "tool_inbox.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "shmon/protocol.hpp"

namespace shmon::agent {
namespace {

constexpr std::size_t kMagicSize = 8;

// The size of the message a magic announces; 0 for a magic no tool may send.
std::size_t size_for(const std::byte* magic) {
  if (std::memcmp(magic, kRegionRequestMagic, kMagicSize) == 0) return sizeof(RegionRequest);
  if (std::memcmp(magic, kCommandRequestMagic, kMagicSize) == 0) return sizeof(CommandRequest);
  return 0;
}

void close_passed_fds(msghdr& msg) {
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      ::close(fd);
    }
  }
}

}  // namespace

ToolInbox::Read ToolInbox::read(int fd, std::uint64_t now_ns) {
  for (;;) {
    const std::size_t want = expected_ != 0 ? expected_ : kMagicSize;
    if (bytes_.size() == want) return Read::kComplete;
    const std::size_t had = bytes_.size();
    bytes_.resize(want);
    iovec iov{bytes_.data() + had, want - had};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 16)];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const ssize_t n = ::recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    const int err = errno;
    if (n >= 0) close_passed_fds(msg);
    bytes_.resize(had + (n > 0 ? std::size_t(n) : 0));
    if (n == 0) return Read::kClosed;
    if (n < 0) {
      if (err == EINTR) continue;
      if (err == EAGAIN || err == EWOULDBLOCK) return Read::kPartial;
      return Read::kClosed;
    }
    if (had == 0) started_ns_ = now_ns;
    if (expected_ == 0 && bytes_.size() == kMagicSize) {
      expected_ = size_for(bytes_.data());
      if (expected_ == 0) return Read::kUnknown;
    }
  }
}

bool ToolInbox::starts_with(const char (&magic)[8]) const {
  return bytes_.size() >= kMagicSize && std::memcmp(bytes_.data(), magic, kMagicSize) == 0;
}

void ToolInbox::clear() {
  bytes_.clear();  // the capacity stays: the next command needs it again
  expected_ = 0;
  started_ns_ = 0;
}

}  // namespace shmon::agent
