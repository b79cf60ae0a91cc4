#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A minimal org.kde.StatusNotifierWatcher for the tray test (what a desktop's panel provides).

Owns the watcher name on the session bus, accepts RegisterStatusNotifierItem and prints one line
per registration: "registered SENDER PATH_OR_NAME". Prints "watching" once it owns the name. Runs
until killed. Needs Debian's python3-gi (run it with /usr/bin/python3).
"""
import sys

from gi.repository import Gio, GLib

XML = """
<node>
  <interface name="org.kde.StatusNotifierWatcher">
    <method name="RegisterStatusNotifierItem"><arg type="s" direction="in"/></method>
    <method name="RegisterStatusNotifierHost"><arg type="s" direction="in"/></method>
    <property name="RegisteredStatusNotifierItems" type="as" access="read"/>
    <property name="IsStatusNotifierHostRegistered" type="b" access="read"/>
    <property name="ProtocolVersion" type="i" access="read"/>
    <signal name="StatusNotifierItemRegistered"><arg type="s"/></signal>
    <signal name="StatusNotifierItemUnregistered"><arg type="s"/></signal>
    <signal name="StatusNotifierHostRegistered"/>
  </interface>
</node>
"""
items = []


def on_call(connection, sender, path, interface, method, params, invocation):
    if method == "RegisterStatusNotifierItem":
        item = params.unpack()[0]
        items.append(sender + item if item.startswith("/") else item)
        print("registered %s %s" % (sender, item), flush=True)
        connection.emit_signal(None, path, interface, "StatusNotifierItemRegistered",
                               GLib.Variant("(s)", (items[-1],)))
    invocation.return_value(None)


def on_get(connection, sender, path, interface, prop):
    if prop == "RegisteredStatusNotifierItems":
        return GLib.Variant("as", items)
    if prop == "IsStatusNotifierHostRegistered":
        return GLib.Variant("b", True)
    return GLib.Variant("i", 0)


def on_bus(connection, name):
    info = Gio.DBusNodeInfo.new_for_xml(XML).interfaces[0]
    connection.register_object("/StatusNotifierWatcher", info, on_call, on_get, None)


def main():
    Gio.bus_own_name(Gio.BusType.SESSION, "org.kde.StatusNotifierWatcher",
                     Gio.BusNameOwnerFlags.NONE, on_bus,
                     lambda c, n: print("watching", flush=True),
                     lambda c, n: (print("lost the name", flush=True), sys.exit(1)))
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
