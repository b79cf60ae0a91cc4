// SPDX-License-Identifier: Apache-2.0
// shmon-testclient: command line and line-oriented, flushed output (the tests wait on lines).
#pragma once

#include <cstdint>
#include <string>

#include "shmon/probe.hpp"

namespace shmon::testclient {

struct Args {
  std::string mode;
  std::string instance;
  std::string name = "testclient";
  std::string
      variant;  // rogue-agent: bad-magic | bad-abi; late-metric: how it leaves; see main.cpp
  std::uint32_t wait_ms = 3000;   // probe-attach-once: longest wait for the refusal
  std::uint64_t incarnation = 0;  // claim-incarnation: the victim's (hex, from `clients --json`)
};

// Parses `MODE --instance NAME --name N [--variant V] [--wait-ms MS] [--incarnation HEX]`; prints
// usage and returns false on a bad command line.
bool parse_args(int argc, char** argv, Args& out);

// Prints one line to stdout and flushes it.
void say(const std::string& line);

// The options an honest mode's probe starts from: --instance and --name.
ProbeOptions probe_options(const Args& args);
// Waits up to --wait-ms for `probe` to attach; if it does not, says "NOT CONNECTED <why>" and
// returns false.
bool await_attach(Probe& probe, const Args& args);
// Flushes, says "READY", then by --variant: hold (waits for stdin EOF: a live client) or exit
// (leaves at once: a departed client). Returns the exit code.
int flush_then_hold_or_exit(Probe& probe, const Args& args);

int run_hold_lock(const Args& args);
int run_hostile_text(const Args& args);
int run_command_burst(const Args& args);
int run_record_values(const Args& args);
int run_mass_detach(const Args& args);
int run_bye_hold(const Args& args);
int run_garbage_mailbox(const Args& args);
int run_bad_magic(const Args& args);
int run_bad_abi(const Args& args);
int run_bad_region_size(const Args& args);
int run_attach(const Args& args);
int run_bad_region(const Args& args);     // --variant sparse | hugetlb | disk-file
int run_punch_region(const Args& args);   // attaches, punches its region, waits to be dropped
int run_poison_totals(const Args& args);  // lies about ring positions and drop counters
int run_clash_metric(const Args& args);   // publishes another client's metric name differently
int run_cgroup_probe(const Args& args);   // a big probe region inside a small memory cgroup
int run_fork(const Args& args);
int run_rogue_agent(const Args& args);
int run_probe_attach_once(const Args& args);
int run_late_metric(const Args& args);
int run_submit(const Args& args);
int run_claim_incarnation(const Args& args);
int run_submit_count(const Args& args);
int run_vandal(const Args& args);
int run_fork_burst(const Args& args);
int run_open_burst(const Args& args);
int run_fork_storm(const Args& args);  // 1000 children at once (--variant exit | flush)
int run_slowloris(const Args& args);
int run_hold_tool(const Args& args);
int run_fd_flood(const Args& args);
int run_exposition_mix(const Args& args);  // --variant hold | exit
int run_labelled(const Args& args);        // labelled series of every kind; --variant hold | exit
int run_big_region(const Args& args);      // an honest client with the largest legal region
int run_commands(const Args& args);        // offers echo, throw, sleep, big (--variant stop | poll)
int run_forge_reply(const Args& args);
int run_series_flood(const Args& args);  // COUNT series, flush, hold or leave (the series bound)
int run_trickle_tool(const Args& args);  // a tool trickling its request (--variant)
int run_flush_steps(const Args& args);  // one counter + flush per stdin line (state on a full disk)
                                        // // writes replies to commands it never received
// --variant N counters in one probe (the agent's memory cgroup)
int run_counter_flood(const Args& args);

}  // namespace shmon::testclient
