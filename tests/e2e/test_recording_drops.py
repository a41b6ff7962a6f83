"""A recording whose recorder lost events (META dropped.<type>, docs/recording-format.md) is never
analysed silently: every verb that loads it says on stderr how many of which type were lost, and
`analyze --json` carries them under sched.dropped, CUPTI's ring and activity drops included (as
cupti_ring, cupti_activity), each cause with its own remedy; so are the GPU records the CUPTI merge
left out as unusable (cupti_gpu_without_clock, cupti_gpu_without_timestamps), each with what it
means. A recording without drops gets no note.

The files are written here byte by byte from docs/recording-format.md (no eBPF needed: a real
recorder drops only when its consumer falls behind, which a test cannot arrange reliably)."""
import json
import os
import struct
import subprocess
import sys
import tempfile

exe = os.path.abspath(os.environ["INFERTRACE"])
failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)


def rec(rtype, payload):
    return struct.pack("<II", rtype, len(payload)) + payload


def meta(key, value):
    k, v = key.encode(), value.encode()
    return rec(1, struct.pack("<I", len(k)) + k + v)


def syscall(ts, tid, nr, dur, ret):
    # 24-byte event header (type, cpu, ts, pid, tid), then u64 dur, i64 ret, u32 nr, u32 fd_plus1.
    return rec(6, struct.pack("<IIQII", 6, 0, ts, 100, tid) + struct.pack("<QqII", dur, ret, nr, 0))


def write(path, dropped, cupti=None):
    body = b"INFTRACE" + struct.pack("<II", 2, 16)
    body += meta("events", "sched,wakeup,irq,syscall")
    for i in range(10):
        body += syscall(1_000_000 + 1000 * i, 100, 110, 300, 100)
    for t in ("api", "switch", "wakeup", "irq", "syscall", "task", "fdname"):
        body += meta("dropped." + t, str(dropped.get(t, 0)))
    for k, v in (cupti or {}).items():
        body += meta("cupti." + k, str(v))
    body += rec(9, b"")
    with open(path, "wb") as f:
        f.write(body)


with tempfile.TemporaryDirectory() as tmp:
    lossy, clean = os.path.join(tmp, "lossy.itrace"), os.path.join(tmp, "clean.itrace")
    write(lossy, {"syscall": 416, "switch": 3})
    write(clean, {})
    cupti = os.path.join(tmp, "cupti.itrace")
    write(cupti, {}, {"ring_dropped_records": 5, "ring_dropped_bytes": 320, "activity_dropped": 2})
    unusable = os.path.join(tmp, "unusable.itrace")
    write(unusable, {}, {"ring_dropped_records": 0, "activity_dropped": 0, "gpu_without_clock": 4,
                         "gpu_without_timestamps": 9, "gpu_records": 50})
    only_ts = os.path.join(tmp, "only_ts.itrace")
    write(only_ts, {}, {"gpu_without_clock": 0, "gpu_without_timestamps": 1})

    p = subprocess.run([exe, "analyze", "--json", lossy], capture_output=True, text=True, timeout=120)
    check(p.returncode == 0, f"analyze --json lossy: rc={p.returncode} {p.stderr}")
    check(("lost 419 events (switch 3, syscall 416)" in p.stderr and "Counts and profiles of those event types are lower bounds" in p.stderr
           and "may be off in either direction" in p.stderr),
          f"analyze: no note of the drops: {p.stderr!r}")
    if p.returncode == 0:
        doc = json.loads(p.stdout)
        d = doc.get("sched", {}).get("dropped")
        check(d is not None and d.get("syscall") == 416 and d.get("switch") == 3 and d.get("irq") == 0,
              f"sched.dropped: {d}")
        check(doc["sched"]["syscall_totals"]["count"] == 10, f"syscall rows: {doc['sched']['syscall_totals']}")
    for verb in (["sched"], ["export", "--csv", os.path.join(tmp, "csv")]):
        p = subprocess.run([exe] + verb + [lossy], capture_output=True, text=True, timeout=120)
        check(p.returncode == 0 and "lost 419 events" in p.stderr, f"{verb[0]}: rc={p.returncode} {p.stderr!r}")

    # CUPTI's losses: in the note with a remedy per cause (only the ring is sized by --expected-rate)
    # and in sched.dropped.
    p = subprocess.run([exe, "analyze", "--json", cupti], capture_output=True, text=True, timeout=120)
    check(p.returncode == 0, f"analyze --json cupti: rc={p.returncode} {p.stderr}")
    check("lost 7 events (CUPTI ring records 5, CUPTI activity records 2)" in p.stderr,
          f"analyze: no note of the CUPTI drops: {p.stderr!r}")
    check("CUPTI ring records: a ring buffer was full; record again with a larger --expected-rate" in p.stderr and
          "CUPTI activity records: CUPTI dropped them itself" in p.stderr and p.stderr.count("--expected-rate") == 2,
          f"analyze: remedies not per cause: {p.stderr!r}")
    if p.returncode == 0:
        d = json.loads(p.stdout)["sched"]["dropped"]
        check(d.get("cupti_ring") == 5 and d.get("cupti_activity") == 2 and d.get("syscall") == 0, f"cupti sched.dropped: {d}")
    # The lossy file's note: its ring-buffer types get the --expected-rate remedy, and nothing of CUPTI.
    p = subprocess.run([exe, "sched", lossy], capture_output=True, text=True, timeout=120)
    check("switch, syscall: a ring buffer was full" in p.stderr and "CUPTI" not in p.stderr, f"sched note: {p.stderr!r}")

    # GPU records the merge left out: counted as lost (4 + 9), each kind with its own meaning, no
    # --expected-rate remedy (no buffer was full), and in sched.dropped.
    p = subprocess.run([exe, "analyze", "--json", unusable], capture_output=True, text=True, timeout=120)
    check(p.returncode == 0, f"analyze --json unusable: rc={p.returncode} {p.stderr}")
    check("lost 13 events (CUPTI GPU records without a clock sample 4, CUPTI GPU records without timestamps 9)"
          in p.stderr, f"analyze: no note of the unusable GPU records: {p.stderr!r}")
    check("CUPTI GPU records without a clock sample: on their process's raw GPU clock" in p.stderr and
          "CUPTI GPU records without timestamps: CUPTI left their start or end time at 0" in p.stderr and
          "left these GPU records out" in p.stderr and "--expected-rate" not in p.stderr,
          f"analyze: unusable GPU records not explained: {p.stderr!r}")
    if p.returncode == 0:
        d = json.loads(p.stdout)["sched"]["dropped"]
        check(d.get("cupti_gpu_without_clock") == 4 and d.get("cupti_gpu_without_timestamps") == 9 and
              d.get("cupti_ring") == 0 and "cupti_gpu_records" not in d, f"unusable sched.dropped: {d}")
    # Only one kind non-zero: the other is neither counted nor explained.
    p = subprocess.run([exe, "sched", only_ts], capture_output=True, text=True, timeout=120)
    check("lost 1 event (CUPTI GPU records without timestamps 1)" in p.stderr and "clock sample" not in p.stderr,
          f"sched note of one unusable record: {p.stderr!r}")

    p = subprocess.run([exe, "analyze", "--json", clean], capture_output=True, text=True, timeout=120)
    check(p.returncode == 0 and "lost" not in p.stderr, f"clean recording: rc={p.returncode} {p.stderr!r}")
    if p.returncode == 0:
        d = json.loads(p.stdout)["sched"]["dropped"]
        check(d and all(v == 0 for v in d.values()), f"clean sched.dropped: {d}")

if failures:
    print("\n".join("FAIL: " + f for f in failures))
    sys.exit(1)
print("ok")
