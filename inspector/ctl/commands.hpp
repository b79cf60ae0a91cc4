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

// Tables shared by the one-shot commands and watch.
Table clients_table(const nlohmann::json& clients);
Table metrics_table(const nlohmann::json& metrics, std::size_t max_rows = SIZE_MAX);

}  // namespace shmonctl
