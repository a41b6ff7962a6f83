"""`record --pid` against what its targets do (review RP):
- H1: a target that has exited but is not yet reaped by its parent (a zombie) is gone: the recording
  ends (kill(pid, 0), which a zombie answers, held it open for as long as the parent did not reap);
  so is a zombie named on the command line: refused before anything is opened;
- H2: the recording ends when every traced process is gone, the named one and what it started
  since: a child that outlives its parent is recorded to its end (it ended with the parent);
- M1: an error while record sets up its targets (here a CUPTI ring directory that does not exist)
  leaves an earlier recording at -o as it was (the output is opened only once the targets are set);
- L1: META traced.pid names every --pid process (one key; it was one key each, and a reader kept
  the last); L2: META duration_s of a --duration 0.5 recording is 0.5 s (it counted from after the
  start-up);
- M4: a target in a mount namespace of its own (a container) has its CUDA libraries probed through
  /proc/PID/root (the same path here named another file, or none);
- M5: in a PID namespace of its own (a container) record refuses to run: its ids are not the
  kernel's, and it traced kthreadd for "--pid 2";
- M3: a thread asleep (in open() of a FIFO) when record attaches is off the CPU from the attach in
  `sched --json` (it counted as on the CPU until its first switch-out);
- a sleeping target recorded for --duration 2 has a `sched` wall of the recording's window, ~2 s
  (META recorded_from_ns / recorded_to_ns; the span of its few events read 0).
Skips (77) when not root or without kernel BTF."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import EXE, check, failures, skip  # noqa: E402
from _record_prereq import require_recorder, skip_unless_recording  # noqa: E402

require_recorder()
RECORD = [EXE, "record", "--cuda", "uprobe", "--events", "sched,syscall"]


def wait_attached(rec, p, timeout=120):
    """record opens its output once its targets are traced: the file's first bytes say so."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and p.poll() is None:
        if os.path.exists(rec) and os.path.getsize(rec) > 0:
            return True
        time.sleep(0.01)
    return False


def record_released(target, rec, before_end=None, timeout=60, cmd=RECORD):
    """record --pid TARGET -o REC; once attached, the target gets its go line (then before_end(), if
    any). Returns (whether it attached, record's return code, its stderr); a record still running
    after `timeout` seconds is killed (said in the stderr returned)."""
    p = subprocess.Popen(cmd + ["-o", rec, "--pid", str(target.pid)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    attached = wait_attached(rec, p)
    target.stdin.write("go\n")
    target.stdin.flush()
    if before_end:
        before_end()
    try:
        _, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        _, err = p.communicate()
        err += f"\n(still recording {timeout} s after the attach: killed)"
    return attached, p.returncode, err


with tempfile.TemporaryDirectory() as tmp:
    # H1: the target (this test's child, never waited for until record has ended) exits 1 s after
    # record attached; record must end by itself while the target is still a zombie.
    target = subprocess.Popen([sys.executable, "-c", "import sys, time; sys.stdin.readline(); time.sleep(1)"],
                              stdin=subprocess.PIPE, text=True)
    attached, rc, err = record_released(target, os.path.join(tmp, "zombie.itrace"), timeout=30)
    skip_unless_recording(rc, err)
    check(attached, f"zombie: record never opened its output: {err[-300:]}")
    check(rc == 0, f"an exited but unreaped target did not end the recording: rc {rc}: {err[-400:]}")
    # The zombie named on the command line: no such process, refused before the output is opened.
    earlier = b"INFTRACE" + bytes(range(256)) * 4
    named = os.path.join(tmp, "named-zombie.itrace")
    with open(named, "wb") as f:
        f.write(earlier)
    z = subprocess.run(RECORD + ["-o", named, "--pid", str(target.pid)], capture_output=True, text=True, timeout=120)
    check(z.returncode == 1 and "no process with pid" in z.stderr, f"--pid of a zombie: rc {z.returncode}: {z.stderr}")
    with open(named, "rb") as f:
        check(f.read() == earlier, "--pid of a zombie changed the file at -o")
    target.stdin.close()
    target.wait()

    # H2: the parent forks a child and exits at once; the child lives 2 s more and stamps its end
    # (CLOCK_MONOTONIC, which time.monotonic() reads here too). The recording ends after it.
    stamp = os.path.join(tmp, "child-end")
    parent_code = ("import os, sys, time\nsys.stdin.readline()\nif os.fork() == 0:\n    time.sleep(2)\n"
                   f"    open({stamp!r}, 'w').write(repr(time.monotonic()))\n    os._exit(0)\nos._exit(0)\n")
    parent = subprocess.Popen([sys.executable, "-c", parent_code], stdin=subprocess.PIPE, text=True)
    attached, rc, err = record_released(parent, os.path.join(tmp, "tree.itrace"), before_end=parent.wait)
    ended = time.monotonic()
    check(attached and rc == 0, f"tree: rc {rc}: {err[-400:]}")
    deadline = time.monotonic() + 30
    while not os.path.exists(stamp) and time.monotonic() < deadline:
        time.sleep(0.05)
    child_end = float(open(stamp).read()) if os.path.exists(stamp) else None
    check(child_end is not None and ended >= child_end,
          f"the recording ended before the parent's child did (record returned at {ended:.3f}, the child ended at "
          f"{child_end}): {err[-300:]}")

    # L1: two --pid: META traced.pid names both (it was one key a process, and a reader kept the last).
    sleepers = [subprocess.Popen(["sleep", "30"]) for _ in range(2)]
    two = os.path.join(tmp, "two.itrace")
    r = subprocess.run(RECORD + ["-o", two, "--duration", "0.5"] + [a for s in sleepers for a in ("--pid", str(s.pid))],
                       capture_output=True, text=True, timeout=120)
    check(r.returncode == 0, f"two --pid: rc {r.returncode}: {r.stderr[-300:]}")
    db = os.path.join(tmp, "two.sqlite")
    e = subprocess.run([EXE, "export", "--sqlite", db, two], capture_output=True, text=True, timeout=120)
    if e.returncode == 0:
        import sqlite3
        row = sqlite3.connect(db).execute("SELECT value FROM meta WHERE key = 'traced.pid'").fetchone()
        want = ",".join(str(pid) for pid in sorted(s.pid for s in sleepers))
        check(row is not None and row[0] == want, f"META traced.pid {row}, want {want!r}")
        # L2: the time recorded counts from when events could start, as --duration does: 0.5 s exactly.
        row = sqlite3.connect(db).execute("SELECT value FROM meta WHERE key = 'duration_s'").fetchone()
        check(row is not None and abs(float(row[0]) - 0.5) < 1e-5, f"META duration_s {row}, want 0.5")
    else:
        check(False, f"two --pid: export: {e.stderr}")
    for s in sleepers:
        s.kill()
        s.wait()

    # M3: a thread blocked when record attaches (here in open() of a FIFO with no writer yet) is off
    # the CPU from the attach: it counted as on the CPU until its first switch-out (2% off-CPU for a
    # thread blocked 98% of the wall). The target says "ready" just before its open(); once /proc
    # says it sleeps, record attaches; 3 s after the attach this test opens the FIFO for writing,
    # and the target exits at once.
    fifo = os.path.join(tmp, "gate")
    os.mkfifo(fifo)
    blocked_code = (f"import os, sys\nprint('ready', flush=True)\nfd = os.open({fifo!r}, os.O_RDONLY)\n"
                    "os.read(fd, 1)\nos._exit(0)\n")
    target = subprocess.Popen([sys.executable, "-c", blocked_code], stdout=subprocess.PIPE, text=True)
    check(target.stdout.readline().strip() == "ready", "fifo: the target did not start")
    deadline = time.monotonic() + 30
    state = ""
    while state != "S" and time.monotonic() < deadline:
        with open(f"/proc/{target.pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        if state != "S":
            time.sleep(0.01)
    check(state == "S", f"fifo: the target never slept in its open() (state {state!r})")
    rec = os.path.join(tmp, "fifo.itrace")
    before_record = time.monotonic()
    p = subprocess.Popen([EXE, "record", "--cuda", "uprobe", "--events", "sched", "-o", rec, "--pid", str(target.pid)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    attached = wait_attached(rec, p)
    seen_attached = time.monotonic()  # after the TASK stamp: the file is opened once the targets are traced
    time.sleep(3)
    released = time.monotonic()  # the target sleeps in open() from before the stamp until after this
    with open(fifo, "w") as w:
        w.write("x")
    target.wait(timeout=60)
    try:
        _, err = p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        _, err = p.communicate()
    ended = time.monotonic()  # after every recorded event
    check(attached and p.returncode == 0, f"fifo: rc {p.returncode}: {err[-300:]}")
    r = subprocess.run([EXE, "sched", "--json", rec], capture_output=True, text=True, timeout=120)
    check(r.returncode == 0, f"fifo: sched --json: rc {r.returncode}: {r.stderr[-300:]}")
    if r.returncode == 0:
        j = json.loads(r.stdout)
        th = [t for t in j["threads"] if t["tid"] == target.pid]
        check(len(th) == 1, f"fifo: thread {target.pid} not in sched --json threads: {j['threads']}")
        if th:
            th = th[0]
            # From this test's clock (CLOCK_MONOTONIC, the recording's too): the thread slept over
            # [seen_attached, released], inside its interval [stamp, first switch-in]; the wall lies
            # inside [before_record, ended].
            blocked_at_least = int((released - seen_attached) * 1e9)
            wall_at_most = int((ended - before_record) * 1e9)
            check(th["attach_state"] == "S", f"fifo: attach_state {th['attach_state']!r}, want 'S'")
            check(th["offcpu_ns"] >= blocked_at_least,
                  f"fifo: off-CPU {th['offcpu_ns']} ns, want at least {blocked_at_least} (asleep from before the attach)")
            check(th["offcpu_at_attach_ns"] >= blocked_at_least,
                  f"fifo: off-CPU from the attach {th['offcpu_at_attach_ns']} ns, want at least {blocked_at_least}")
            # The wall runs from the stamp to the target's exit, a few ms after its release: all
            # but those ms asleep.
            share = th["offcpu_ns"] / j["wall_ns"] if j["wall_ns"] > 0 else 0.0
            check(blocked_at_least <= j["wall_ns"] <= wall_at_most,
                  f"fifo: wall {j['wall_ns']} ns, want within [{blocked_at_least}, {wall_at_most}] (timed here)")
            check(0.8 <= share <= 1.0, f"fifo: off-CPU share {share:.4f} of the wall, want >= 0.8 (timed here: asleep "
                  f">= {blocked_at_least} ns, {blocked_at_least / j['wall_ns'] if j['wall_ns'] else 0:.4f} of the wall)")
    # Review S39 L1: a thread asleep from before the attach to the end of a --duration recording (a
    # second thread ticking gives the wall its length) is off the CPU for the whole wall (it read 0).
    fifo2 = os.path.join(tmp, "gate2")
    os.mkfifo(fifo2)
    code = ("import os, threading, time\n"
            "def tick():\n    while True: time.sleep(0.01)\n"
            "threading.Thread(target=tick, daemon=True).start()\nprint('ready', flush=True)\n"
            f"os.read(os.open({fifo2!r}, os.O_RDONLY), 1)\nos._exit(0)\n")
    idle = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        check(idle.stdout.readline().strip() == "ready", "idle: the target did not start")
        time.sleep(0.3)  # in its open() by now (the ready line is printed just before)
        rec2 = os.path.join(tmp, "idle.itrace")
        r = subprocess.run([EXE, "record", "--events", "sched", "--duration", "2", "-o", rec2, "--pid", str(idle.pid)],
                           capture_output=True, text=True, timeout=120)
        s = subprocess.run([EXE, "sched", "--json", rec2], capture_output=True, text=True, timeout=120)
        check(r.returncode == 0 and s.returncode == 0, f"idle: record {r.stderr[-300:]} sched {s.stderr[-300:]}")
        if r.returncode == 0 and s.returncode == 0:
            j = json.loads(s.stdout)
            main = [t for t in j["threads"] if t["tid"] == idle.pid]
            check(len(main) == 1 and main[0]["attach_state"] == "S" and j["wall_ns"] > 1e9
                  and main[0]["offcpu_ns"] >= 0.95 * j["wall_ns"] and main[0]["offcpu_at_attach_ns"] == main[0]["offcpu_ns"],
                  f"idle: wall {j['wall_ns']}, main thread {main}")
    finally:
        with open(fifo2, "w") as w:
            w.write("x")
        idle.wait(timeout=60)

    # A sleeping target and nothing else: its only events are the attach stamps, whose span read a
    # wall of 0 (no rate, no share). The wall is the recording's window (META recorded_from_ns to
    # recorded_to_ns: --duration 2 from the attach), widened only by events outside it.
    sleeper = subprocess.Popen(["sleep", "600"])
    try:
        deadline = time.monotonic() + 30
        state = ""
        while state != "S" and time.monotonic() < deadline:
            with open(f"/proc/{sleeper.pid}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
            if state != "S":
                time.sleep(0.01)
        rec3 = os.path.join(tmp, "asleep.itrace")
        r = subprocess.run([EXE, "record", "--events", "sched", "--duration", "2", "-o", rec3, "--pid", str(sleeper.pid)],
                           capture_output=True, text=True, timeout=120)
        s = subprocess.run([EXE, "sched", "--json", rec3], capture_output=True, text=True, timeout=120)
        db3 = os.path.join(tmp, "asleep.sqlite")
        e = subprocess.run([EXE, "export", "--sqlite", db3, rec3], capture_output=True, text=True, timeout=120)
        check(r.returncode == 0 and s.returncode == 0 and e.returncode == 0,
              f"asleep: record {r.stderr[-300:]} sched {s.stderr[-300:]} export {e.stderr[-300:]}")
        if r.returncode == 0 and s.returncode == 0 and e.returncode == 0:
            import sqlite3
            j = json.loads(s.stdout)
            con = sqlite3.connect(db3)
            try:
                meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
            finally:
                con.close()
            # The stop came at the --duration deadline: the window is 2 s to the nanosecond.
            window = int(meta.get("recorded_to_ns", -1)) - int(meta.get("recorded_from_ns", 0))
            check(window == 2_000_000_000, f"asleep: META window {meta.get('recorded_from_ns')}.."
                  f"{meta.get('recorded_to_ns')} is {window} ns, want 2 s (--duration 2)")
            check(abs(float(meta.get("duration_s", -1)) - window / 1e9) < 1e-5,
                  f"asleep: META duration_s {meta.get('duration_s')} against the window's {window} ns")
            check(j.get("wall_source") == "recording_window" and 1.9e9 <= j["wall_ns"] <= 4e9
                  and j["t_begin_ns"] <= int(meta.get("recorded_from_ns", 0)) and j["t_end_ns"] >= int(meta.get("recorded_to_ns", 0)),
                  f"asleep: wall {j['wall_ns']} ns from {j.get('wall_source')} ({j['t_begin_ns']}..{j['t_end_ns']}), "
                  f"want the recording's window of ~2 s")
            th = [t for t in j["threads"] if t["tid"] == sleeper.pid]
            check(len(th) == 1 and th[0]["offcpu_ns"] >= 0.95 * j["wall_ns"],
                  f"asleep: the sleeper's off-CPU time against the wall {j['wall_ns']}: {th}")
    finally:
        sleeper.kill()
        sleeper.wait()

    # `ingest` counts the threads alive at the attach by state (the process tree's table), in its
    # text and in --json.
    r = subprocess.run([EXE, "ingest", rec], capture_output=True, text=True, timeout=120)
    states = [line for line in r.stdout.splitlines() if "alive at the attach" in line]
    check(r.returncode == 0 and len(states) == 1 and "1 (by state: S 1)" in states[0],
          f"fifo: ingest's attach states line: {states}")
    r = subprocess.run([EXE, "ingest", "--json", rec], capture_output=True, text=True, timeout=120)
    tasks = json.loads(r.stdout).get("tasks", {}) if r.returncode == 0 else {}
    check(tasks.get("existing") == 1 and tasks.get("existing_by_state") == {"S": 1},
          f"fifo: ingest --json tasks: {tasks}")

    # M1: an error while record sets up its targets (after loading its probes) leaves the file.
    kept = os.path.join(tmp, "kept.itrace")
    with open(kept, "wb") as f:
        f.write(earlier)
    env = dict(os.environ, INFERTRACE_CUPTI_RING_DIR=os.path.join(tmp, "no-such-dir"))
    r = subprocess.run([EXE, "record", "--cuda", "cupti", "--events", "launch,sched", "-o", kept, "--", "true"],
                       capture_output=True, text=True, timeout=120, env=env)
    if "INFERTRACE_CUPTI_RING_DIR" in r.stderr:
        check(r.returncode == 1, f"a missing ring directory: rc {r.returncode}: {r.stderr}")
        with open(kept, "rb") as f:
            check(f.read() == earlier, "an error while setting up the command changed the earlier recording at -o")
    else:
        print("M1 part skipped (no CUPTI mode in this build): " + r.stderr.strip()[:200])

    # M4: a target in a mount namespace of its own (a container) maps its CUDA runtime at a path that
    # is empty here (a bind mount only it sees): the library is probed through /proc/PID/root, and
    # every launch made after the attach is recorded (none were: that path named no file here).
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc and shutil.which("unshare"):
        src = os.path.join(os.environ["INFERTRACE_SOURCE_DIR"], "tests", "support", "fakecuda")
        built, inside = os.path.join(tmp, "ctr-lib"), os.path.join(tmp, "ctr-path")
        os.makedirs(built)
        os.makedirs(inside)
        prog = os.path.join(tmp, "ctr-launcher")
        with open(prog + ".c", "w") as f:
            f.write('#include <stdio.h>\n#include "fake_cuda.h"\nint main(void) {\n  char line[8];\n'
                    '  if (!fgets(line, sizeof line, stdin)) return 2;\n  dim3 g = {1, 1, 1}, b = {32, 1, 1};\n'
                    '  for (int i = 0; i < 50; ++i) cudaLaunchKernel((const void*)main, g, b, 0, 0, (cudaStream_t)0);\n'
                    '  return 0;\n}\n')
        common = ["-O1", "-Wall", "-fPIC", "-I", src]
        steps = [[cc, *common, "-shared", "-Wl,-soname,libcuda.so.1", "-o", os.path.join(built, "libcuda.so.1"),
                  os.path.join(src, "fake_driver.c")],
                 [cc, *common, "-shared", "-Wl,-soname,libcudart.so.12", "-o", os.path.join(built, "libcudart.so.12"),
                  os.path.join(src, "fake_runtime.c"), os.path.join(built, "libcuda.so.1"), f"-Wl,-rpath,{inside}"],
                 [cc, "-O1", "-Wall", "-I", src, "-o", prog, prog + ".c", os.path.join(built, "libcudart.so.12"),
                  f"-Wl,-rpath,{inside}", f"-Wl,-rpath-link,{built}"]]
        built_ok = [subprocess.run(step, capture_output=True, text=True) for step in steps]
        ok = all(b.returncode == 0 for b in built_ok)
        check(ok, "could not build the container launcher: " + " ".join(b.stderr for b in built_ok)[-400:])
        target = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                                   f"mount --bind {built} {inside} && exec {prog}"],
                                  stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # Its runtime mapped (it has started and waits for its line): then record attaches.
        deadline = time.monotonic() + 60
        mapped = False
        while ok and not mapped and time.monotonic() < deadline and target.poll() is None:
            try:
                with open(f"/proc/{target.pid}/maps") as f:
                    mapped = "libcudart.so.12" in f.read()
            except OSError:
                pass
            time.sleep(0.01)
        if not mapped:
            target.kill()
            print("M4 part skipped (the namespace could not be set up): " + (target.communicate()[1] or "")[-200:])
        else:
            rec = os.path.join(tmp, "ctr.itrace")
            attached, rc, err = record_released(target, rec, before_end=lambda: target.wait(timeout=60), timeout=120,
                                                cmd=[EXE, "record", "--cuda", "uprobe", "--events", "launch"])
            check(attached and rc == 0, f"container target: rc {rc}: {err[-300:]}")
            csv_dir = os.path.join(tmp, "ctr.csv")
            e = subprocess.run([EXE, "export", "--csv", csv_dir, rec], capture_output=True, text=True, timeout=120)
            if e.returncode == 0:
                import csv
                with open(os.path.join(csv_dir, "launches.csv")) as f:
                    apis = [row["api"] for row in csv.DictReader(f)]
                check(apis.count("cudaLaunchKernel") == 50,
                      f"container target: {apis.count('cudaLaunchKernel')} of 50 launches recorded; record said: {err[-400:]}")
            else:
                check(False, f"container target: export: {e.stderr}")

    # M5: in a PID namespace of its own.
    if shutil.which("unshare"):
        ns = os.path.join(tmp, "ns.itrace")
        r = subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", EXE, "record", "-o", ns, "--", "true"],
                           capture_output=True, text=True, timeout=120)
        if r.returncode != 0 and "unshare:" in r.stderr:
            print("M5 part skipped (unshare refused here): " + r.stderr.strip()[:200])
        else:
            check(r.returncode == 1 and "PID namespace of its own" in r.stderr,
                  f"record in a PID namespace: rc {r.returncode}: {r.stderr}")
            check(not os.path.exists(ns), "record in a PID namespace wrote a recording")

if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("ok")
