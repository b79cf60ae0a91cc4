// SPDX-License-Identifier: Apache-2.0
#include "tray_ui.hpp"

#include <glib-unix.h>
#include <gtk/gtk.h>
#include <libayatana-appindicator/app-indicator.h>
#include <signal.h>

#include <cstdio>
#include <set>

#include "format.hpp"
#include "process.hpp"
#include "shmon/clock.hpp"
#include "shmon/names.hpp"
#include "shmon/paths.hpp"

namespace shmon::tray {

namespace {

constexpr guint kPollMs = 500;
// Theme icon names (present in every icon theme that follows the freedesktop naming spec).
constexpr const char* kIconUp = "network-transmit-receive";
constexpr const char* kIconDown = "network-offline";
constexpr const char* kIconWarning = "dialog-warning";

void say(const std::string& line) {
  std::printf("shmon-tray: %s\n", line.c_str());
  std::fflush(stdout);
}

class Tray {
 public:
  Tray(const TrayOptions& options, AgentWatch& watch, AgentControl& control)
      : options_(options), watch_(watch), control_(control) {}

  int run() {
    build();
    control_.detect_manager();
    say(std::string("ready instance=") + watch_.instance() +
        " manager=" + (control_.manager() == Manager::kSystemd ? "systemd" : "own"));
    refresh();
    g_timeout_add(kPollMs, &Tray::on_timer, this);
    g_unix_signal_add(SIGINT, &Tray::on_quit_signal, this);
    g_unix_signal_add(SIGTERM, &Tray::on_quit_signal, this);
    g_unix_signal_add(SIGUSR1, &Tray::on_popup_signal, this);
    gtk_main();
    unwatch_own();
    const bool own = control_.own_pid() > 0;
    control_.quit();
    say(own ? "quit (stopped the agent it started)" : "quit");
    return 0;
  }

 private:
  GtkWidget* add_item(const char* label, GCallback on_activate) {
    GtkWidget* item = gtk_menu_item_new_with_label(label);
    if (on_activate) g_signal_connect(item, "activate", on_activate, this);
    gtk_menu_shell_append(GTK_MENU_SHELL(menu_), item);
    return item;
  }

  void build() {
    menu_ = gtk_menu_new();
    status_item_ = add_item("shmon: starting", nullptr);
    gtk_widget_set_sensitive(status_item_, FALSE);
    instance_item_ = add_item("Instance", nullptr);
    gtk_menu_shell_append(GTK_MENU_SHELL(menu_), gtk_separator_menu_item_new());
    open_item_ = add_item("Open inspector", G_CALLBACK(&Tray::on_open));
    start_item_ = add_item("Start agent", G_CALLBACK(&Tray::on_start));
    stop_item_ = add_item("Stop agent", G_CALLBACK(&Tray::on_stop));
    gtk_menu_shell_append(GTK_MENU_SHELL(menu_), gtk_separator_menu_item_new());
    add_item("Quit", G_CALLBACK(&Tray::on_quit));
    gtk_widget_show_all(menu_);
    g_signal_connect_after(menu_, "draw", G_CALLBACK(&Tray::on_menu_drawn), this);

    indicator_ =
        app_indicator_new("shmon-tray", kIconDown, APP_INDICATOR_CATEGORY_APPLICATION_STATUS);
    app_indicator_set_attention_icon_full(indicator_, kIconWarning, "shmon: warning");
    app_indicator_set_status(indicator_, APP_INDICATOR_STATUS_ACTIVE);
    app_indicator_set_menu(indicator_, GTK_MENU(menu_));
    rebuild_instances();
  }

  void rebuild_instances() {
    const std::vector<std::string> on_disk = list_instances();
    std::set<std::string> names(on_disk.begin(), on_disk.end());
    names.insert(watch_.instance());
    if (names == shown_instances_ && instance_menu_) return;
    shown_instances_ = names;
    instance_menu_ = gtk_menu_new();
    GSList* group = nullptr;
    updating_ = true;
    for (const auto& name : names) {
      GtkWidget* item = gtk_radio_menu_item_new_with_label(group, name.c_str());
      group = gtk_radio_menu_item_get_group(GTK_RADIO_MENU_ITEM(item));
      gtk_check_menu_item_set_active(GTK_CHECK_MENU_ITEM(item), name == watch_.instance());
      g_signal_connect(item, "toggled", G_CALLBACK(&Tray::on_instance), this);
      gtk_menu_shell_append(GTK_MENU_SHELL(instance_menu_), item);
    }
    updating_ = false;
    gtk_widget_show_all(instance_menu_);
    gtk_menu_item_set_submenu(GTK_MENU_ITEM(instance_item_), instance_menu_);
    const std::string label = "Instance: " + watch_.instance();
    gtk_menu_item_set_label(GTK_MENU_ITEM(instance_item_), label.c_str());
  }

  void refresh() {
    const TrayState s = watch_.poll(monotonic_ns());
    rebuild_instances();
    const char* icon = !s.up ? kIconDown : s.warning ? kIconWarning : kIconUp;
    const std::string rate = inspector::fmt_rate(s.events_per_s);
    std::string status;
    if (s.up) {
      status = "agent up (pid " + std::to_string(s.pid) +
               "): " + inspector::fmt_count(double(s.apps)) + " clients, events " + rate;
      if (s.warning) status += "; warning: drops, timeouts or lock recoveries rising";
    } else {
      status = "agent down (" + s.down_reason + ")";
    }
    if (!message_.empty()) status += " — " + message_;
    const std::string title = "shmon " + watch_.instance() + ": " + status;
    gtk_menu_item_set_label(GTK_MENU_ITEM(status_item_), status.c_str());
    app_indicator_set_title(indicator_, title.c_str());
    const std::string label = s.up ? inspector::fmt_count(double(s.apps)) + " · " + rate : "down";
    // The widest label the formatter writes (three digits, a prefix): the panel keeps its width.
    app_indicator_set_label(indicator_, label.c_str(), "000 · 000 k/s");
    if (icon != shown_icon_) {
      app_indicator_set_icon_full(indicator_, icon, title.c_str());
      app_indicator_set_status(
          indicator_, s.warning ? APP_INDICATOR_STATUS_ATTENTION : APP_INDICATOR_STATUS_ACTIVE);
      shown_icon_ = icon;
    }
    gtk_widget_set_sensitive(start_item_, !s.up);
    gtk_widget_set_sensitive(stop_item_, s.up || control_.own_pid() > 0);
    gtk_widget_set_sensitive(open_item_, !options_.inspector_program.empty());
    if (!said_ || s.up != last_.up || s.apps != last_.apps || s.warning != last_.warning) {
      say(std::string("state ") + (s.up ? "up" : "down") + " pid=" + std::to_string(s.pid) +
          " apps=" + std::to_string(s.apps) + " warning=" + (s.warning ? "1" : "0") +
          " icon=" + icon);
      said_ = true;
    }
    last_ = s;
  }

  void watch_own() {
    if (control_.own_pidfd() < 0) return;
    own_source_ = g_unix_fd_add(control_.own_pidfd(), G_IO_IN, &Tray::on_own_exit, this);
  }
  void unwatch_own() {
    if (own_source_ != 0) g_source_remove(own_source_);
    own_source_ = 0;
  }

  void set_message(const std::string& m) {
    message_ = m;
    if (!m.empty()) say("error: " + m);
  }

  // Callbacks (GTK C signatures).
  static gboolean on_timer(gpointer self) {
    static_cast<Tray*>(self)->refresh();
    return G_SOURCE_CONTINUE;
  }
  static gboolean on_quit_signal(gpointer) {
    gtk_main_quit();
    return G_SOURCE_REMOVE;
  }
  static gboolean on_popup_signal(gpointer self) {
    auto* t = static_cast<Tray*>(self);
    // No click started this popup, so anchor it to the root window at the pointer.
    GdkWindow* root = gdk_get_default_root_window();
    GdkRectangle at{0, 0, 1, 1};
    GdkSeat* seat = gdk_display_get_default_seat(gdk_display_get_default());
    if (GdkDevice* pointer = seat ? gdk_seat_get_pointer(seat) : nullptr) {
      gdk_window_get_device_position(root, pointer, &at.x, &at.y, nullptr);
    }
    t->popup_drawn_ = false;
    gtk_menu_popup_at_rect(GTK_MENU(t->menu_), root, &at, GDK_GRAVITY_NORTH_WEST,
                           GDK_GRAVITY_NORTH_WEST, nullptr);
    return G_SOURCE_CONTINUE;
  }
  // After the popup's first draw: the menu is on the screen (screenshots wait for this line).
  static gboolean on_menu_drawn(GtkWidget*, cairo_t*, gpointer self) {
    auto* t = static_cast<Tray*>(self);
    if (!t->popup_drawn_) {
      t->popup_drawn_ = true;
      g_idle_add(
          [](gpointer) -> gboolean {
            say("menu shown");
            return G_SOURCE_REMOVE;
          },
          nullptr);
    }
    return FALSE;
  }
  static gboolean on_own_exit(gint, GIOCondition, gpointer self) {
    auto* t = static_cast<Tray*>(self);
    const pid_t pid = t->control_.own_pid();
    t->own_source_ = 0;
    const std::string how = t->control_.own_exited();
    say("agent pid " + std::to_string(pid) + " ended: " + how);
    t->message_ = "the agent the tray started ended with " + how;
    t->refresh();
    return G_SOURCE_REMOVE;
  }
  static void on_quit(GtkMenuItem*, gpointer) { gtk_main_quit(); }
  static void on_start(GtkMenuItem*, gpointer self) {
    auto* t = static_cast<Tray*>(self);
    const std::string error = t->control_.start();
    t->set_message(error);
    if (error.empty()) {
      if (t->control_.manager() == Manager::kSystemd) {
        say("started shmon-agent@" + t->watch_.instance() + " through systemctl --user");
      } else {
        say("started agent pid " + std::to_string(t->control_.own_pid()));
        t->watch_own();
      }
    }
    t->refresh();
  }
  static void on_stop(GtkMenuItem*, gpointer self) {
    auto* t = static_cast<Tray*>(self);
    t->unwatch_own();
    const std::string error = t->control_.stop(pid_t(t->last_.pid));
    t->set_message(error);
    if (error.empty()) say("stopped the agent");
    t->refresh();
  }
  static void on_open(GtkMenuItem*, gpointer self) {
    auto* t = static_cast<Tray*>(self);
    Spawned s = spawn_child({t->options_.inspector_program, "--instance", t->watch_.instance()});
    if (s.pid < 0) {
      t->set_message(s.error);
      return;
    }
    // GLib reaps it (the inspector lives on its own; closing it is the user's business).
    g_child_watch_add(
        s.pid, [](GPid pid, gint, gpointer) { g_spawn_close_pid(pid); }, nullptr);
    say("opened inspector pid " + std::to_string(s.pid) + " instance=" + t->watch_.instance());
  }
  static void on_instance(GtkCheckMenuItem* item, gpointer self) {
    auto* t = static_cast<Tray*>(self);
    if (t->updating_ || !gtk_check_menu_item_get_active(item)) return;
    const std::string name = gtk_menu_item_get_label(GTK_MENU_ITEM(item));
    if (name == t->watch_.instance()) return;
    t->watch_.set_instance(name);
    t->control_.set_instance(name);
    t->message_.clear();
    t->said_ = false;
    say("instance " + name);
    const std::string label = "Instance: " + name;
    gtk_menu_item_set_label(GTK_MENU_ITEM(t->instance_item_), label.c_str());
    t->refresh();
  }

  const TrayOptions& options_;
  AgentWatch& watch_;
  AgentControl& control_;
  AppIndicator* indicator_ = nullptr;
  GtkWidget *menu_ = nullptr, *status_item_ = nullptr, *instance_item_ = nullptr,
            *instance_menu_ = nullptr, *open_item_ = nullptr, *start_item_ = nullptr,
            *stop_item_ = nullptr;
  std::set<std::string> shown_instances_;
  const char* shown_icon_ = nullptr;
  std::string message_;
  TrayState last_;
  bool said_ = false;
  bool updating_ = false;
  bool popup_drawn_ = true;
  guint own_source_ = 0;
};

}  // namespace

int run_tray(const TrayOptions& options, AgentWatch& watch, AgentControl& control) {
  Tray tray(options, watch, control);
  return tray.run();
}

}  // namespace shmon::tray
