// SPDX-License-Identifier: Apache-2.0
// Draining event rings: copy records in batches into private memory, validate each, append the
// good ones to the event log, then commit the tail (release) and wake a producer that waits for
// space. The drain thread does this for every client; Flush and detach do it for one client.
#pragma once

#include <cstdint>
#include <thread>
#include <vector>

#include "context.hpp"

namespace shmon::agent {

struct DrainCount {
  std::uint64_t records = 0;  // positions consumed (good and bad)
  std::uint64_t batches = 0;
};

// Drains every ring of `client` up to `limits[shard]` (or up to the current heads when `limits`
// is empty). The caller holds client.drain_mu.
DrainCount drain_client_locked(AgentContext& ctx, Client& client,
                               const std::vector<std::uint64_t>& limits = {});

// The drain's EventSource for `c` (client name, descriptor names and validity), remade only when
// the client's metric_count changed. The caller holds client.drain_mu.
const EventSourcePtr& event_source_locked(Client& c);

// Reads every ring head of `client` (acquire).
std::vector<std::uint64_t> read_heads(const Client& client);

// The drain thread. After a short pass it pauses 5 us so that batches build up (chasing a
// producer record by record stalls it on coherence misses); after a pass that found work it
// keeps polling (yielding) for 100 us; then it sleeps on the mailbox doorbell: 10 ms right after
// activity, doubling up to 100 ms while idle.
class DrainThread {
 public:
  explicit DrainThread(AgentContext& ctx) : ctx_(ctx) {}
  ~DrainThread() { join(); }
  void start();
  // Wakes the thread; it exits once ctx.stop is set.
  void wake();
  void join();

 private:
  void run();
  std::uint64_t pass();  // records drained
  AgentContext& ctx_;
  std::vector<std::shared_ptr<Client>> clients_;  // reused by pass()
  std::thread thread_;
};

}  // namespace shmon::agent
