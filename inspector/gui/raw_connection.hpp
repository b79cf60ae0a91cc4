// The raw view's own connection to the agent. The probe API does not expose the rendezvous
// socket or the control mapping, so the inspector attaches a second, tiny client of kind
// inspector ("<name>.raw") that never takes the mutex: it keeps the socket to receive the control
// region (read-only) and to send RegionRequest for a client's data region. Everything is mapped
// PROT_READ and validated from a private copy before any of it is trusted.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "shmon/fd.hpp"
#include "shmon/memfd.hpp"
#include "shmon/result.hpp"

namespace shmon::inspector {

enum class RegionKind { kControl, kMailbox, kData };

// A read-only mapping kept alive by whoever holds the pointer (it outlives a dead agent).
struct RegionImage {
  RegionKind kind = RegionKind::kControl;
  std::uint32_t slot = 0;         // kData: the client's slot
  std::uint64_t incarnation = 0;  // kData: from the validated header
  std::uint64_t agent_generation = 0;
  std::string label;  // "control region", "data region of loadgen-1 (slot 3)"
  Mapping mapping;
  std::size_t size = 0;
  const std::byte* bytes() const { return mapping.data(); }
};

class RawConnection {
 public:
  RawConnection(std::string instance, std::string name);
  ~RawConnection();

  // Worker thread only. Attaches when disconnected (at most every `retry` interval), notices
  // EOF. Never blocks longer than the attach timeout.
  void tick();
  bool connected() const { return sock_.valid(); }
  const std::string& error() const { return error_; }
  std::shared_ptr<const RegionImage> control() const { return control_; }
  std::shared_ptr<const RegionImage> mailbox() const { return mailbox_; }
  std::uint64_t agent_generation() const { return agent_generation_; }

  // Asks the agent for a read-only view of the data region of `slot` (bounded wait).
  Result<std::shared_ptr<const RegionImage>> request_data(std::uint32_t slot);

 private:
  Status attach();
  Status make_own_region();
  void drop(const std::string& why);

  std::string instance_, name_;
  std::uint64_t incarnation_ = 0;
  UniqueFd own_fd_;
  Mapping own_map_;
  UniqueFd sock_;
  std::shared_ptr<const RegionImage> control_, mailbox_;
  std::uint64_t agent_generation_ = 0;
  std::uint64_t next_attempt_ns_ = 0;
  std::string error_ = "not connected yet";
};

}  // namespace shmon::inspector
