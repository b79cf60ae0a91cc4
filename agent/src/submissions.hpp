// SPDX-License-Identifier: Apache-2.0
// Applying an accepted submit record (RequestType::kSubmit) to the client's own data region, so
// that submissions are cumulative where every other value is: in cells that survive a re-attach
// and an agent restart, and that the client hands to the next agent.
//
// Writes go to the SHARED shard (the last one). The probe updates that shard only with atomic
// read-modify-writes (fetch_add for counters, event counts, histogram count/sum/buckets; CAS
// loops for min/max), so the agent's atomic RMWs compose with the probe's: no update is lost on
// either side. A gauge set is a relaxed store to shard 0's cell, as the probe's Gauge::set is.
#pragma once

#include "client.hpp"
#include "shmon/protocol.hpp"

namespace shmon::agent {

// Validates `r` against `d` (the validated descriptor `r.metric` names) and applies it to
// `client`'s region. For kEvent also fills `*event` (the record for the event log) and bumps the
// event type's count cell. Returns false (nothing written) when the record is invalid.
// REQUIRES: the caller holds the table mutex and checked that the client is not retired (a
// retired client is folded: a write after the fold would be lost).
bool apply_submit_record(Client& client, const SubmitRecord& r, const Descriptor& d,
                         EventRecord* event);

}  // namespace shmon::agent
