"""A recorder killed (SIGKILL) before its end leaves a file with its recording window (review SG L6;
docs/record.md "The recorder killed", docs/recording-format.md): META recorded_from_ns is written at
the command's release and recorded_to_ns moved on as the recording goes, so `sched` takes its wall
from that window (wall_source recording_window) instead of the span of the few events a sleeping
command made (before: a 6 s sleep killed at 2 s read a wall of 3.5 ms, wall_source event_span).

Expected values come from this test's own clock: Python's time.monotonic_ns() is CLOCK_MONOTONIC,
the clock of the events' stamps; the recorder is killed once that clock is 6 s past the file's
recorded_from_ns, so the wall must lie between 1 s (6 s less a 5 s allowance for a loaded machine)
and the time from recorded_from_ns to the kill (plus 5 s: the recorder drains until it dies, a
little after the test's clock read, and sched widens the window to hold events stamped after its
recorded_to_ns). Skips (77) when not root or without kernel BTF."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import EXE, check, failures, skip  # noqa: E402
from _record_prereq import file_meta, require_recorder  # noqa: E402

require_recorder()


with tempfile.TemporaryDirectory(prefix="it-killed-window-") as tmp:
    out = os.path.join(tmp, "killed.itrace")
    p = subprocess.Popen([EXE, "record", "--cuda", "uprobe", "--events", "sched,syscall", "-o", out, "--",
                          "sleep", "60"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                         start_new_session=True)
    command = None
    try:
        start, deadline = None, time.monotonic() + 120
        while start is None and time.monotonic() < deadline and p.poll() is None:
            start = file_meta(out).get("recorded_from_ns")
            if start is None:
                time.sleep(0.05)
        if start is None:
            p.kill()
            err = p.communicate()[1]
            if "CAP_BPF" in err or "BTF" in err or "tracefs" in err:
                skip("recorder cannot run here: " + err.strip()[:200])
            check(False, f"no recorded_from_ns in the file during the recording: rc {p.returncode}: {err[-500:]}")
            sys.exit(1)
        start = int(start)
        with open(f"/proc/{p.pid}/task/{p.pid}/children") as f:
            kids = f.read().split()
        command = int(kids[0]) if kids else None
        while time.monotonic_ns() < start + 6_000_000_000:
            time.sleep(0.05)
        killed_at = time.monotonic_ns()
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
        if command:
            try:
                os.kill(command, signal.SIGKILL)  # the sleep runs on after its recorder's kill
            except OSError:
                pass
    m = file_meta(out)
    check("duration_s" not in m, "the killed recording has its end META: not killed before its end?")
    check(int(m.get("recorded_from_ns", "0")) == start, f"recorded_from_ns changed: {m.get('recorded_from_ns')} vs {start}")
    s = subprocess.run([EXE, "sched", "--json", out], capture_output=True, text=True, timeout=300)
    try:
        j = json.loads(s.stdout)
    except ValueError:
        j = {}
        check(False, f"sched --json: rc {s.returncode}: {s.stderr[-500:]}")
    wall, most = j.get("wall_ns", 0), killed_at - start
    check(j.get("wall_source") == "recording_window", f"wall source {j.get('wall_source')!r}, want recording_window")
    # (Nothing before recorded_from_ns widens it since 2026-12-06: test_record_release_window.py.)
    check(1_000_000_000 <= wall <= most + 5_000_000_000,
          f"wall {wall} ns of a recording killed {most} ns after its start: want 1 s to {most} ns + 5 s")

if failures:
    sys.exit(1)
print("ok")
