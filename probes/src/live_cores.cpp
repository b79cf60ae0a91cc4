// SPDX-License-Identifier: Apache-2.0
// The process-wide list of live probe cores (for the fork handler and for thread-exit shard
// release), unique epochs and random numbers.
#include <sys/random.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <mutex>

#include "probe_core.hpp"

namespace shmon::detail {
namespace {

// Constant-initialised and trivially destructible in libstdc++, so thread-exit handlers that run
// during static destruction can still lock it. The fork child re-initialises it (fork.cpp).
std::mutex g_live_mutex;
ProbeCore* g_live_head = nullptr;
std::atomic<std::uint64_t> g_epoch_source{1};

}  // namespace

std::mutex& live_mutex() {
  return g_live_mutex;
}
ProbeCore* live_head() {
  return g_live_head;
}

void register_live_core(ProbeCore* core) {
  std::lock_guard lock(g_live_mutex);
  core->prev = nullptr;
  core->next = g_live_head;
  if (g_live_head != nullptr) g_live_head->prev = core;
  g_live_head = core;
}

void unregister_live_core(ProbeCore* core) {
  std::lock_guard lock(g_live_mutex);
  if (core->prev != nullptr) core->prev->next = core->next;
  if (core->next != nullptr) core->next->prev = core->prev;
  if (g_live_head == core) g_live_head = core->next;
  core->prev = core->next = nullptr;
}

std::uint64_t new_epoch() noexcept {
  return g_epoch_source.fetch_add(1, std::memory_order_relaxed);
}

std::uint64_t random_u64() noexcept {
  std::uint64_t v = 0;
  if (::getrandom(&v, sizeof(v), GRND_NONBLOCK) == ssize_t(sizeof(v)) && v != 0) return v;
  // Early boot without entropy: mix clocks, the address space and the pid (splitmix64).
  timespec a, b;
  clock_gettime(CLOCK_REALTIME, &a);
  clock_gettime(CLOCK_MONOTONIC, &b);
  std::uint64_t z = std::uint64_t(a.tv_nsec) ^ (std::uint64_t(a.tv_sec) << 20) ^
                    (std::uint64_t(b.tv_nsec) << 7) ^ reinterpret_cast<std::uintptr_t>(&v);
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return z == 0 ? 1 : z;
}

void new_reattach_secret(std::uint8_t (&secret)[kReattachSecretSize]) noexcept {
  const std::uint64_t a = random_u64(), b = random_u64();
  std::memcpy(secret, &a, sizeof(a));
  std::memcpy(secret + sizeof(a), &b, sizeof(b));
}

}  // namespace shmon::detail
