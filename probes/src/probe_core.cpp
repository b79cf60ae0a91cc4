// SPDX-License-Identifier: Apache-2.0
// ProbeCore construction and teardown.
#include "probe_core.hpp"

#include <sys/eventfd.h>
#include <sys/mman.h>

#include <chrono>

#include "region.hpp"

namespace shmon::detail {

ProbeCore::ProbeCore(const ProbeOptions& options) : opts(resolve_options(options)) {
  if (!opts.error.empty()) set_error(opts.error);
  overflow = opts.overflow;
  overflow_wait_ms = opts.overflow_wait_ms;
  epoch.store(new_epoch());
  next_seq.store(random_u64());
  new_reattach_secret(reattach_secret);
  response.resize(kResponseBodyCapacity);
  init_region();
  mailbox = reinterpret_cast<MailboxHeader*>(map_zero_pages(nullptr, mailbox_reservation_size()));
  wake_fd.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  install_fork_handler();
  register_live_core(this);
  if (opts.background_connect && region_shareable && mailbox != nullptr) {
    // The first attach request goes out now, as a fork child's does (fork.cpp); the connector's
    // first attach reads the reply. A process that exits right after its first updates, before
    // the thread could attach it, still hands its region to the agent, which folds it at EOF.
    remember_socket_path();
    pending_attach.reset(send_attach_request(data_fd.get()));
    start_connector();
  }
}

ProbeCore::~ProbeCore() {
  stop_connector();
  {
    std::unique_lock lk(call_mutex, std::defer_lock);
    const auto bound =
        std::chrono::milliseconds(std::uint64_t(opts.lock_timeout_ms) + opts.done_timeout_ms);
    if (lk.try_lock_for(bound) && connected.load()) {
      Reply reply;
      session_locked(RequestType::kBye, {}, reply);
      if (connected.load()) drop_session_locked();
    }
  }
  unregister_live_core(this);
  if (region.valid()) ::munmap(region.base(), region_size);
  if (mailbox != nullptr) ::munmap(mailbox, mailbox_reservation_size());
}

void ProbeCore::set_error(std::string message) noexcept {
  try {
    std::lock_guard lock(error_mutex);
    last_error = std::move(message);
  } catch (...) {
  }
}

void ProbeCore::set_lasting_note(std::string message) noexcept {
  try {
    std::lock_guard lock(error_mutex);
    lasting_note = std::move(message);
  } catch (...) {
  }
}

std::string ProbeCore::error() const {
  std::lock_guard lock(error_mutex);
  return last_error.empty() ? lasting_note : last_error;
}

}  // namespace shmon::detail
