// SPDX-License-Identifier: Apache-2.0
// Shard claims: the slow path of current_shard() and the release of claims at thread exit.
#include <atomic>
#include <bit>
#include <cstdint>

#include "fast_path.hpp"

namespace shmon::detail {

constinit thread_local ThreadClaims t_claims __attribute__((tls_model("initial-exec"))) = {};

namespace {

void release_claim(const ShardClaim& claim) noexcept {
  if (claim.core == nullptr) return;
  // The core may be gone (or forked): only a live core with the same epoch still owns the bit,
  // so nothing of it is read before the live-list check.
  with_live_core(claim.core, claim.epoch, [&](ProbeCore& core) {
    if (claim.shard == core.shared_shard) return;
    core.shard_bitmap.fetch_and(~(std::uint64_t(1) << claim.shard), std::memory_order_release);
  });
}

// Registered on first claim; its destructor hands this thread's exclusive shards back so that
// later threads reuse them (their cumulative values stay in the cells).
struct ClaimReleaser {
  ClaimReleaser() = default;
  ~ClaimReleaser() {
    for (ShardClaim& c : t_claims.claims) {
      release_claim(c);
      c = ShardClaim{};
    }
  }
  void touch() noexcept {}
};
thread_local ClaimReleaser t_releaser;

std::uint32_t take_free_shard(ProbeCore& core) noexcept {
  if (core.shared_shard == 0) return 0;
  const std::uint64_t usable =
      core.shared_shard >= 64 ? ~std::uint64_t(0) : (std::uint64_t(1) << core.shared_shard) - 1;
  std::uint64_t bits = core.shard_bitmap.load(std::memory_order_relaxed);
  for (;;) {
    const std::uint64_t free = ~bits & usable;
    if (free == 0) return core.shared_shard;
    const auto shard = std::uint32_t(std::countr_zero(free));
    if (core.shard_bitmap.compare_exchange_weak(bits, bits | (std::uint64_t(1) << shard),
                                                std::memory_order_acquire,
                                                std::memory_order_relaxed)) {
      return shard;
    }
  }
}

}  // namespace

std::uint32_t claim_shard(ProbeCore& core) noexcept {
  const std::uint64_t epoch = core.epoch.load(std::memory_order_relaxed);
  ShardClaim* claims = t_claims.claims;
  for (int i = 1; i < kClaimCacheSize; ++i) {
    if (claims[i].core == &core && claims[i].epoch == epoch) {
      const ShardClaim hit = claims[i];
      for (int j = i; j > 0; --j) claims[j] = claims[j - 1];
      claims[0] = hit;
      return hit.shard;
    }
  }
  t_releaser.touch();
  // Stale entries (same core before fork, or cores that died) are dropped first.
  int victim = kClaimCacheSize - 1;
  for (int i = 0; i < kClaimCacheSize; ++i) {
    if (claims[i].core == nullptr || claims[i].core == &core) {
      victim = i;
      break;
    }
  }
  if (claims[victim].core != &core) release_claim(claims[victim]);
  for (int j = victim; j > 0; --j) claims[j] = claims[j - 1];
  claims[0] = ShardClaim{&core, epoch, take_free_shard(core)};
  return claims[0].shard;
}

}  // namespace shmon::detail
