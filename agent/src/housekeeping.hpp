// The 50 ms housekeeping tick on the main thread: heartbeat, lease watch and revocation, the
// once-per-second history sample and rates, and the directory publish.
#pragma once

#include <cstdint>

#include "context.hpp"

namespace shmon::agent {

class Housekeeper {
 public:
  explicit Housekeeper(AgentContext& ctx) : ctx_(ctx) {}
  void tick();

  // Revokes the client mutex when its holder exceeded the lease. Public for tests.
  void check_lease(std::uint64_t now);
  // Samples every series and refreshes rates. Call with ctx.mu held.
  void sample_history(std::uint64_t now);

 private:
  AgentContext& ctx_;
  std::uint32_t watched_owner_ = 0;
  std::uint64_t owner_since_ = 0;
  std::uint64_t last_sample_ns_ = 0;
};

}  // namespace shmon::agent
