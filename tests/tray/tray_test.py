#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""shmon-tray on a real session bus and a real X server, against real agents.

desktop: run under `dbus-run-session -- xvfb-run ...` (the ctest does). A minimal
         StatusNotifierWatcher (sni_watcher.py) stands in for the panel; the tray registers its
         item; its menu, read with com.canonical.dbusmenu.GetLayout, has the four items; `Event
         clicked` on them starts an agent (shmonctl sees it), raises the warning (oversized events
         are dropped), opens an inspector on the same instance, stops the agent; the icon changes
         when an agent dies; Quit ends the tray with exit 0 and stops the agent it started.
         Screenshots (xwd of the X screen, converted to PNG here) of the menu over the inspector.
errors:  no display -> exit 8, no session bus -> exit 9, no shmon-agent -> exit 10, one line each.

Every wait is bounded by a deadline on a child's output or on a query; children are killed at the
end. Needs Debian's python3-gi (run with /usr/bin/python3), gdbus, xwd.
"""
import argparse
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support", "python"))
from children import fail, spawn, teardown, wait_line  # noqa: E402

def wait_until(condition, timeout_s, what, interval_s=0.1):
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            fail("timed out after %.0f s waiting until %s" % (timeout_s, what))
        time.sleep(interval_s)  # polling interval of a bounded wait, not synchronization


def run(cmd, env, timeout_s=10):
    r = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=timeout_s)
    return r.returncode, r.stdout + r.stderr


def make_env(tmp):
    env = dict(os.environ)
    env["SHMON_RUNTIME_DIR"] = os.path.join(tmp, "run")
    env["SHMON_STATE_DIR"] = os.path.join(tmp, "state")
    env["NO_AT_BRIDGE"] = "1"  # no accessibility bus: nothing in the test needs it
    return env


class Item:
    """The tray's StatusNotifierItem and its dbusmenu, driven with gdbus."""

    def __init__(self, env, sender, path):
        self.env, self.sender, self.path = env, sender, path
        self.menu = re.search(r"'([^']+)'", self.prop("Menu")).group(1)

    def gdbus(self, path, method, *args):
        code, out = run(["gdbus", "call", "--session", "--dest", self.sender, "--object-path",
                         path, "--method", method, "--"] + list(args), self.env)
        if code != 0:
            fail("gdbus %s failed: %s" % (method, out))
        return out

    def prop(self, name):
        return self.gdbus(self.path, "org.freedesktop.DBus.Properties.Get",
                          "org.kde.StatusNotifierItem", name)

    def icon(self):
        return re.search(r"'([^']*)'", self.prop("IconName")).group(1)

    def menu_exported(self):
        """Whether the menu object answers yet: the item names its path as soon as it registers,
        and libdbusmenu exports the object a little later (seen under ThreadSanitizer)."""
        code, _ = run(["gdbus", "call", "--session", "--dest", self.sender, "--object-path",
                       self.menu, "--method", "com.canonical.dbusmenu.GetLayout", "--", "0", "-1",
                       "@as []"], self.env)
        return code == 0

    def layout(self):
        """{label: (id, enabled)} of every item of the menu, submenus included."""
        out = self.gdbus(self.menu, "com.canonical.dbusmenu.GetLayout", "0", "-1", "@as []")
        items = {}
        for ident, props in re.findall(r"\((\d+), \{([^{}]*)\}", out):
            label = re.search(r"'label': <'((?:[^'\\]|\\.)*)'>", props)
            if label:
                items[label.group(1)] = (int(ident), "'enabled': <false>" not in props)
        return items

    def click(self, label):
        items = self.layout()
        if label not in items:
            fail("no menu item %r in %s" % (label, sorted(items)))
        ident, enabled = items[label]
        if not enabled:
            fail("menu item %r is disabled" % label)
        self.gdbus(self.menu, "com.canonical.dbusmenu.Event", str(ident), "clicked",
                   "<int32 0>", "0")


def xwd_to_png(xwd_path, png_path):
    """Converts a 24/32-bit-per-pixel ZPixmap XWD (what `xwd -root` writes on Xvfb) to an RGB PNG."""
    data = open(xwd_path, "rb").read()
    f = struct.unpack(">25I", data[:100])
    header_size, width, height = f[0], f[4], f[5]
    byte_order, bpp, stride, ncolors = f[7], f[11], f[12], f[19]
    if bpp not in (24, 32):
        fail("unexpected xwd pixel size %d" % bpp)
    step = bpp // 8
    pixels = data[header_size + 12 * ncolors:]
    rows = []
    for y in range(height):
        row = pixels[y * stride:y * stride + width * step]
        if byte_order == 0:  # LSBFirst: B G R (X)
            rgb = bytes(b for i in range(0, len(row), step) for b in (row[i + 2], row[i + 1], row[i]))
        else:  # MSBFirst: (X) R G B
            rgb = bytes(b for i in range(0, len(row), step) for b in row[i + step - 3:i + step])
        rows.append(b"\0" + rgb)

    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body +
                struct.pack(">I", zlib.crc32(kind + body) & 0xffffffff))

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(b"".join(rows), 6)) + chunk(b"IEND", b""))
    open(png_path, "wb").write(png)
    return rows


def screenshot(env, path, tmp):
    xwd = os.path.join(tmp, "screen.xwd")
    code, out = run(["xwd", "-root", "-silent", "-out", xwd], env)
    if code != 0:
        fail("xwd failed: " + out)
    rows = xwd_to_png(xwd, path)
    return len(set(rows[len(rows) // 2]))  # distinct pixels of the middle row: blank is 1


def ctl(args, env, instance, *cmd):
    return run([args.ctl, "--instance", instance] + list(cmd), env)


def scenario_desktop(args):
    tmp = tempfile.mkdtemp(prefix="shmon-tray-test.")
    env = make_env(tmp)
    instance = "tray-%d" % os.getpid()
    watcher = spawn(["/usr/bin/python3", args.watcher], env)
    wait_line(watcher, "watching", 20, "watcher")
    tray = spawn([args.tray, "--instance", instance], env)
    # No user manager here (systemctl --user fails): the tray supervises its own agent.
    wait_line(tray, "ready instance=%s manager=own" % instance, 30, "tray")
    wait_line(tray, "state down", 30, "tray")
    registered = wait_line(watcher, "registered", 30, "watcher").split()
    item = Item(env, registered[1], registered[2])
    wait_until(item.menu_exported, 30, "the tray exports its menu")
    if item.icon() != "network-offline":
        fail("icon with no agent is %r" % item.icon())
    labels = item.layout()
    for want in ("Open inspector", "Start agent", "Stop agent", "Quit", "Instance: " + instance):
        if want not in labels:
            fail("menu lacks %r: %s" % (want, sorted(labels)))
    if not any(l.startswith("agent down") for l in labels):
        fail("no status line in %s" % sorted(labels))
    if labels["Stop agent"][1]:
        fail("Stop agent is enabled with no agent")
    print("ok: menu %s" % sorted(labels))

    # Start agent: an agent shmonctl sees, with the pid the tray reports.
    item.click("Start agent")
    pid = int(wait_line(tray, "started agent pid", 30, "tray").split()[-1])
    wait_line(tray, "state up pid=%d" % pid, 30, "tray")
    code, out = ctl(args, env, instance, "status")
    if code != 0 or str(pid) not in out:
        fail("shmonctl status after Start agent (%d): %s" % (code, out))
    wait_until(lambda: item.icon() == "network-transmit-receive", 10, "the icon shows the agent up")
    print("ok: Start agent -> agent pid %d, shmonctl sees it" % pid)

    # Dropped events raise the warning (oversized payloads are dropped and counted).
    code, out = run([args.loadgen, "--instance", instance, "--counter", "tray_hits", "--increments",
                     "10", "--events", "5", "--payload", "100"], env, 60)
    if code != 0:
        fail("loadgen: " + out)
    wait_line(tray, "warning=1 icon=dialog-warning", 30, "tray")
    wait_until(lambda: item.icon() == "dialog-warning", 10, "the icon shows the warning")
    print("ok: drops raise the warning icon")

    inspector_pid, shot = None, None
    if args.no_inspector:
        # A build without the inspector (the tsan preset): the item is there, greyed out.
        if item.layout()["Open inspector"][1]:
            fail("Open inspector is enabled although no shmon-inspector was built")
        print("ok: no inspector built -> Open inspector is disabled")
    else:
        # Open inspector: an inspector attaches to the same instance.
        item.click("Open inspector")
        inspector_pid = int(re.search(r"pid (\d+)",
                                      wait_line(tray, "opened inspector", 30, "tray")).group(1))
        wait_until(lambda: '"inspector"' in ctl(args, env, instance, "clients", "--json")[1], 60,
                   "an inspector is a client of the instance")
        print("ok: Open inspector -> inspector pid %d on %s" % (inspector_pid, instance))
        # Screenshots: the inspector once it drew something, then the menu popped up over it.
        shot = os.path.join(args.out, "tray_inspector.png")
        wait_until(lambda: screenshot(env, shot, tmp) > 20, 60, "the inspector drew its window",
                   interval_s=0.5)
    os.kill(tray.pid, signal.SIGUSR1)
    wait_line(tray, "menu shown", 10, "tray")
    menu_shot = os.path.join(args.out, "tray_menu.png")
    screenshot(env, menu_shot, tmp)
    print("ok: screenshots %s" % " ".join(p for p in (shot, menu_shot) if p))

    # Stop agent stops it.
    item.click("Stop agent")
    wait_line(tray, "stopped the agent", 30, "tray")
    wait_line(tray, "state down", 30, "tray")
    code, out = ctl(args, env, instance, "status")
    if code != 1:
        fail("shmonctl status after Stop agent: %d %s" % (code, out))
    print("ok: Stop agent -> no agent")

    # The icon follows an agent that dies.
    item.click("Start agent")
    pid = int(wait_line(tray, "started agent pid", 30, "tray").split()[-1])
    wait_line(tray, "state up pid=%d" % pid, 30, "tray")
    wait_until(lambda: item.icon() == "network-transmit-receive", 10, "the icon shows it up")
    os.kill(pid, signal.SIGKILL)
    wait_line(tray, "agent pid %d ended: signal 9" % pid, 30, "tray")
    wait_until(lambda: item.icon() == "network-offline", 10, "the icon shows the agent down")
    print("ok: the icon changes when the agent dies")

    # Quit: exit 0, and the agent the tray started stops with it.
    item.click("Start agent")
    pid = int(wait_line(tray, "started agent pid", 30, "tray").split()[-1])
    wait_line(tray, "state up pid=%d" % pid, 30, "tray")
    item.click("Quit")
    wait_line(tray, "quit (stopped the agent it started)", 30, "tray")
    if tray.wait(timeout=30) != 0:
        fail("tray exited %s after Quit" % tray.returncode)
    code, out = ctl(args, env, instance, "status")
    if code != 1:
        fail("the tray's agent survived Quit: %s" % out)
    print("ok: Quit -> exit 0, its agent stopped")
    if inspector_pid is not None:
        os.killpg(inspector_pid, signal.SIGKILL)
    shutil.rmtree(tmp, ignore_errors=True)


def scenario_errors(args):
    tmp = tempfile.mkdtemp(prefix="shmon-tray-test.")
    env = make_env(tmp)
    cases = [
        ("no display", {"DISPLAY": None, "WAYLAND_DISPLAY": None}, [], 8, "no display"),
        ("no session bus", {"DISPLAY": ":99", "DBUS_SESSION_BUS_ADDRESS": "unix:path=" + tmp + "/none"},
         [], 9, "no D-Bus session bus"),
        ("no agent program", {}, ["--agent", tmp + "/no-such-agent"], 10, "no-such-agent"),
    ]
    for what, changes, extra, want_code, want_text in cases:
        case_env = dict(env)
        for k, v in changes.items():
            if v is None:
                case_env.pop(k, None)
            else:
                case_env[k] = v
        code, out = run([args.tray, "--instance", "errors"] + extra, case_env, 30)
        lines = [l for l in out.splitlines() if l.strip()]
        if code != want_code or len(lines) != 1 or want_text not in lines[0]:
            fail("%s: expected exit %d and one line with %r, got %d: %r" %
                 (what, want_code, want_text, code, out))
        print("ok: %s -> exit %d: %s" % (what, code, lines[0]))
    shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario", choices=["desktop", "errors"])
    ap.add_argument("--tray", required=True)
    ap.add_argument("--ctl", required=True)
    ap.add_argument("--loadgen", required=True)
    ap.add_argument("--watcher", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--no-inspector", action="store_true",
                    help="the build has no shmon-inspector: Open inspector must be disabled")
    args = ap.parse_args()
    try:
        {"desktop": scenario_desktop, "errors": scenario_errors}[args.scenario](args)
    finally:
        teardown()


if __name__ == "__main__":
    main()
