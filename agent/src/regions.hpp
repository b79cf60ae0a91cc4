// SPDX-License-Identifier: Apache-2.0
// The agent's two regions: the control region (header + directory; clients map it read-only)
// and the mailbox (client mutex, Exec/Done, doorbell, request and response buffers).
#pragma once

#include <cstdint>
#include <string>

#include "shmon/fd.hpp"
#include "shmon/layout.hpp"
#include "shmon/memfd.hpp"
#include "shmon/result.hpp"

namespace shmon::agent {

struct Regions {
  UniqueFd control_fd;     // the creator's fd (sealed FUTURE_WRITE)
  UniqueFd control_ro_fd;  // handed to clients
  UniqueFd mailbox_fd;
  Mapping control;
  Mapping mailbox;
  std::uint32_t capacity = 0;  // directory entries

  ControlHeader* header() const { return control.as<ControlHeader>(); }
  DirectoryEntry* directory() const {
    return control.as<DirectoryEntry>(offset_of_directory_entry(0));
  }
  MailboxHeader* mailbox_header() const { return mailbox.as<MailboxHeader>(); }
  RequestHeader* request() const {
    return mailbox.as<RequestHeader>(MailboxLayout::kRequestOffset);
  }
  ResponseHeader* response() const {
    return mailbox.as<ResponseHeader>(MailboxLayout::kResponseOffset);
  }
};

struct RegionParams {
  std::string instance;
  std::uint32_t max_clients;
  std::uint32_t lease_ms;
  std::uint64_t generation;
};

// Creates, maps, fills and seals both regions. Errors are resource errors (exit 4).
Result<Regions> create_regions(const RegionParams& params);

// A random non-zero 64-bit value (getrandom).
std::uint64_t random_u64();

}  // namespace shmon::agent
