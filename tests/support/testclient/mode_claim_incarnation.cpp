// SPDX-License-Identifier: Apache-2.0
// claim-incarnation: attaches with another client's incarnation (public: `clients --json` shows
// it) and a re-attach secret of its own, as an impostor would. The agent must treat it as a new,
// unrelated client: the victim keeps its slot and its departed totals. Prints "ATTACHED slot=N"
// (or "REFUSED ..."/"ERROR ..."), then stays attached until a line or EOF arrives on stdin.
#include <cstdio>
#include <string>

#include "output.hpp"
#include "raw_attach.hpp"

namespace shmon::testclient {

int run_claim_incarnation(const Args& args) {
  RawAttachOptions options{args.instance, args.name, kAbiVersion, RegionFlaw::kNone};
  options.incarnation = args.incarnation;
  options.random_secret = true;  // a guess: not the victim's secret
  const RawSession session = raw_attach(options);
  if (!session.replied) {
    say("ERROR " + session.error);
    return 1;
  }
  if (session.reply.status != std::uint32_t(AttachStatus::kOk)) {
    say("REFUSED " + attach_status_name(session.reply.status) + " " + reply_message(session.reply));
    return 1;
  }
  say("ATTACHED slot=" + std::to_string(session.reply.slot));
  char line[64];
  if (std::fgets(line, sizeof line, stdin) == nullptr) {
    // EOF: leave as well.
  }
  return 0;
}

}  // namespace shmon::testclient
