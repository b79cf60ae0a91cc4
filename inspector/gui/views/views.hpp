// SPDX-License-Identifier: Apache-2.0
// One function per window. Each draws from the frame's Snapshot (never waiting on the agent) and
// records its rows in the UI dump when that is enabled.
#pragma once

#include <imgui.h>

#include <cstdint>
#include <string>
#include <vector>

#include "data_source.hpp"
#include "settings.hpp"

namespace shmon::inspector {

struct RawViewState {
  int target = 0;  // 0 control, 1 mailbox, 2 a client's data region
  std::int64_t slot = -1;
  bool freeze = false;
  std::vector<std::byte> now, before;
  std::vector<std::uint32_t> changed_frame;  // frame of each byte's last change
  std::uint64_t frame = 0;
  const void* source = nullptr;  // the image the buffers were copied from
  std::int64_t cursor = 0;       // keyboard-selected byte
  std::int64_t scroll_to = -1;   // offset the navigator asked for
  std::string status;
};

struct EventTailState {
  bool paused = false;
  std::shared_ptr<const std::deque<EventInfo>> frozen;  // the tail shown while paused
  int min_level = 0;
  char search[128] = {};
};

// The client details window's Commands tab (docs/COMMANDS.md).
struct CommandsUiState {
  std::string selected;        // the command the Send button sends
  char payload[1025] = {};     // kMaxCommandPayload + NUL
  std::string list_requested;  // ClientInfo::key() whose list was asked for
  bool select_tab = false;
  // Test hook (--send-command CLIENT:COMMAND[:PAYLOAD]): opens CLIENT's details and presses Send
  // for COMMAND once its list arrived, exactly as a user would.
  std::string script;
  bool script_done = false;
};

struct UiState {
  std::string selected_client;  // ClientInfo::key()
  bool details_open = false;
  char client_filter[128] = {};
  bool focus_filter = false;
  std::string mutex_client;  // "" = total
  std::string selected_metric;
  char metric_filter[128] = {};  // words match the name; NAME=VALUE words select by label
  char metric_group[64] = {};    // labels to sum series by (LABEL[,LABEL]); "*" sums all sets
  RawViewState raw;
  EventTailState tail;
  CommandsUiState commands;
  std::vector<std::string> expand_once;  // --expand: windows to uncollapse on the first frame
};

struct ViewContext {
  const Snapshot& snap;
  DataSource& source;
  Settings& settings;
  UiState& ui;
  ImFont* mono = nullptr;
};

// Draws the status strip under the menu bar and returns its height.
float draw_status_strip(ViewContext& ctx, float y, float width);
void draw_agent_view(ViewContext& ctx, bool* open);
void draw_clients_view(ViewContext& ctx, bool* open);
void draw_client_details(ViewContext& ctx);
void draw_mutex_view(ViewContext& ctx, bool* open);
void draw_timeouts_view(ViewContext& ctx, bool* open);
void draw_telemetry_view(ViewContext& ctx, bool* open);
void draw_raw_view(ViewContext& ctx, bool* open);

// Shared small widgets.
// In a 2-column table: the key, and the value wrapped to the column (never cut).
void key_value_row(const char* key, const std::string& value);
// A table cell's text. Columns are sized from their content (ImGuiTableColumnFlags_WidthFixed |
// NoResize, see kFitColumn), so it fits; if it ever does not, the full text is a tooltip and the
// UI dump lists it as clipped.
void cell_text(const std::string& text, const ImVec4* color = nullptr);
// A column that takes the width of its widest visible cell, every frame.
inline constexpr ImGuiTableColumnFlags kFitColumn =
    ImGuiTableColumnFlags_WidthFixed | ImGuiTableColumnFlags_NoResize;
const ClientInfo* find_client(const Snapshot& s, const std::string& key);
ImVec4 level_color(const std::string& level);
ImVec4 state_color(const std::string& state);

}  // namespace shmon::inspector
