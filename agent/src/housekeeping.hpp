// SPDX-License-Identifier: Apache-2.0
// The 50 ms housekeeping tick on the main thread: heartbeat, lease watch and revocation, the
// once-per-second history sample and rates, and the directory publish.
#pragma once

#include <cstdint>
#include <string>

#include "context.hpp"

namespace shmon::agent {

class Housekeeper {
 public:
  explicit Housekeeper(AgentContext& ctx) : ctx_(ctx) {}
  void tick();
  // Takes the restored totals (departed clients) as the baseline of the windowed quantiles, so
  // a restart does not show them as one second's burst. Call before any client attaches.
  void prime_windows();

  // Watches the client mutex word (which every client can write): releases a token that no
  // serving client owns at once, and a live client's token that its owner's region does not
  // claim after two ticks (forged; nobody is revoked), and revokes a holder that claims the lock
  // past the lease while its region says it waits for no answer (the offender, named in the
  // log); a holder that still waits for one only loses the mutex (unattributed interference,
  // counted; the agent cannot tell who hid the answer). While the lock is held it also sets Exec,
  // so a request whose wake-up a vandal swallowed is answered within a tick. Public for tests.
  void check_lease(std::uint64_t now);
  // Samples every series and refreshes rates. Call with ctx.mu held.
  void sample_history(std::uint64_t now);

 private:
  void release_forged(std::uint32_t owner, const std::string& what);
  void unattributed(const Client& holder, std::uint64_t awaiting, std::uint64_t held_ns);
  // True while a request carrying `owner`'s token is posted and not yet answered.
  bool holder_awaits_answer(std::uint32_t owner) const;

  AgentContext& ctx_;
  std::uint32_t unclaimed_ticks_ = 0;
  std::uint64_t last_repair_log_ns_ = 0;
  std::uint64_t last_unattributed_log_ns_ = 0;
  std::uint32_t watched_owner_ = 0;
  std::uint64_t owner_since_ = 0;
  std::uint64_t last_sample_ns_ = 0;
};

}  // namespace shmon::agent
