// SPDX-License-Identifier: Apache-2.0
// Clients: a sortable, filterable table; selecting a row opens that client's details.
#include <algorithm>
#include <cstring>

#include "format.hpp"
#include "shmon/clock.hpp"
#include "ui_dump.hpp"
#include "views/views.hpp"

namespace shmon::inspector {
namespace {

enum Col {
  kName,
  kPid,
  kKind,
  kState,
  kSince,
  kSeen,
  kReq,
  kEv,
  kDrops,
  kTimeouts,
  kP50,
  kP99,
  kMax,
  kCols
};

std::string drops_text(const ClientDrops& d) {
  if (d.total() == 0) return "0";
  std::string s;
  auto add = [&](const char* what, std::uint64_t n) {
    if (!n) return;
    if (!s.empty()) s += ", ";
    s += std::string(what) + " " + fmt_count(double(n));
  };
  add("ring", d.ring_full);
  add("size", d.payload_too_large);
  add("offline", d.not_connected);
  add("table", d.metric_table_full);
  add("wait", d.wait_timeout);
  return s;
}

std::string timeouts_text(const ClientInfo& c) {
  if (!c.lock_timeouts && !c.done_timeouts) return "0";
  return "lock " + fmt_count(double(c.lock_timeouts)) + ", done " +
         fmt_count(double(c.done_timeouts));
}

std::string since_text(std::uint64_t realtime) {
  if (!realtime) return "-";
  const double ago = (double(shmon::realtime_ns()) - double(realtime)) / 1e9;
  return fmt_wall(realtime) + " (" + fmt_duration_s(std::max(0.0, ago)) + ")";
}

bool less(const ClientInfo& a, const ClientInfo& b, int col) {
  switch (col) {
    case kName:
      return a.name < b.name;
    case kPid:
      return a.pid < b.pid;
    case kKind:
      return a.kind < b.kind;
    case kState:
      return a.state < b.state;
    case kSince:
      return a.attached_realtime_ns < b.attached_realtime_ns;
    case kSeen:
      return a.last_seen_age_ms < b.last_seen_age_ms;
    case kReq:
      return a.requests_per_s < b.requests_per_s;
    case kEv:
      return a.events_per_s < b.events_per_s;
    case kDrops:
      return a.drops.total() < b.drops.total();
    case kTimeouts:
      return a.lock_timeouts + a.done_timeouts < b.lock_timeouts + b.done_timeouts;
    case kP50:
      return a.mutex.wait_p50_ns < b.mutex.wait_p50_ns;
    case kP99:
      return a.mutex.wait_p99_ns < b.mutex.wait_p99_ns;
    case kMax:
      return a.mutex.wait_max_ns < b.mutex.wait_max_ns;
  }
  return a.slot < b.slot;
}

bool matches(const ClientInfo& c, const char* filter) {
  if (!filter[0]) return true;
  auto contains = [&](const std::string& hay) {
    return std::search(hay.begin(), hay.end(), filter, filter + std::strlen(filter),
                       [](char x, char y) { return std::tolower(x) == std::tolower(y); }) !=
           hay.end();
  };
  return contains(c.name) || contains(std::to_string(c.pid)) || contains(c.kind) ||
         contains(c.state);
}

}  // namespace

void draw_clients_view(ViewContext& ctx, bool* open) {
  if (!ImGui::Begin("Clients", open)) {
    ImGui::End();
    return;
  }
  ui_dump().window("Clients");
  const Snapshot& s = ctx.snap;
  UiState& ui = ctx.ui;
  if (ui.focus_filter) {
    ImGui::SetKeyboardFocusHere();
    ui.focus_filter = false;
  }
  ImGui::SetNextItemWidth(240);
  ImGui::InputTextWithHint("##filter", "filter: name, pid, kind, state (Ctrl+F)", ui.client_filter,
                           sizeof ui.client_filter);
  std::vector<const ClientInfo*> rows;
  for (const ClientInfo& c : s.clients) {
    if (matches(c, ui.client_filter)) rows.push_back(&c);
  }
  ImGui::SameLine();
  ImGui::TextDisabled("%zu of %zu clients   (Enter/double-click: details)", rows.size(),
                      s.clients.size());
  const ImGuiTableFlags flags =
      ImGuiTableFlags_Sortable | ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY |
      ImGuiTableFlags_ScrollX | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_Resizable |
      ImGuiTableFlags_Reorderable | ImGuiTableFlags_Hideable | ImGuiTableFlags_SizingFixedFit;
  if (ImGui::BeginTable("clients", kCols, flags)) {
    ImGui::TableSetupScrollFreeze(1, 1);
    ImGui::TableSetupColumn("name", ImGuiTableColumnFlags_DefaultSort | kFitColumn);
    ImGui::TableSetupColumn("pid", kFitColumn);
    ImGui::TableSetupColumn("kind", kFitColumn);
    ImGui::TableSetupColumn("state", kFitColumn);
    ImGui::TableSetupColumn("connected since", kFitColumn);
    ImGui::TableSetupColumn("last seen", kFitColumn);
    ImGui::TableSetupColumn("req/s", kFitColumn);
    ImGui::TableSetupColumn("events/s", kFitColumn);
    ImGui::TableSetupColumn("drops", kFitColumn);
    ImGui::TableSetupColumn("timeouts", kFitColumn);
    ImGui::TableSetupColumn("wait p50", kFitColumn);
    ImGui::TableSetupColumn("wait p99", kFitColumn);
    ImGui::TableSetupColumn("wait max", kFitColumn);
    ImGui::TableHeadersRow();
    if (ImGuiTableSortSpecs* specs = ImGui::TableGetSortSpecs(); specs && specs->SpecsCount > 0) {
      const ImGuiTableColumnSortSpecs& spec = specs->Specs[0];
      std::stable_sort(rows.begin(), rows.end(), [&](const ClientInfo* a, const ClientInfo* b) {
        return spec.SortDirection == ImGuiSortDirection_Descending ? less(*b, *a, spec.ColumnIndex)
                                                                   : less(*a, *b, spec.ColumnIndex);
      });
    }
    auto row_cells = [](const ClientInfo& c) {
      return std::vector<std::string>{c.name,
                                      std::to_string(c.pid),
                                      c.kind,
                                      c.state,
                                      since_text(c.attached_realtime_ns),
                                      fmt_duration_s(double(c.last_seen_age_ms) / 1e3) + " ago",
                                      fmt_rate(c.requests_per_s),
                                      fmt_rate(c.events_per_s),
                                      drops_text(c.drops),
                                      timeouts_text(c),
                                      fmt_ns(double(c.mutex.wait_p50_ns)),
                                      fmt_ns(double(c.mutex.wait_p99_ns)),
                                      fmt_ns(double(c.mutex.wait_max_ns))};
    };
    ImGuiListClipper clipper;
    clipper.Begin(int(rows.size()));
    while (clipper.Step()) {
      for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
        const ClientInfo& c = *rows[i];
        const std::vector<std::string> cells = row_cells(c);
        ImGui::TableNextRow();
        ImGui::PushID(c.key().c_str());
        ImGui::TableNextColumn();
        const bool selected = ui.selected_client == c.key() && ui.details_open;
        if (ImGui::CalcTextSize(cells[0].c_str()).x > ImGui::GetContentRegionAvail().x + 0.5f) {
          ui_dump().clipped(cells[0]);
        }
        if (ImGui::Selectable(
                cells[0].c_str(), selected,
                ImGuiSelectableFlags_SpanAllColumns | ImGuiSelectableFlags_AllowDoubleClick)) {
          ui.selected_client = c.key();
          ui.details_open = true;
        }
        for (int col = 1; col < kCols; ++col) {
          ImGui::TableNextColumn();
          const ImVec4 state = state_color(c.state), drops(1, 0.7f, 0.35f, 1),
                       timeouts(1, 0.5f, 0.45f, 1);
          if (col == kState) {
            cell_text(cells[col], &state);
          } else if (col == kDrops && c.drops.total()) {
            cell_text(cells[col], &drops);
          } else if (col == kTimeouts && (c.lock_timeouts || c.done_timeouts)) {
            cell_text(cells[col], &timeouts);
          } else {
            cell_text(cells[col]);
          }
        }
        ImGui::PopID();
      }
    }
    // The dump holds every row that matches the filter, not only the visible ones.
    if (ui_dump().enabled()) {
      for (const ClientInfo* c : rows) ui_dump().row(row_cells(*c));
    }
    ImGui::EndTable();
  }
  ImGui::End();
}

}  // namespace shmon::inspector
