"""A thread id that an untraced process's thread had before a traced thread got it, with no final
switch-out of the first in the recording (review S43: an outsider's death is written only when a
traced thread is switched in at it): `sched` tells the two apart by the process id of the switch
rows and counts only the traced thread. The recording is written here byte by byte from
docs/recording-format.md (no eBPF needed: the kernel hands out a dead thread's id when it wants,
which a test cannot arrange in time).

Process 100's main thread 101 (TASK kind 0 at the attach) launches six times; thread 600 of
untraced process 700 preempts it at +100 and +200 and is preempted back at +150 and +260, then its
records stop. Process 100 makes thread 600 "worker" at +400 (TASK new): on the CPU at +420, blocks
+450 -> +500, exits at +600 (prev_state TASK_DEAD). Expected, by hand: switch-outs of traced
threads main's 2 preemptions and 600's block and final switch-out = 4 (2 preempted); thread 600:
2 switch-outs, none preempted, 50 ns off the CPU (not also the outsider's two preemptions and
[+260, +420], 160 ns more); main 50 + 60 ns off the CPU; one id reused."""
import os
import struct
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from _harness import as_json, check, failures, run  # noqa: E402

META, API, SWITCH, TASK, END = 1, 2, 3, 7, 9
T0 = 1_000_000
MAIN, WORKER, OUTSIDER, OTHER = (100, 101), (100, 600), (700, 600), (999, 999)


def rec(rtype, payload):
    return struct.pack("<II", rtype, len(payload)) + payload


def meta(key, value):
    k, v = key.encode(), value.encode()
    return rec(META, struct.pack("<I", len(k)) + k + v)


def hdr(rtype, ts, who, cpu=0):
    # 24-byte event header: type, cpu, ts, pid (the process), tid
    return struct.pack("<IIQII", rtype, cpu, T0 + ts, who[0], who[1])


def name(s):
    return s.encode().ljust(16, b"\0")


def task(ts, who, kind, parent, comm):
    return rec(TASK, hdr(TASK, ts, who) + struct.pack("<II", kind, parent) + name(comm))


def launch(ts):
    # api index 0, flags 1 (has duration), dur 5 ns, stream, grid, block
    return rec(API, hdr(API, ts, MAIN) + struct.pack("<IIQQ6I", 0, 1, 5, 0, 1, 1, 1, 1, 1, 1))


def switch(ts, prev, prev_state, nxt, comms):
    preempt = 1 if prev_state == 0 else 0
    return rec(SWITCH, hdr(SWITCH, ts, prev) + struct.pack("<IIQII", nxt[0], nxt[1], prev_state, preempt, 0)
               + name(comms[0]) + name(comms[1]))


body = b"INFTRACE" + struct.pack("<II", 2, 16)
body += meta("events", "launch,sched") + meta("api.0", "cudaLaunchKernel")
body += task(10, MAIN, 0, 0, "main")
for i in range(1, 7):
    body += launch(100 * i + 10)
body += switch(100, MAIN, 0, OUTSIDER, ("main", "busy"))
body += switch(150, OUTSIDER, 0, MAIN, ("busy", "main"))
body += switch(200, MAIN, 0, OUTSIDER, ("main", "busy"))
body += switch(260, OUTSIDER, 0, MAIN, ("busy", "main"))
body += task(400, WORKER, 1, 101, "worker")
body += switch(420, OTHER, 0, WORKER, ("other", "worker"))
body += switch(450, WORKER, 1, OTHER, ("worker", "other"))
body += switch(500, OTHER, 0, WORKER, ("other", "worker"))
body += switch(600, WORKER, 0x80, OTHER, ("worker", "other"))
body += rec(END, b"")

with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "reuse.itrace")
    with open(path, "wb") as f:
        f.write(body)
    r = run("sched", "--json", path)
    check(r.returncode == 0, f"sched --json: exit {r.returncode}: {r.stderr}")
    doc = as_json(r, "sched --json")
    check(doc.get("switch_outs") == 4 and doc.get("preemptions") == 2,
          f"switch_outs/preemptions: {doc.get('switch_outs')}/{doc.get('preemptions')}, expected 4/2")
    check(doc.get("thread_ids_reused") == 1, f"thread_ids_reused: {doc.get('thread_ids_reused')}, expected 1")
    rows = {th.get("tid"): th for th in doc.get("threads", [])}
    w = rows.get(600, {})
    check((w.get("pid"), w.get("switch_outs"), w.get("preemptions"), w.get("offcpu_ns")) == (100, 2, 0, 50),
          f"thread 600 (pid, switch_outs, preemptions, offcpu_ns): {(w.get('pid'), w.get('switch_outs'), w.get('preemptions'), w.get('offcpu_ns'))}, expected (100, 2, 0, 50)")
    check(w.get("comm") == "worker", f"thread 600 named {w.get('comm')!r}, expected 'worker'")
    m = rows.get(101, {})
    check(m.get("offcpu_ns") == 50 + 60, f"main thread offcpu_ns: {m.get('offcpu_ns')}, expected 110")
    t = run("sched", path)
    check(t.returncode == 0, f"sched: exit {t.returncode}: {t.stderr}")
    row = [ln for ln in t.stdout.splitlines() if ln.lstrip().startswith("thread ids reused")]
    check(len(row) == 1 and row[0].split("reused", 1)[1].split()[0] == "1", f"sched: thread ids reused row: {row}")

if failures:
    sys.exit(1)
print("ok")
