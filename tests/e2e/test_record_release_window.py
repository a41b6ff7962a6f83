"""`record -- CMD`: nothing the command did while it waited for its release is recorded (review SG
L3b / S44 L5; docs/record.md "-- CMD", record.bpf.c command_released_ns). The command is in the
traced set from before its release (its exec must be seen) and waits, blocked in a read, while the
recorder opens its output; META recorded_from_ns is the release. Its switches and wake-ups of that
wait were recorded, stamped before the window, and `sched` widened its wall, the command's
off-CPU time and its switch counts by the wait.

The wait is made long and eventful here: the output is a FIFO, whose open waits for its reader
(this test), and while the recorder waits there (its wchan is the kernel's FIFO wait) the waiting
command is stopped (SIGSTOP) and continued (SIGCONT): a wake-up, switches in and out, and a block
again, all before the release. Expected values come from the file's own META (read by the test from
the bytes, _record_prereq.file_meta) and its CSV rows, not from the analysis under test:
  - no switch, wake-up or IRQ of the command stamped before recorded_from_ns;
  - the release's own wake-up (the recorder, writing the release byte, wakes the command) is there;
  - sched's wall starts at recorded_from_ns exactly and ends at most 5 s after recorded_to_ns (the
    command's final switch-out can follow its exit's stamp; 5 s for a loaded machine);
  - sched's switch-outs of the command equal its switch-outs in the window, and its off-CPU time is
    at most the sum of the command's in-window off-CPU intervals (each from a switch-out at or after
    recorded_from_ns to the next switch-in).
Skips (77) when not root or without kernel BTF."""
import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import EXE, check, failures, skip  # noqa: E402
from _record_prereq import (export_csv, file_meta, proc_children, proc_text, require_recorder,  # noqa: E402
                            skip_unless_recording, waits_in_fifo_open)

require_recorder()


def state(pid):
    """/proc's state letter of pid ("" when gone)."""
    s = proc_text(f"/proc/{pid}/stat")
    return s.rsplit(")", 1)[1].split()[0] if ")" in s else ""


def wait_until(cond, what, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.02)
    check(False, f"{what}: not within {timeout} s")
    return False


def rows(d, name):
    with open(os.path.join(d, name), newline="") as f:
        return list(csv.DictReader(f))


with tempfile.TemporaryDirectory(prefix="it-release-window-") as tmp:
    fifo, rec = os.path.join(tmp, "out.fifo"), os.path.join(tmp, "run.itrace")
    os.mkfifo(fifo)
    p = subprocess.Popen([EXE, "record", "--cuda", "uprobe", "--events", "sched,wakeup,irq", "-o", fifo, "--",
                          "sleep", "0.5"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                         start_new_session=True)
    command, got = None, []
    reader = None
    try:
        opened = wait_until(lambda: waits_in_fifo_open(p.pid) or p.poll() is not None, "record waiting to open its FIFO")
        if p.poll() is not None:
            err = p.communicate()[1]
            skip_unless_recording(p.returncode, err)
            check(False, f"record ended before opening its output: rc {p.returncode}: {err[-500:]}")
            sys.exit(1)
        kids = proc_children(p.pid)
        command = kids[0] if kids else None
        check(opened and command is not None, f"record waits in its FIFO open with no command forked: {kids}")
        if command is None:
            sys.exit(1)
        # The command, traced (the recorder put it in the traced set before opening the output),
        # waits for its release byte in a read. Stopped and continued there, it wakes, runs, stops,
        # wakes and blocks in the read again: all before its release.
        wait_until(lambda: state(command) == "S", "the command blocked in its wait for the release")
        os.kill(command, signal.SIGSTOP)
        stopped = wait_until(lambda: state(command) == "T", "the waiting command stopped")
        os.kill(command, signal.SIGCONT)
        wait_until(lambda: state(command) == "S", "the continued command blocked again")
        time.sleep(0.3)  # a wait of the command's own before its release, that the wall must not hold
        reader = threading.Thread(target=lambda: got.append(open(fifo, "rb").read()), daemon=True)
        reader.start()
        _, err = p.communicate(timeout=300)
        reader.join(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        if reader is None or reader.is_alive():
            try:  # a reader still waiting for a writer that never came: give it one, it reads EOF
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:
                pass
    skip_unless_recording(p.returncode, err)
    check(p.returncode == 0 and "command exit status: 0" in err, f"record: rc {p.returncode}: {err[-500:]}")
    check(stopped, "the test could not stop the waiting command: no pre-release events to leave out")
    check(bool(got) and len(got[0]) > 100, f"the FIFO's reader got {len(got[0]) if got else -1} bytes")
    with open(rec, "wb") as f:
        f.write(got[0] if got else b"")
    m = file_meta(rec)
    frm, to = int(m.get("recorded_from_ns", "0")), int(m.get("recorded_to_ns", "0"))
    check(0 < frm <= to, f"recording window {frm}..{to}")
    d = export_csv(rec, tmp)
    if d is None:
        sys.exit(1)
    sw, wk, irq = rows(d, "switches.csv"), rows(d, "wakeups.csv"), rows(d, "irqs.csv")
    outs = sorted(int(r["ts_ns"]) for r in sw if int(r["prev_tid"]) == command)
    ins = sorted(int(r["ts_ns"]) for r in sw if int(r["next_tid"]) == command)
    wakes = [r for r in wk if int(r["tid"]) == command]
    early = ([("switch-out", t) for t in outs if t < frm] + [("switch-in", t) for t in ins if t < frm] +
             [("wake-up", int(r["ts_ns"])) for r in wakes if int(r["ts_ns"]) < frm] +
             [("irq", int(r["ts_ns"])) for r in irq if r["tid"] and int(r["tid"]) == command and int(r["ts_ns"]) < frm])
    check(not early, f"{len(early)} events of the command before its release (recorded_from_ns {frm}): "
          f"{[(k, t - frm) for k, t in early[:8]]} (ns from the release)")
    # Not over-filtered: the release's wake-up (the recorder's write of the byte) and the command's
    # run after it are recorded.
    check(any(int(r["waker_pid"]) == p.pid and int(r["ts_ns"]) >= frm for r in wakes),
          f"no wake-up of the command by the recorder at its release: {[(r['ts_ns'], r['waker_pid']) for r in wakes][:8]}")
    check(any(t >= frm for t in ins) and any(t >= frm for t in outs),
          f"the command's switches after its release: {len(ins)} in, {len(outs)} out")

    s = subprocess.run([EXE, "sched", "--json", rec], capture_output=True, text=True, timeout=300)
    try:
        j = json.loads(s.stdout)
    except ValueError:
        j = {}
        check(False, f"sched --json: rc {s.returncode}: {s.stderr[-500:]}")
    check(j.get("wall_source") == "recording_window", f"wall source {j.get('wall_source')!r}")
    check(j.get("t_begin_ns") == frm, f"sched's wall starts {j.get('t_begin_ns', 0) - frm} ns from recorded_from_ns")
    check(to <= j.get("t_end_ns", 0) <= to + 5_000_000_000, f"sched's wall ends {j.get('t_end_ns', 0) - to} ns after recorded_to_ns")
    th = [t for t in j.get("threads", []) if t.get("tid") == command]
    check(len(th) == 1, f"sched: {len(th)} rows of the command's thread {command}")
    if th:
        in_window_outs = sum(1 for t in outs if t >= frm)
        check(th[0]["switch_outs"] == in_window_outs,
              f"sched: {th[0]['switch_outs']} switch-outs of the command, {in_window_outs} in the window")
        # Each in-window switch-out to the next switch-in after it.
        offcpu = 0
        for o in (t for t in outs if t >= frm):
            nxt = [i for i in ins if i >= o]
            if nxt:
                offcpu += nxt[0] - o
        check(th[0]["offcpu_ns"] <= offcpu,
              f"sched: the command off the CPU {th[0]['offcpu_ns']} ns, its in-window intervals {offcpu} ns")

if failures:
    sys.exit(1)
print("ok")
