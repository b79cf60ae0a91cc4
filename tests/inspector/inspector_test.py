#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""shmon-inspector against a real agent, rendered under Xvfb.

render:    an agent and three `shmon-loadgen --hold-open` clients; the inspector renders N frames,
           writes a screenshot and a dump of what it drew; we assert on the dump's rows (the
           loadgens in the client table, non-zero mutex statistics, the control header decoded).
reconnect: the banner with no agent (dump), then a long-running inspector sees an agent start,
           get killed (banner) and a new one start (reconnection), through its stdout lines.
settings:  hostile settings files (a font scale out of range, a FIFO, a link to /dev/zero) are
           refused without a crash, a hang or a huge read, and never saved back; --version and a
           usage error exit 0 and 2.
heatmap:   a loadgen feeds histogram "lat"; once `shmonctl metrics` has it in its 60 s window,
           an inspector opened with `--metric lat` shows the window's quantiles and a latency
           heatmap (rows in the dump) for it.
command:   shmon-demo and the inspector with --send-command demo:echo:PAYLOAD, which opens the
           demo's details, waits for its command list and presses Send as a user would; the dump
           must list the demo's commands and show the echo's reply with status ok and a timing.
labels:    shmon-demo publishes `responses` labelled by route and code; an inspector opened with
           the filter `code=503` and grouping by `code` must list one summed row,
           responses{code="503"}, and no 200 series.
readable: what scripts/demo.sh starts (three shmon-demo apps, a loadgen with a counter, events,
           a histogram and a gauge) in a default 1280x800 inspector: the dump must list no
           clipped text (cells are measured as drawn), every client's whole pid, and distinct
           series names with their labels; a run with --width/--height is remembered by the
           next run without them (its screenshot has that size).
mutex-rate (a measurement, not a ctest): client-mutex acquisitions per second caused by one open
           inspector, from the agent's per-client counters (`--seconds`, default 10).

Every wait is bounded by a deadline on a child's output; every child is killed on teardown.
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile
import time
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support", "python"))
from children import fail, spawn, teardown, wait_line  # noqa: E402

def make_env(tmp):
    env = dict(os.environ)
    rt = os.path.join(tmp, "rt")
    os.makedirs(rt, mode=0o700, exist_ok=True)
    env["SHMON_RUNTIME_DIR"] = rt
    env["XDG_CONFIG_HOME"] = os.path.join(tmp, "config")  # fresh settings, nothing persisted
    env.pop("SHMON_INSTANCE", None)
    return env


def start_agent(args, env, instance):
    agent = spawn([args.agent, "--instance", instance], env)
    wait_line(agent, "shmon-agent: ready", 15, "agent")
    return agent


def fresh_agent(args, instance):
    """A private runtime directory and settings (make_env) with an agent serving `instance` in
    it; returns the environment for the scenario's children."""
    env = make_env(tempfile.mkdtemp(prefix="shmon-insp-"))
    start_agent(args, env, instance)
    return env


def poll_ctl_json(args, env, instance, ctl_args, done, what, seconds=30):
    """Runs `shmonctl --instance INSTANCE ctl_args` (ending in --json) until done(answer) holds,
    for at most `seconds`; returns the answer. A failed run counts as an empty list."""
    deadline = time.monotonic() + seconds
    while True:
        out = subprocess.run([args.ctl, "--instance", instance] + ctl_args, env=env,
                             capture_output=True, text=True, timeout=30)
        doc = json.loads(out.stdout) if out.returncode == 0 else []
        if done(doc):
            return doc
        if time.monotonic() > deadline:
            fail("%s: %s %s" % (what, out.stdout, out.stderr))
        time.sleep(0.05)  # the poll interval of a bounded wait, not a synchronization


def xvfb(args, cmd):
    return [args.xvfb_run, "-a", "-s", "-screen 0 1280x800x24"] + cmd


def rows_of(dump, window):
    for w in dump["windows"]:
        if w["name"] == window:
            return w["rows"]
    fail("the dump has no window %r (windows: %s)" % (window, [w["name"] for w in dump["windows"]]))


def png_size(path):
    with open(path, "rb") as f:
        data = f.read(24)
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail("%s is not a PNG" % path)
    return struct.unpack(">II", data[16:24])


def check_png(path):
    with open(path, "rb") as f:
        data = f.read()
    width, height = png_size(path)
    if (width, height) != (1280, 800):
        fail("screenshot is %dx%d, expected 1280x800" % (width, height))
    # Decode the pixels and check the frame is not blank: many distinct colours.
    idat = b"".join(data[i + 8:i + 8 + struct.unpack(">I", data[i:i + 4])[0]]
                    for i in iter_chunks(data, b"IDAT"))
    raw = zlib.decompress(idat)
    stride = 1 + width * 4
    sample = set()
    for y in range(0, height, 37):
        row = raw[y * stride + 1:(y + 1) * stride]
        for x in range(0, len(row), 4 * 53):
            sample.add(row[x:x + 3])
    if len(sample) < 8:
        fail("screenshot looks blank (%d distinct sampled values)" % len(sample))


def iter_chunks(data, kind):
    i = 8
    while i < len(data):
        length = struct.unpack(">I", data[i:i + 4])[0]
        if data[i + 4:i + 8] == kind:
            yield i
        i += 12 + length


def render_connected(args, env, instance, name, frames, extra=()):
    """Runs an inspector for `frames` frames against a running agent (bounded), requires that it
    connected and exited 0, and returns (its UI dump, its screenshot's path)."""
    shot = os.path.join(args.out, "inspector-%s.png" % name)
    dump_path = os.path.join(args.out, "inspector-%s.json" % name)
    for f in (shot, dump_path):
        if os.path.exists(f):
            os.unlink(f)
    insp = spawn(xvfb(args, [args.inspector, "--instance", instance, "--frames", str(frames)] +
                      list(extra) + ["--screenshot", shot, "--dump-ui", dump_path]), env)
    wait_line(insp, "inspector: connected", 60, "inspector")
    try:
        rc = insp.wait(timeout=120)
    except subprocess.TimeoutExpired:
        fail("the inspector did not finish its frames in 120 s")
    if rc != 0:
        fail("the inspector exited %d" % rc)
    with open(dump_path) as f:
        return json.load(f), shot


def scenario_render(args):
    tmp = tempfile.mkdtemp(prefix="shmon-insp-")
    env = make_env(tmp)
    instance = "insp-render"
    start_agent(args, env, instance)
    names = ["loadgen-a", "loadgen-b", "loadgen-c"]
    for n in names:
        lg = spawn([args.loadgen, "--instance", instance, "--name", n, "--threads", "1",
                    "--counter", "c", "--increments", "1000", "--events", "50", "--hold-open"],
                   env, stdin=subprocess.PIPE)
        wait_line(lg, "status=ok", 30, n)  # acknowledged by the agent: attached and drained
    dump, shot = render_connected(args, env, instance, "render", 240, ["--expand", "raw"])
    if not dump.get("agent_up"):
        fail("the last frame did not show a connected agent")

    status = " ".join(" ".join(r) for r in rows_of(dump, "Status"))
    if "connected to shmon-agent" not in status:
        fail("status strip: %r" % status)

    clients = rows_of(dump, "Clients")
    by_name = {r[0]: r for r in clients}
    for n in names:
        if n not in by_name:
            fail("client table rows lack %s: %s" % (n, [r[0] for r in clients]))
        if by_name[n][2] != "app" or by_name[n][3] not in ("live", "attached"):
            fail("row of %s: %s" % (n, by_name[n]))
    inspectors = [r[0] for r in clients if r[2] == "inspector"]
    if len(inspectors) != 1:
        fail("one inspector must be one client of kind inspector, not %s" % inspectors)

    mutex = {r[0]: r[1] for r in rows_of(dump, "Mutex") if len(r) >= 2}
    acquired = int(mutex.get("acquired", "0"))
    if acquired <= 0:
        fail("mutex acquired is %d" % acquired)
    # Uncontended acquisitions wait 0 ns, so all-zero waits are a correct answer: only require
    # that the wait statistics are shown.
    missing = [k for k in ("wait p50", "wait p99", "wait max") if not mutex.get(k)]
    if missing:
        fail("mutex wait statistics lack %s: %s" % (missing, mutex))

    raw = rows_of(dump, "Raw region")
    header = {r[1]: r[3] for r in raw if len(r) == 4 and r[0] == "control header"}
    if header.get("magic") != '"SHMONCTL"':
        fail("control header magic not decoded: %s" % header.get("magic"))
    if header.get("instance") != '"%s"' % instance:
        fail("control header instance: %s" % header.get("instance"))
    if not any(r[0] == "section" and r[1] == "directory[0]" for r in raw):
        fail("the section navigator lacks the directory")
    if not any(r[0] == "hex" and "SHMONCTL" in r[1] for r in raw):
        fail("the hex view does not show the magic")

    check_png(shot)
    print("ok: %d clients listed, mutex acquired %d, control header decoded; screenshot %s"
          % (len(clients), acquired, shot))


def scenario_reconnect(args):
    tmp = tempfile.mkdtemp(prefix="shmon-insp-")
    env = make_env(tmp)
    instance = "insp-reconnect"

    # 1. No agent: the banner is drawn (checked in the dump).
    dump_path = os.path.join(args.out, "inspector-down.json")
    shot = os.path.join(args.out, "inspector-down.png")
    insp = spawn(xvfb(args, [args.inspector, "--instance", instance, "--frames", "120",
                             "--screenshot", shot, "--dump-ui", dump_path]), env)
    wait_line(insp, "inspector: agent down", 60, "inspector")
    if insp.wait(timeout=60) != 0:
        fail("the inspector exited %d without an agent" % insp.returncode)
    with open(dump_path) as f:
        dump = json.load(f)
    banner = " ".join(" ".join(r) for r in rows_of(dump, "Status"))
    expected = "agent not running on instance %s \u2014 retrying" % instance
    if expected not in banner:
        fail("banner %r lacks %r" % (banner, expected))
    check_png(shot)

    # 2. A long-running inspector: agent up, killed, restarted.
    insp = spawn(xvfb(args, [args.inspector, "--instance", instance, "--frames", "1000000",
                             "--refresh-hz", "10"]), env)
    wait_line(insp, "inspector: agent down", 60, "inspector")
    agent = start_agent(args, env, instance)
    wait_line(insp, "inspector: connected to agent pid %d" % agent.pid, 30, "inspector")
    agent.kill()
    agent.wait(timeout=10)
    wait_line(insp, "inspector: agent down", 30, "inspector")
    agent2 = start_agent(args, env, instance)
    wait_line(insp, "inspector: connected to agent pid %d" % agent2.pid, 30, "inspector")
    if insp.poll() is not None:
        fail("the inspector exited during the agent's restart")
    # The new agent must see the inspector as a live client of kind inspector.
    print("ok: banner shown, agent killed and restarted, the inspector reconnected")


def run_briefly(args, env, extra, what):
    """Runs the inspector for a few frames; returns its exit code (bounded wait)."""
    p = spawn(xvfb(args, [args.inspector, "--instance", "insp-settings", "--frames", "5"] + extra),
              env)
    try:
        return p.wait(timeout=60)
    except subprocess.TimeoutExpired:
        fail("the inspector hung with %s" % what)


def scenario_settings(args):
    tmp = tempfile.mkdtemp(prefix="shmon-insp-")
    env = make_env(tmp)
    cfg = os.path.join(env["XDG_CONFIG_HOME"], "shmon")
    os.makedirs(cfg, mode=0o700)
    settings = os.path.join(cfg, "inspector.json")
    layout = os.path.join(cfg, "inspector-imgui.ini")

    # 1. A font scale out of range is not used (it aborted ImGui) and not saved back.
    with open(settings, "w") as f:
        json.dump({"font_scale": 0.01, "refresh_hz": 1e9, "fps_cap": -3}, f)
    rc = run_briefly(args, env, [], "font_scale 0.01")
    if rc != 0:
        fail("the inspector exited %d with font_scale 0.01 in its settings" % rc)
    with open(settings) as f:
        saved = json.load(f)
    if saved.get("font_scale") == 0.01 or saved.get("refresh_hz") == 1e9 or saved.get("fps_cap") == -3:
        fail("out-of-range settings were saved back: %s" % saved)

    # 2. FIFOs (a reader would wait for a writer forever) and links to /dev/zero (endless).
    for what, make in (("a FIFO", os.mkfifo), ("a link to /dev/zero",
                                               lambda path: os.symlink("/dev/zero", path))):
        for path in (settings, layout):
            if os.path.lexists(path):
                os.unlink(path)
            make(path)
        rc = run_briefly(args, env, [], what)
        if rc != 0:
            fail("the inspector exited %d with %s as its settings" % (rc, what))
        for path in (settings, layout):
            if not os.path.isfile(path) or os.path.islink(path):
                fail("%s was not replaced by a regular file (saved atomically)" % path)

    # 3. --version and a usage error.
    out = subprocess.run([args.inspector, "--version"], env=env, capture_output=True, timeout=30)
    if out.returncode != 0 or b"shmon-inspector" not in out.stdout:
        fail("--version: exit %d, %r" % (out.returncode, out.stdout))
    out = subprocess.run([args.inspector, "--no-such-flag"], env=env, capture_output=True,
                         timeout=30)
    if out.returncode != 2:
        fail("a usage error exited %d, not 2" % out.returncode)
    print("ok: out-of-range, FIFO and /dev/zero settings refused; saved atomically; exit codes")


def client_acquired(args, env, instance, kind):
    out = subprocess.run([args.ctl, "--instance", instance, "clients", "--json"], env=env,
                         capture_output=True, timeout=30)
    if out.returncode != 0:
        fail("shmonctl clients: %r" % out.stderr)
    return sum(c["mutex"]["acquired"] for c in json.loads(out.stdout) if c["kind"] == kind)


def scenario_mutex_rate(args):
    if not args.ctl:
        fail("mutex-rate needs --ctl")
    instance = "insp-mutex"
    env = fresh_agent(args, instance)
    lg = spawn([args.loadgen, "--instance", instance, "--name", "events", "--threads", "1",
                "--counter", "c", "--increments", "1000", "--events", "50", "--hold-open"],
               env, stdin=subprocess.PIPE)
    wait_line(lg, "status=ok", 30, "loadgen")
    insp = spawn(xvfb(args, [args.inspector, "--instance", instance, "--frames", "1000000"]), env)
    wait_line(insp, "inspector: connected", 60, "inspector")
    time.sleep(2)  # measurement warm-up, not synchronization: the window starts after it
    a0, t0 = client_acquired(args, env, instance, "inspector"), time.monotonic()
    time.sleep(args.seconds)  # the measurement window
    a1, t1 = client_acquired(args, env, instance, "inspector"), time.monotonic()
    print("mutex-rate: the inspector acquired the client mutex %d times in %.1f s: %.1f/s"
          % (a1 - a0, t1 - t0, (a1 - a0) / (t1 - t0)))


def scenario_heatmap(args):
    if not args.ctl:
        fail("heatmap needs --ctl")
    instance = "insp-heatmap"
    env = fresh_agent(args, instance)
    lg = spawn([args.loadgen, "--instance", instance, "--name", "timed", "--counter", "c",
                "--increments", "200000", "--histogram", "lat", "--hold-open"],
               env, stdin=subprocess.PIPE)
    wait_line(lg, "status=ok", 30, "loadgen")
    # The agent samples its windows once a second: wait (bounded) until "lat" is in one.
    doc = poll_ctl_json(args, env, instance, ["metrics", "lat", "--json"],
                        lambda d: d and d[0].get("window", {}).get("count", 0) > 0,
                        "lat never entered the agent's window")
    samples = doc[0]["window"]["count"]
    dump, shot = render_connected(args, env, instance, "heatmap", 120, ["--metric", "lat"])
    rows = rows_of(dump, "Telemetry")
    window = [r for r in rows if r[:2] == ["window", "lat"]]
    heat = [r for r in rows if r[:2] == ["heatmap", "lat"]]
    if not window or window[0][2] != "60" or int(window[0][3]) < samples:
        fail("window row for lat: %s (agent said %d samples)" % (window, samples))
    if not heat or int(heat[0][2]) < 1 or int(heat[0][3]) < 1:
        fail("heatmap row for lat: %s" % heat)
    check_png(shot)
    print("ok: window of %s samples, heatmap %s columns / %s cells; screenshot %s"
          % (window[0][3], heat[0][2], heat[0][3], shot))


def scenario_command(args):
    if not args.demo:
        fail("command needs --demo")
    instance = "insp-command"
    env = fresh_agent(args, instance)
    demo = spawn([args.demo, "--instance", instance, "--rate", "20"], env)
    payload = "hello from the inspector"
    dump, shot = render_connected(args, env, instance, "command", 400,
                                  ["--refresh-hz", "20", "--send-command", "demo:echo:" + payload])
    rows = rows_of(dump, "Client details")
    listed = [r[1] for r in rows if r and r[0] == "command"]
    for name in ("ping", "commands", "stop", "echo", "stats"):
        if name not in listed:
            fail("the Commands tab lacks %s: %s" % (name, listed))
    replies = [r for r in rows if r and r[0] == "reply"]
    if not any(r[2] == "echo" and r[3] == "ok" and r[5] == payload for r in replies):
        fail("no ok reply of echo with the payload: %s" % replies)
    if not any("agent" in r[4] for r in replies):
        fail("the reply rows show no timing: %s" % replies)
    if demo.poll() is not None:
        fail("the demo exited (%s)" % demo.returncode)
    check_png(shot)
    print("ok: %d commands listed, echo replied %r" % (len(listed), payload))


def scenario_labels(args):
    if not args.demo:
        fail("labels needs --demo")
    instance = "insp-labels"
    env = fresh_agent(args, instance)
    spawn([args.demo, "--instance", instance, "--rate", "200"], env)
    # Wait (bounded) until the demo has failed at least once on every route, so the 503 group
    # sums several series.
    poll_ctl_json(args, env, instance,
                  ["metrics", "responses", "--label", "code=503", "--json"],
                  lambda d: len(d) == 3 and all(m.get("total", 0) >= 1 for m in d),
                  "the demo's 503 series did not all count a failure")
    dump, shot = render_connected(args, env, instance, "labels", 120,
                                  ["--metric-filter", "responses code=503", "--group-by", "code"])
    rows = [r for r in rows_of(dump, "Telemetry") if r and r[0].startswith("responses")]
    if [r[0] for r in rows] != ['responses{code="503"}']:
        fail("Telemetry rows for responses, filtered by code=503 and grouped by code: %s" % rows)
    if float(rows[0][2].split()[0]) < 3:
        fail("the 503 group sums less than its three routes: %s" % rows)
    check_png(shot)
    print("ok: %s" % rows[0])


def clipped_of(dump, window):
    for w in dump["windows"]:
        if w["name"] == window:
            if "clipped" not in w:
                fail("the dump does not say what was clipped in %s" % window)
            return w["clipped"]
    fail("the dump has no window %r" % window)


def scenario_readable(args):
    if not args.demo or not args.ctl:
        fail("readable needs --demo and --ctl")
    instance = "insp-readable"
    env = fresh_agent(args, instance)
    for name, rate in (("checkout", "200"), ("search", "500"), ("billing", "40")):
        spawn([args.demo, "--instance", instance, "--name", name, "--rate", rate], env)
    lg = spawn([args.loadgen, "--instance", instance, "--name", "loadgen", "--threads", "4",
                "--counter", "loadgen.ops", "--increments", "20000", "--events", "400",
                "--payload", "24", "--histogram", "loadgen.batch_ns", "--gauge",
                "loadgen.ops_per_s", "--hold-open"], env, stdin=subprocess.PIPE)
    wait_line(lg, "status=ok", 30, "loadgen")
    apps = poll_ctl_json(args, env, instance, ["clients", "--json"],
                         lambda d: len([c for c in d if c["kind"] == "app"]) == 4,
                         "the demo apps and the loadgen did not all attach")
    poll_ctl_json(args, env, instance, ["metrics", "--json"],
                  lambda d: any(m["name"].startswith("loadgen.ops.event{") for m in d) and
                  any(m["name"].startswith("responses{") for m in d),
                  "the loadgen's and the demo's series did not appear")
    dump, shot = render_connected(args, env, instance, "readable", 200)
    check_png(shot)
    for window in ("Agent", "Clients", "Mutex", "Timeouts", "Telemetry"):
        cut = clipped_of(dump, window)
        if cut:
            fail("%s at 1280x800 cuts %s" % (window, cut))
    shown_pids = {r[1] for r in rows_of(dump, "Clients")}
    for c in apps:
        if c["kind"] == "app" and str(c["pid"]) not in shown_pids:
            fail("pid %d of %s is not shown whole: %s" % (c["pid"], c["name"], sorted(shown_pids)))
    kinds = ("counter", "gauge", "histogram", "event")
    series = [r[0] for r in rows_of(dump, "Telemetry") if len(r) == 4 and r[1] in kinds]
    if len(series) != len(set(series)):
        fail("Telemetry series names repeat: %s" % series)
    for want in ('loadgen.ops.event{level="info"}', "loadgen.ops", "loadgen.batch_ns"):
        if want not in series:
            fail("Telemetry lacks the series %s: %s" % (want, series))
    if not any(n.startswith('responses{code="200",route=') for n in series):
        fail("Telemetry shows no labelled responses series: %s" % series)

    # The window's size is remembered: a run at 1100x700, then one without --width/--height.
    sized, _ = render_connected(args, env, instance, "sized", 5, ["--width", "1100",
                                                                   "--height", "700"])
    _, again = render_connected(args, env, instance, "remembered", 5)
    if png_size(again) != (1100, 700):
        fail("the next run opened at %dx%d, not the remembered 1100x700" % png_size(again))
    print("ok: %d series, pids %s whole, nothing clipped; size remembered"
          % (len(series), sorted(shown_pids)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario",
                    choices=["render", "reconnect", "settings", "heatmap", "command", "labels",
                             "readable", "mutex-rate"])
    ap.add_argument("--agent", required=True)
    ap.add_argument("--loadgen", required=True)
    ap.add_argument("--inspector", required=True)
    ap.add_argument("--xvfb-run", default="xvfb-run")
    ap.add_argument("--out", default=".")
    ap.add_argument("--ctl", default="")
    ap.add_argument("--demo", default="")
    ap.add_argument("--seconds", type=float, default=10)
    args = ap.parse_args()
    try:
        {"render": scenario_render, "reconnect": scenario_reconnect, "settings": scenario_settings,
         "heatmap": scenario_heatmap, "command": scenario_command, "labels": scenario_labels,
         "readable": scenario_readable,
         "mutex-rate": scenario_mutex_rate}[args.scenario](args)
    finally:
        teardown()


if __name__ == "__main__":
    main()
