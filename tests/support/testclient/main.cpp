// SPDX-License-Identifier: Apache-2.0
// shmon-testclient: a client that misbehaves on purpose, for the multi-process tests.
//   hold-lock        holds the client mutex until a line arrives on stdin, then reports
//   garbage-mailbox  attaches, then writes garbage and a bogus session into the mailbox
//   bad-magic | bad-abi | bad-region-size   attach attempts the agent must refuse
//   attach           a plain raw attach; prints how it ended (connect error or reply status)
//   bad-region       attaches with a region the agent must refuse: --variant sparse (never
//                    fallocated), hugetlb (MFD_HUGETLB; exit 4 when no huge page is free),
//                    disk-file (not a memfd)
//   punch-region     attaches, punches holes in its own region, waits (--wait-ms) to be dropped
//   poison-totals    lies about its ring positions and drop counters (--variant at-attach |
//                    after-attach), then waits for stdin
//   clash-metric     a probe that publishes "shared_hits" as another metric (--variant gauge |
//                    unit | bounds) or as the same one (same), then waits for stdin
//   cgroup-probe     joins the memory cgroup directory given as --variant, then asks its probe
//                    for a region bigger than the cgroup allows; must not be OOM-killed
//   fork             counts in a parent and its forked child
//   rogue-agent      a fake agent that hands out a corrupt control region (--variant)
//   probe-attach-once  a real probe that must end refused by such an agent (--wait-ms)
//   late-metric      registers a metric after attaching, adds 7, flushes, leaves (--variant)
//   submit           submits through the mailbox and holds on until stdin EOF
//   fork-burst       200 forked children add to a counter and _exit without any call
//   open-burst       100 children of a parent without a probe each open one, add and _exit
//   fork-storm       1000 children alive at once add (i+1)*10 and leave (--variant exit: no
//                    call; flush: a flush first); the total must be 5,007,000
//   hold-lock --variant late   also registers late and submits before holding
//   claim-incarnation  attaches with another client's incarnation (--incarnation HEX) but not
//                      its secret, stays until a line (or EOF) on stdin
//   submit-count     honest: acknowledged submits for --wait-ms; prints how many were accepted
//   vandal           attaches, then attacks the mailbox for --wait-ms (--variant: exec-storm,
//                    futex-words, headers, forge-lock, drain-sleeping, hold-lock,
//                    swallow-signals, scribble-response)
//   counter-flood     --variant N counters (default 4000), one add each, a flush; stdin EOF ends
//   hostile-text     emits an event whose text carries terminal escapes, flushes, leaves
//   command-burst    a tool: --variant N echo commands back to back to the app "target"
//   record-values    honest: records histogram values that stdin names ("VALUE COUNT" lines)
//   mass-detach      honest: --variant N probes (default 32) attach, then all leave at once
//                    when stdin closes; says READY, then LEFT <ms>
//   flush-steps      one new counter + 1000 + flush per stdin line; says each flush's status
//   bye-hold         says bye by hand and keeps the mutex for three agent ticks after the answer
//   slowloris | hold-tool | fd-flood   attacks on the rendezvous socket (mode_rendezvous.cpp)
//   big-region       honest, with the largest legal region, every metric used (READY; stdin EOF)
//   commands         offers echo, throw, sleep, big (--variant stop: a stop handler; poll: no
//                    connector thread), until stdin closes (mode_commands.cpp)
//   series-flood     COUNT counter series (a label flood, or one metric), flushes, holds or
//                    leaves (--variant COUNT[,metric=NAME][,value=N][,exit]; mode_series_flood.cpp)
//   trickle-tool     a tool writing its region request one byte per 5 ms (--variant complete |
//                    stall | loop; mode_trickle.cpp)
//   forge-reply      writes a reply for each command id read from stdin, never having received it
// Exit 0 when the mode observed what the tests expect, 1 otherwise, 2 on a bad command line.
#include <cstdio>
#include <map>
#include <string>

#include "output.hpp"

int main(int argc, char** argv) {
  using namespace shmon::testclient;
  Args args;
  if (!parse_args(argc, argv, args)) return 2;
  const std::map<std::string, int (*)(const Args&)> modes = {
      {"hold-lock", run_hold_lock},
      {"garbage-mailbox", run_garbage_mailbox},
      {"bad-magic", run_bad_magic},
      {"bad-abi", run_bad_abi},
      {"bad-region-size", run_bad_region_size},
      {"attach", run_attach},
      {"bad-region", run_bad_region},
      {"punch-region", run_punch_region},
      {"poison-totals", run_poison_totals},
      {"clash-metric", run_clash_metric},
      {"cgroup-probe", run_cgroup_probe},
      {"fork", run_fork},
      {"rogue-agent", run_rogue_agent},
      {"probe-attach-once", run_probe_attach_once},
      {"late-metric", run_late_metric},
      {"submit", run_submit},
      {"claim-incarnation", run_claim_incarnation},
      {"submit-count", run_submit_count},
      {"vandal", run_vandal},
      {"big-region", run_big_region},
      {"fork-burst", run_fork_burst},
      {"open-burst", run_open_burst},
      {"fork-storm", run_fork_storm},
      {"hostile-text", run_hostile_text},
      {"command-burst", run_command_burst},
      {"record-values", run_record_values},
      {"mass-detach", run_mass_detach},
      {"bye-hold", run_bye_hold},
      {"slowloris", run_slowloris},
      {"hold-tool", run_hold_tool},
      {"fd-flood", run_fd_flood},
      {"exposition-mix", run_exposition_mix},
      {"labelled", run_labelled},
      {"commands", run_commands},
      {"forge-reply", run_forge_reply},
      {"flush-steps", run_flush_steps},
      {"counter-flood", run_counter_flood},
      {"series-flood", run_series_flood},
      {"trickle-tool", run_trickle_tool}};
  const auto it = modes.find(args.mode);
  if (it == modes.end()) {
    std::fprintf(stderr, "shmon-testclient: unknown mode '%s'\n", args.mode.c_str());
    return 2;
  }
  return it->second(args);
}
