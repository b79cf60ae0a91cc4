// SPDX-License-Identifier: Apache-2.0
// Forked children for the multi-process benchmarks: results go through a MAP_SHARED block the
// children inherit, every wait is bounded, and the parent kills what is left at the end.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <new>
#include <vector>

#include "shmon/memfd.hpp"

namespace shmon::bench {

// A zeroed shared block of T, inherited across fork().
template <class T>
class SharedBlock {
 public:
  SharedBlock() {
    const std::size_t size = (sizeof(T) + 4095) / 4096 * 4096;
    auto fd = create_region("bench-shared", size);
    if (!fd) return;
    auto m = Mapping::map(fd->get(), size, true);
    if (!m) return;
    mapping_ = std::move(*m);
    new (mapping_.data()) T{};
  }
  bool ok() const { return mapping_.valid(); }
  T* operator->() const { return mapping_.as<T>(); }
  T& operator*() const { return *mapping_.as<T>(); }

 private:
  Mapping mapping_;
};

// Runs `body` in a forked child; its return value is the exit status. Call it before this
// process starts any thread.
pid_t spawn(const std::function<int()>& body);

// Waits up to `timeout_ms` for `pid`: its exit code, 128+signal, or -1 on timeout (then the
// child is killed and reaped).
int wait_child(pid_t pid, int timeout_ms);

// Children of one benchmark step; whatever is still running at destruction is killed.
class ChildGroup {
 public:
  ~ChildGroup() { kill_all(); }
  void add(pid_t pid) { pids_.push_back(pid); }
  // Waits for every child within one shared deadline; returns how many exited with status 0.
  int wait_all(int timeout_ms);
  void kill_all();

 private:
  std::vector<pid_t> pids_;
};

// A start line for children: they spin (with short sleeps) until the parent opens the gate.
struct Gate {
  std::atomic<std::uint32_t> ready;
  std::atomic<std::uint32_t> open;
  // Child side: announce readiness, then wait (bounded) for the gate. False on timeout.
  bool arrive_and_wait(int timeout_ms);
  // Parent side: wait (bounded) for `n` arrivals. False on timeout.
  bool wait_ready(std::uint32_t n, int timeout_ms) const;
};

}  // namespace shmon::bench
