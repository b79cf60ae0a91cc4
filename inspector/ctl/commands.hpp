// One function per shmonctl command; each returns the process exit code or throws CtlError.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "connection.hpp"
#include "format.hpp"

namespace shmonctl {

int run_status(Connection& connection, bool json);
int run_clients(Connection& connection, bool json);
int run_metrics(Connection& connection, const std::string& name, bool json);
int run_ping(Connection& connection, std::uint32_t count, bool json);
int run_events(Connection& connection, bool follow, bool json);
int run_watch(Connection& connection, std::uint32_t interval_ms, std::uint32_t iterations);
// `state`: where the agent's durable state is, its size, when it was last made durable.
int run_state(Connection& connection, bool json);
// `state reset`: deletes the instance's state; refused while an agent serves the instance.
int run_state_reset(const std::string& instance, const std::string& state_dir_flag);

// Tables shared by the one-shot commands and watch.
Table clients_table(const nlohmann::json& clients);
Table metrics_table(const nlohmann::json& metrics, std::size_t max_rows = SIZE_MAX);

}  // namespace shmonctl
