"""The end of a `record -- CMD` recording when the command ends by itself (review SG; docs/record.md):
- L3: the recording window ends at the command's exit (its SIGCHLD stamp, as META command.wall_ns),
  not when the recorder's loop noticed it: recorded_to_ns - recorded_from_ns equals command.wall_ns,
  and duration_s says the same (before, the window ran to the loop's notice, always later and up to a
  poll's 100 ms: a 0.73 ms /bin/true recorded as 0.104 s);
- L5: processes of the command's tree it left running (a launcher that backgrounds the real job) are
  named in the summary ("N processes of the command's tree still running (pids ...)") and in META
  command.left_running / command.left_running_pids (which every verb's load notes, here sched's);
  0 when it left none. The recording still ends with the command.
The pids expected are those the command itself printed ($! of its background jobs); META is read
from the file by a parser of the documented format (docs/recording-format.md). Skips (77) when not
root or without kernel BTF."""
import os
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import EXE, check, failures, skip  # noqa: E402
from _record_prereq import file_meta, process_alive, require_recorder  # noqa: E402

require_recorder()
BASE = [EXE, "record", "--cuda", "uprobe", "--events", "sched,syscall"]


def record(tmp, name, cmd):
    out = os.path.join(tmp, name + ".itrace")
    r = subprocess.run(BASE + ["-o", out, "--"] + cmd, capture_output=True, text=True, timeout=300,
                       start_new_session=True)
    if r.returncode != 0 and ("CAP_BPF" in r.stderr or "BTF" in r.stderr or "tracefs" in r.stderr):
        skip("recorder cannot run here: " + r.stderr.strip()[:200])
    return r, (file_meta(out) if os.path.exists(out) else {})


left = []
try:
    with tempfile.TemporaryDirectory(prefix="it-command-end-") as tmp:
        # L3: the window is the command's run, in every run (not only when the loop slept late).
        for i in range(6):
            r, m = record(tmp, f"true{i}", ["/bin/true"])
            check(r.returncode == 0, f"true{i}: rc {r.returncode}: {r.stderr[-400:]}")
            try:
                window = int(m["recorded_to_ns"]) - int(m["recorded_from_ns"])
                wall = int(m["command.wall_ns"])
                check(window == wall, f"true{i}: window {window} ns is not the command's run, command.wall_ns {wall}")
                check(abs(float(m["duration_s"]) - wall / 1e9) < 2e-6,
                      f"true{i}: duration_s {m['duration_s']} is not command.wall_ns {wall} ns")
                check(m.get("command.left_running") == "0" and "command.left_running_pids" not in m,
                      f"true{i}: left running: {m.get('command.left_running')!r} {m.get('command.left_running_pids')!r}")
            except (KeyError, ValueError) as e:
                check(False, f"true{i}: META without the window or command.wall_ns ({e}): {sorted(m)}")
            check("still running" not in r.stderr, f"true{i}: said something of a tree left running: {r.stderr[-400:]}")

        # L5: one background job left running, the command's own status passed on.
        bg = "sleep 60 </dev/null >/dev/null 2>&1 & echo $!"
        r, m = record(tmp, "one", ["sh", "-c", f"{bg}; exit 3"])
        pids = [int(x) for x in r.stdout.split()]
        left += pids
        check(len(pids) == 1 and process_alive(pids[0]), f"one: the background sleep is not running: {r.stdout!r}")
        check(r.returncode == 3, f"one: rc {r.returncode}, want the command's 3: {r.stderr[-400:]}")
        want = (f"1 process of the command's tree still running (pid {pids[0]}): not recorded after the command's "
                f"exit; record --pid {pids[0]} to follow it")
        check(want in r.stderr, f"one: the summary does not say {want!r}: {r.stderr[-800:]}")
        check(m.get("command.left_running") == "1" and m.get("command.left_running_pids") == str(pids[0]),
              f"one: META {m.get('command.left_running')!r} {m.get('command.left_running_pids')!r}, want 1 {pids[0]}")
        check("no CUDA launch was recorded" not in r.stderr, f"one: the libraries advice instead: {r.stderr[-800:]}")
        # Every verb that loads it says so too (here sched).
        sc = subprocess.run([EXE, "sched", os.path.join(tmp, "one.itrace")], capture_output=True, text=True, timeout=300)
        check(f"the command exited leaving 1 process of its tree running (pid {pids[0]if pids else '?'})" in sc.stderr,
              f"one: sched does not note the process left running: rc {sc.returncode}: {sc.stderr[-600:]}")

        # Two, named in order.
        r, m = record(tmp, "two", ["sh", "-c", f"{bg}; {bg}; exit 0"])
        pids = sorted(int(x) for x in r.stdout.split())
        left += pids
        check(len(pids) == 2 and all(process_alive(p) for p in pids), f"two: the background sleeps are not running: {r.stdout!r}")
        check(r.returncode == 0, f"two: rc {r.returncode}: {r.stderr[-400:]}")
        want = f"2 processes of the command's tree still running (pids {pids[0]}, {pids[1]})" if len(pids) == 2 else "?"
        check(want in r.stderr and f"record --pid {pids[0]} to follow one" in r.stderr,
              f"two: the summary does not say {want!r}: {r.stderr[-800:]}")
        check(m.get("command.left_running") == "2" and m.get("command.left_running_pids") == ",".join(map(str, pids)),
              f"two: META {m.get('command.left_running')!r} {m.get('command.left_running_pids')!r}, want 2 {pids}")

        # A child that ended before the command: nothing left running.
        r, m = record(tmp, "none", ["sh", "-c", "sleep 0.2; exit 0"])
        check(r.returncode == 0 and m.get("command.left_running") == "0" and "still running" not in r.stderr,
              f"none: rc {r.returncode}, META {m.get('command.left_running')!r}: {r.stderr[-400:]}")
finally:
    for p in left:
        try:
            os.kill(p, signal.SIGKILL)
        except OSError:
            pass

if failures:
    sys.exit(1)
print("ok")
