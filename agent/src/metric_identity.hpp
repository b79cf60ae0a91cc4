// A metric's identity across clients. Clients that publish the same name mean the same metric
// only if they agree on what it is: its kind, its unit and, for histograms, its bucket bounds
// (labels, when they exist, become part of the key next to the name). The first client that
// defines a name in this agent owns that definition for the agent's life, departed or not; a
// later client that publishes the name with another definition is refused for that metric: it
// is left out of every total (live and departed), counted on the client and agent-wide, listed
// with the client and logged with its name. The incumbent's values never change because of it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "aggregate.hpp"
#include "client.hpp"

namespace shmon::agent {

struct AgentContext;

struct MetricIdentity {
  MetricKind kind = MetricKind::kCounter;
  std::string unit;
  std::vector<std::int64_t> bounds;  // histograms only
  std::string defined_by;            // the client that defined it first, for messages
};

class MetricIdentities {
 public:
  // Decides every descriptor of `client` not decided yet (by index, in the order the client
  // published them) and records the outcome in client.admitted. Returns the sentences that
  // explain each refusal. REQUIRES: the table mutex.
  // A name this table has not seen but `departed` holds (restored from the state store after a
  // restart) is defined by the departed totals.
  std::vector<std::string> admit(Client& client, const Departed* departed = nullptr);
  std::size_t size() const { return known_.size(); }

 private:
  std::map<std::string, MetricIdentity> known_;  // key: name (+ labels, later)
};

// Admits the pending descriptors of every live client, in slot order, and counts and logs the
// clashes. Call before reading values for totals. REQUIRES: ctx.mu held.
void admit_metrics(AgentContext& ctx);
void admit_metrics(AgentContext& ctx, Client& client);
// admit_metrics(ctx, client) as fold_client and collect_metrics take it.
AdmitFn admitter(AgentContext& ctx);

}  // namespace shmon::agent
