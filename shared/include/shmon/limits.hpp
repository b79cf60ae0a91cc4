// SPDX-License-Identifier: Apache-2.0
// Limits, defaults and exit codes shared by every shmon component. Changing a value that appears in
// a region layout changes the ABI: bump kAbiVersion in layout.hpp with it.
#pragma once

#include <cstdint>

#include "shmon/types.hpp"

namespace shmon {

inline constexpr std::size_t kMaxInstanceNameLen = 64;  // bytes, without the terminating NUL
inline constexpr std::size_t kMaxClientNameLen = 63;    // fits a 64-byte field with its NUL
inline constexpr std::size_t kMaxMetricNameLen = 63;

inline constexpr const char* kDefaultInstance = "default";

// Client table. App clients are limited by --max-clients; tools (shmonctl, inspector) get a few
// reserved slots on top so that a full agent can still be inspected.
inline constexpr std::uint32_t kDefaultMaxClients = 64;
inline constexpr std::uint32_t kHardMaxClients = 1024;
inline constexpr std::uint32_t kReservedToolSlots = 4;

// Timeouts (milliseconds). The lease is how long a client may hold the client mutex before the
// agent revokes it; client lock timeouts default above the lease so waiters outlast a stuck owner.
inline constexpr std::uint32_t kDefaultLeaseMs = 500;
// kDefaultLockTimeoutMs and kDefaultDoneTimeoutMs are in types.hpp (ProbeOptions uses them).
inline constexpr std::uint32_t kAttachTimeoutMs = 1000;

// Process exit codes used by the command-line tools.
namespace exit_code {
inline constexpr int kOk = 0;
inline constexpr int kFailure = 1;         // runtime failure; shmonctl: no agent on the instance
inline constexpr int kUsage = 2;           // bad command line or invalid name
inline constexpr int kAlreadyRunning = 3;  // shmon-agent: another agent owns the instance
inline constexpr int kResources = 4;       // cannot create socket, regions or memory reservation
inline constexpr int kNotFound =
    5;  // shmonctl: the metric named on the command line does not exist
inline constexpr int kOutputFailed = 6;  // shmonctl: standard output could not be written
// shmon-agent: socket activation passed a socket that is not this instance's rendezvous
inline constexpr int kActivationRefused = 7;
// shmon-agent: the state directory cannot be used (refused by its checks, not creatable, no
// HOME); --no-state runs from memory explicitly
inline constexpr int kStateUnusable = 14;
// shmon-agent: the state storage kept failing (full disk, I/O error) for --state-wait-ms
inline constexpr int kStateUnavailable = 15;
// shmonctl send / commands (docs/COMMANDS.md):
inline constexpr int kNoSuchClient = 8;      // no app client by that name or slot
inline constexpr int kNoSuchCommand = 9;     // the client offers no command of that name
inline constexpr int kCommandTimeout = 10;   // no reply by the deadline
inline constexpr int kClientDied = 11;       // the client went away before it replied
inline constexpr int kPayloadTooLarge = 12;  // payload over kMaxCommandPayload
inline constexpr int kCommandFailed = 13;    // the handler failed, or the command was refused
// shmon-tray (its own program, so its codes may reuse shmonctl's values):
inline constexpr int kNoDisplay = 8;        // shmon-tray: no display to show the icon on
inline constexpr int kNoSessionBus = 9;     // shmon-tray: no D-Bus session bus
inline constexpr int kNoAgentProgram = 10;  // shmon-tray: shmon-agent not found
}  // namespace exit_code

}  // namespace shmon
