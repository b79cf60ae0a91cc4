// SPDX-License-Identifier: Apache-2.0
// (b) Control and mailbox headers: what validation accepts must describe exactly the layout this
// ABI defines, for any bytes and any claimed fd size.
#include <cstring>

#include "fuzz_targets.hpp"
#include "shmon/layout.hpp"
#include "shmon/limits.hpp"

namespace shmon::fuzz {

int control_headers(const std::uint8_t* data, std::size_t size) {
  // Layout of the input: ControlHeader bytes, MailboxHeader bytes, then two optional fd sizes.
  ControlHeader c;
  MailboxHeader m;
  std::memset(static_cast<void*>(&c), 0, sizeof(c));
  std::memset(static_cast<void*>(&m), 0, sizeof(m));
  if (size > 0) std::memcpy(static_cast<void*>(&c), data, std::min(size, sizeof(c)));
  if (size > sizeof(c)) {
    std::memcpy(static_cast<void*>(&m), data + sizeof(c), std::min(size - sizeof(c), sizeof(m)));
  }
  std::uint64_t control_size = c.region_size, mailbox_size = m.region_size;
  const std::size_t tail = sizeof(c) + sizeof(m);
  if (size >= tail + 8) std::memcpy(&control_size, data + tail, 8);
  if (size >= tail + 16) std::memcpy(&mailbox_size, data + tail + 8, 8);

  if (auto v = validate_control_header(c, control_size)) {
    SHMON_FUZZ_CHECK(c.directory_capacity >= 1);
    SHMON_FUZZ_CHECK(c.directory_capacity <= kHardMaxClients + kReservedToolSlots);
    SHMON_FUZZ_CHECK(c.max_app_clients <= c.directory_capacity);
    SHMON_FUZZ_CHECK(c.directory_offset == sizeof(ControlHeader));
    SHMON_FUZZ_CHECK(c.directory_entry_size == sizeof(DirectoryEntry));
    SHMON_FUZZ_CHECK(control_size == control_region_size(c.directory_capacity));
    SHMON_FUZZ_CHECK(sizeof(ControlHeader) +
                         std::uint64_t(c.directory_capacity) * sizeof(DirectoryEntry) <=
                     control_size);
  } else {
    SHMON_FUZZ_CHECK(!v.error().empty());
  }
  if (auto v = validate_mailbox_header(m, mailbox_size)) {
    SHMON_FUZZ_CHECK(mailbox_size == MailboxLayout::kRegionSize);
    SHMON_FUZZ_CHECK(std::uint64_t(m.request_offset) + m.request_capacity <= m.response_offset);
    SHMON_FUZZ_CHECK(std::uint64_t(m.response_offset) + m.response_capacity <= mailbox_size);
  } else {
    SHMON_FUZZ_CHECK(!v.error().empty());
  }
  return 0;
}

Bytes control_headers_seed() {
  ControlHeader c;
  MailboxHeader m;
  std::memset(static_cast<void*>(&c), 0, sizeof(c));
  std::memset(static_cast<void*>(&m), 0, sizeof(m));
  std::memcpy(c.magic, kControlMagic, 8);
  c.abi_version = kAbiVersion;
  c.header_size = sizeof(c);
  c.directory_offset = sizeof(c);
  c.directory_entry_size = sizeof(DirectoryEntry);
  c.directory_capacity = 68;
  c.max_app_clients = 64;
  c.region_size = control_region_size(68);
  std::memcpy(m.magic, kMailboxMagic, 8);
  m.abi_version = kAbiVersion;
  m.header_size = sizeof(m);
  m.region_size = MailboxLayout::kRegionSize;
  m.request_offset = MailboxLayout::kRequestOffset;
  m.request_capacity = kRequestCapacity;
  m.response_offset = MailboxLayout::kResponseOffset;
  m.response_capacity = kResponseCapacity;
  Bytes out(sizeof(c) + sizeof(m));
  std::memcpy(out.data(), static_cast<const void*>(&c), sizeof(c));
  std::memcpy(out.data() + sizeof(c), static_cast<const void*>(&m), sizeof(m));
  return out;
}

}  // namespace shmon::fuzz
