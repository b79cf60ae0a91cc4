// SPDX-License-Identifier: Apache-2.0
// Decoders of untrusted shared memory and names, as fuzz targets. Each target takes arbitrary
// bytes, runs the decoder the agent or a tool would run on them, and aborts (so libFuzzer and the
// smoke driver report it) when an invariant the decoder promises does not hold. Each also has a
// valid seed input that the smoke driver mutates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#define SHMON_FUZZ_CHECK(cond)                                                               \
  do {                                                                                       \
    if (!(cond)) {                                                                           \
      std::fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                          \
    }                                                                                        \
  } while (0)

namespace shmon::fuzz {

using Bytes = std::vector<std::uint8_t>;

// (a) validate_data_header + compute_data_geometry over a header's bytes.
int data_header(const std::uint8_t* data, std::size_t size);
Bytes data_header_seed();
// (b) validate_control_header and validate_mailbox_header.
int control_headers(const std::uint8_t* data, std::size_t size);
Bytes control_headers_seed();
// (c) the name validators and read_fixed_name / write_fixed_name.
int names(const std::uint8_t* data, std::size_t size);
Bytes names_seed();
// (d) the agent reading a hostile data region's contents under a validated geometry.
int data_region(const std::uint8_t* data, std::size_t size);
Bytes data_region_seed();
// (e) the memory cgroup readers the probe runs before reserving its region.
int cgroup_files(const std::uint8_t* data, std::size_t size);
Bytes cgroup_files_seed();
// (f) the agent crediting a client's cumulative claims (ring positions, drop counters).
int credited_counts(const std::uint8_t* data, std::size_t size);
Bytes credited_counts_seed();
// (g) label text as a descriptor carries it: parse_labels, canonical_labels, series keys.
int label_text(const std::uint8_t* data, std::size_t size);
Bytes label_text_seed();

}  // namespace shmon::fuzz
