// SPDX-License-Identifier: Apache-2.0
// One function per shmonctl command; each returns the process exit code or throws CtlError.
// status, clients and watch read the directory (no client mutex); metrics, events and ping
// (and --json, the agent's documented query answers) go through the mailbox.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "connection.hpp"
#include "escape.hpp"
#include "model.hpp"
#include "table.hpp"

namespace shmonctl {

int run_status(Connection& connection, bool json);
int run_clients(Connection& connection, bool json, bool names_only);
// `instances`: list_instances(), one a line (no agent needed).
int run_instances(bool json);
// Which quantiles `metrics` shows: over the last `window_s` seconds (1..600), or the lifetime.
struct QuantileView {
  std::uint32_t window_s = 60;
  bool lifetime = false;
};
// Which series `metrics` shows: those carrying every --label NAME=VALUE, summed by the --group-by
// labels' values when grouping (--group-by, or --sum for one row per metric).
struct SeriesSelection {
  std::vector<std::string> labels;  // NAME=VALUE
  std::vector<std::string> group_by;
  bool sum = false;
  bool grouping() const { return sum || !group_by.empty(); }
};
int run_metrics(Connection& connection, const std::string& name, const QuantileView& view,
                const SeriesSelection& select, bool json);
int run_ping(Connection& connection, std::uint32_t count, bool json);
struct EventsView {
  bool follow = false;                 // keep printing new events until interrupted
  std::optional<std::uint64_t> limit;  // only the newest N (follow without it: the newest 10)
};
int run_events(Connection& connection, const EventsView& view, bool json);
int run_watch(Connection& connection, std::uint32_t interval_ms, std::uint32_t iterations);
// `state`: where the agent's durable state is, its size, when it was last made durable.
int run_state(Connection& connection, bool json);
// `state reset`: deletes the instance's state; refused while an agent serves the instance.
int run_state_reset(const GlobalOptions& options, const std::string& state_dir_flag);

// `send CLIENT COMMAND [PAYLOAD]`: prints the reply payload (raw into a pipe, escaped on a
// terminal); each failure has its exit code (exit_code::kNoSuchClient .. kCommandFailed).
int run_send(Connection& connection, const std::string& client, const std::string& command,
             const std::string& payload, bool json, bool raw);
// `commands CLIENT`: the commands the client offers.
int run_commands(Connection& connection, const std::string& client, bool json);
// CLIENT as a slot number or a name; a name several live apps share is refused (exit 2).
Target resolve_client(Connection& connection, const std::string& spec);

// Tables shared by the one-shot commands and watch.
Table clients_table(const std::vector<shmon::inspector::ClientInfo>& clients);
Table metrics_table(const std::vector<shmon::inspector::MetricInfo>& metrics,
                    const QuantileView& view, std::size_t max_rows = SIZE_MAX);

// Throws CtlError(kOutputFailed) when standard output could not be written (a full disk, a
// closed pipe): a command that printed nothing must not report success.
void check_output();

}  // namespace shmonctl
