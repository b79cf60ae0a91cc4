// SPDX-License-Identifier: Apache-2.0
#include "regions.hpp"

#include <sys/random.h>
#include <unistd.h>

#include <cstring>
#include <random>

#include "shmon/clock.hpp"
#include "shmon/names.hpp"

namespace shmon::agent {

std::uint64_t random_u64() {
  std::uint64_t v = 0;
  while (v == 0) {
    if (::getrandom(&v, sizeof(v), 0) != ssize_t(sizeof(v))) {
      // getrandom cannot really fail for 8 bytes; fall back to the C++ engine regardless.
      std::random_device rd;
      v = (std::uint64_t(rd()) << 32) ^ rd() ^ monotonic_ns();
    }
  }
  return v;
}

Result<Regions> create_regions(const RegionParams& p) {
  Regions r;
  r.capacity = p.max_clients + kReservedToolSlots;
  const std::uint64_t control_size = control_region_size(r.capacity);

  auto cfd = create_region("shmon-control", control_size);
  if (!cfd) return Error{"cannot create the control region: " + cfd.error()};
  r.control_fd = std::move(cfd.value());
  auto cmap = Mapping::map(r.control_fd.get(), control_size, true);
  if (!cmap) return Error{"cannot map the control region: " + cmap.error()};
  r.control = std::move(cmap.value());

  ControlHeader* h = r.header();
  init_control_header(*h, p.max_clients);
  h->lease_ms = p.lease_ms;
  h->agent_pid = ::getpid();
  h->agent_generation = p.generation;
  h->agent_start_realtime_ns = realtime_ns();
  h->agent_start_monotonic_ns = monotonic_ns();
  write_fixed_name(h->instance, sizeof(h->instance), p.instance);
  h->heartbeat_monotonic_ns.store(monotonic_ns(), std::memory_order_release);
  DirectoryEntry* dir = r.directory();
  for (std::uint32_t i = 0; i < r.capacity; ++i) dir[i].slot = i;

  if (auto s = seal_read_only(r.control_fd.get()); !s) {
    return Error{"cannot seal the control region: " + s.error()};
  }
  auto ro = reopen_read_only(r.control_fd.get());
  if (!ro) return Error{"cannot reopen the control region read-only: " + ro.error()};
  r.control_ro_fd = std::move(ro.value());

  auto mfd = create_region("shmon-mailbox", MailboxLayout::kRegionSize);
  if (!mfd) return Error{"cannot create the mailbox region: " + mfd.error()};
  r.mailbox_fd = std::move(mfd.value());
  if (auto s = seal_shared(r.mailbox_fd.get()); !s) {
    return Error{"cannot seal the mailbox region: " + s.error()};
  }
  auto mmap = Mapping::map(r.mailbox_fd.get(), MailboxLayout::kRegionSize, true);
  if (!mmap) return Error{"cannot map the mailbox region: " + mmap.error()};
  r.mailbox = std::move(mmap.value());
  init_mailbox_header(*r.mailbox_header());
  return r;
}

}  // namespace shmon::agent
