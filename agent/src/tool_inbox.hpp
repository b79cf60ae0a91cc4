// SPDX-License-Identifier: Apache-2.0
// A tool's messages on its attached socket (RegionRequest, CommandRequest), read without waiting
// (issue 18): the main thread takes what has arrived into a buffer of that connection and hands a
// message on only once it is whole. A peer that sends part of a message and then nothing more
// costs the main thread nothing; the housekeeping tick drops it when its message is older than
// kToolMessageDeadlineNs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace shmon::agent {

// How long a tool may take to send one whole message once its first byte has arrived. An honest
// tool writes each message with one sendmsg, so it arrives at once; the bound is the attach's.
inline constexpr std::uint64_t kToolMessageDeadlineNs = 1'000'000'000;

class ToolInbox {
 public:
  enum class Read {
    kPartial,   // what arrived is not a whole message yet (nothing to do until more arrives)
    kComplete,  // message() holds one whole message; call clear() when it is handled
    kClosed,    // EOF or a socket error: the tool is gone
    kUnknown,   // the first 8 bytes are no magic a tool may send: it speaks nonsense
  };

  // Reads, without blocking, at most what the current message still lacks (never a byte of the
  // next one, so a tool that is not read for back-pressure stays unread in the kernel). Any
  // descriptors that come along are closed: tools send none. `now_ns` stamps a message's start.
  Read read(int fd, std::uint64_t now_ns);

  // The whole message (valid after kComplete until clear()).
  const std::vector<std::byte>& message() const { return bytes_; }
  bool starts_with(const char (&magic)[8]) const;
  void clear();

  // Part of a message has arrived and the rest has not: since when (0: nothing pending).
  std::uint64_t partial_since_ns() const { return bytes_.empty() ? 0 : started_ns_; }
  std::size_t size() const { return bytes_.size(); }
  std::size_t expected() const { return expected_; }

 private:
  std::vector<std::byte> bytes_;
  std::size_t expected_ = 0;  // the message's size, known once its magic is here (0: not yet)
  std::uint64_t started_ns_ = 0;
};

}  // namespace shmon::agent
