// SPDX-License-Identifier: Apache-2.0
// shmon_fuzz_smoke: runs every fuzz target on deterministic inputs, half pseudo-random bytes and
// half mutations of the target's valid seed, so that each ctest run exercises the decoders even
// without libFuzzer. Usage: shmon_fuzz_smoke [inputs, default 200000] [seed, default 1]
//        shmon_fuzz_smoke --write-seeds DIR   (DIR/<target>/seed: starting corpora for libFuzzer)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "fuzz_targets.hpp"

namespace {

using shmon::fuzz::Bytes;

struct Rng {
  std::uint64_t s;
  std::uint64_t next() {  // splitmix64: small, deterministic, good enough for inputs
    std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) { return n ? std::size_t(next() % n) : 0; }
};

Bytes random_input(Rng& rng, std::size_t max_len) {
  Bytes b(rng.below(max_len + 1));
  for (auto& x : b) x = std::uint8_t(rng.next());
  return b;
}

// A few edits of the kinds that find boundary bugs: bit flips, boundary values written as 8-,
// 32- and 64-bit words, truncation and extension.
Bytes mutate(Rng& rng, Bytes b) {
  static constexpr std::uint64_t kInteresting[] = {
      0,    1,    2,          63,         64,         0x7F,  0x80,
      0xFF, 4096, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, ~0ull, 1ull << 63};
  const std::size_t edits = 1 + rng.below(4);
  for (std::size_t e = 0; e < edits && !b.empty(); ++e) {
    const std::size_t at = rng.below(b.size());
    switch (rng.below(5)) {
      case 0:
        b[at] ^= std::uint8_t(1u << rng.below(8));
        break;
      case 1:
        b[at] = std::uint8_t(rng.next());
        break;
      case 2: {
        const std::uint64_t v = kInteresting[rng.below(std::size(kInteresting))];
        const std::size_t width = std::size_t(2) << rng.below(3);  // 2, 4 or 8 bytes
        std::memcpy(&b[at], &v, std::min(width, b.size() - at));
        break;
      }
      case 3:
        b.resize(at);
        break;
      default:
        b.resize(b.size() + rng.below(64), std::uint8_t(rng.next()));
        break;
    }
  }
  return b;
}

struct Target {
  const char* name;
  int (*run)(const std::uint8_t*, std::size_t);
  Bytes (*seed)();
};

}  // namespace

int write_seeds(const std::string& dir, const Target* targets, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    const std::string sub = dir + "/" + targets[i].name;
    std::filesystem::create_directories(sub);
    const Bytes seed = targets[i].seed();
    std::ofstream(sub + "/seed", std::ios::binary)
        .write(reinterpret_cast<const char*>(seed.data()), std::streamsize(seed.size()));
  }
  return 0;
}

int main(int argc, char** argv) {
  const Target targets[] = {
      {"data_header", shmon::fuzz::data_header, shmon::fuzz::data_header_seed},
      {"control_headers", shmon::fuzz::control_headers, shmon::fuzz::control_headers_seed},
      {"names", shmon::fuzz::names, shmon::fuzz::names_seed},
      {"label_text", shmon::fuzz::label_text, shmon::fuzz::label_text_seed},
      {"data_region", shmon::fuzz::data_region, shmon::fuzz::data_region_seed},
      {"cgroup_files", shmon::fuzz::cgroup_files, shmon::fuzz::cgroup_files_seed},
      {"credited_counts", shmon::fuzz::credited_counts, shmon::fuzz::credited_counts_seed},
  };
  if (argc == 3 && std::string(argv[1]) == "--write-seeds") {
    return write_seeds(argv[2], targets, std::size(targets));
  }
  const std::uint64_t inputs = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 200000;
  const std::uint64_t seed = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1;
  for (const Target& t : targets) {
    Rng rng{seed};
    const Bytes valid = t.seed();
    t.run(valid.data(), valid.size());
    const auto start = std::chrono::steady_clock::now();
    const std::uint64_t n = inputs / std::size(targets);
    for (std::uint64_t i = 0; i < n; ++i) {
      const Bytes in = i % 2 ? mutate(rng, valid) : random_input(rng, valid.size() + 64);
      t.run(in.data(), in.size());
    }
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("fuzz smoke %-16s %8llu inputs in %.2f s\n", t.name, (unsigned long long)n, s);
  }
  return 0;
}
