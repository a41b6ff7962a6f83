"""`export --chrome` names every thread track that holds events (a thread_name metadata record for
its exact pid and tid, a process_name for its pid), also when a thread id is reused: the workload
below has a thread of one process die and a process of its own get the same id (written to
/proc/sys/kernel/ns_last_pid before its fork; repeated when another fork on the machine took the
id first). Until 2026-12-06 the test relied on fakecuda_tid_reuse's second scenario happening to
get its first one's thread id, which another fork on a loaded machine took (CI: no id reused).
Trace::threads has one row per id, so the first life's process-tree instants
(thread start, thread exit) were on a Chrome track without a name (review S41 L8), while --perfetto
names it. The expected tracks are read from the events of the file itself; a named track's name
starts with the command name the process-tree records give that thread.
Skips (77) without root, kernel BTF or the record verb, or when no id was reused."""
import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import EXE, check, failures, skip  # noqa: E402
from _record_prereq import require_recorder, skip_if_recorder_refused  # noqa: E402

require_recorder()

SYNTHETIC_PIDS = 1000000000  # the export's CPU, GPU and loss processes lie above Linux's pid_max

# A process whose second thread exits, then a process of its own given that thread's id; exit 77
# when 20 attempts found the id taken by another fork first (or ns_last_pid cannot be written).
WORKLOAD = r"""
import os, sys, threading, time
def attempt():
    r, w = os.pipe()
    first = os.fork()
    if first == 0:
        t = threading.Thread(target=lambda: os.write(w, b"%16d" % threading.get_native_id()))
        t.start()
        t.join()
        time.sleep(0.05)
        os._exit(0)
    tid = int(os.read(r, 16))
    os.waitpid(first, 0)
    try:
        with open("/proc/sys/kernel/ns_last_pid", "w") as f:
            f.write(str(tid - 1))
    except OSError:
        sys.exit(77)
    second = os.fork()
    if second == 0:
        time.sleep(0.05)
        os._exit(0)
    os.waitpid(second, 0)
    return second == tid
sys.exit(0 if any(attempt() for _ in range(20)) else 77)
"""

with tempfile.TemporaryDirectory() as tmp:
    rec = os.path.join(tmp, "run.itrace")
    r = subprocess.run([EXE, "record", "-o", rec, "--cuda", "uprobe", "--events", "sched", "--",
                        sys.executable, "-c", WORKLOAD], capture_output=True, text=True, timeout=300)
    skip_if_recorder_refused(r)
    if "command exit status: 77" in r.stderr:
        skip("no process got its killed predecessor's id: " + r.stderr.strip()[-300:])
    check(r.returncode == 0 and "command exit status: 0" in r.stderr, f"record: {r.returncode} {r.stdout} {r.stderr}")
    out = os.path.join(tmp, "run.json")
    e = subprocess.run([EXE, "export", rec, "--chrome", out], capture_output=True, text=True, timeout=300)
    check(e.returncode == 0, f"export --chrome: {e.stderr}")
    if e.returncode == 0:
        with open(out) as f:
            events = json.load(f)["traceEvents"]
        thread_names = {(m["pid"], m["tid"]): m["args"]["name"] for m in events
                        if m.get("ph") == "M" and m.get("name") == "thread_name"}
        process_names = {m["pid"] for m in events if m.get("ph") == "M" and m.get("name") == "process_name"}
        tracks = {(x["pid"], x["tid"]) for x in events
                  if x.get("ph") in ("X", "i") and isinstance(x.get("pid"), int) and x["pid"] < SYNTHETIC_PIDS}
        comm = defaultdict(set)  # the command names the process-tree records give each track
        for x in events:
            if x.get("cat") == "process_tree" and "comm" in (x.get("args") or {}):
                comm[(x["pid"], x["tid"])].add(x["args"]["comm"])
        pids_of_tid = defaultdict(set)
        for pid, tid in tracks:
            pids_of_tid[tid].add(pid)
        reused = sorted(tid for tid, pids in pids_of_tid.items() if len(pids) > 1)
        check(reused, f"the workload reused a thread id under two processes: tracks {sorted(tracks)}")
        unnamed = sorted(tracks - set(thread_names))
        check(not unnamed, f"thread tracks with events and no thread_name record: {unnamed} (named: {thread_names})")
        check(not {p for p, _ in tracks} - process_names,
              f"processes with events and no process_name: {sorted({p for p, _ in tracks} - process_names)}")
        for track, names in comm.items():
            if track in thread_names:
                check(any(thread_names[track].startswith(c) for c in names),
                      f"track {track} named {thread_names[track]!r}, its process-tree records say {sorted(names)}")
        # One record per track: a reader takes the first, a second would only contradict it.
        pairs = [(m["pid"], m["tid"]) for m in events if m.get("ph") == "M" and m.get("name") == "thread_name"]
        check(len(pairs) == len(set(pairs)), f"a track named twice: {sorted(p for p in pairs if pairs.count(p) > 1)}")

if failures:
    print("\n".join(failures))
    sys.exit(1)
print("ok")
