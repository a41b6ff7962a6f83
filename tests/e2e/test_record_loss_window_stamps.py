"""Real eBPF recording whose loss windows must span the lost records' own timestamps (review FN M1):
with --launch-durations a launch record is stamped at the call's entry but reserved at its return,
so a window that began at the failed reserve (as before 2026-12-04) started after the entry of the
launch that opened it. The workload (fakecuda_stamped) is one thread pinned to one CPU that stops
its recorder (SIGSTOP) for a stretch of launches, so the 1 MiB ring fills and launches are lost,
then resumes it. It stamps each launch just before the call (`pre`) and as the call's body begins
(`body`, after the entry probe fired); each body spins 50 us, so the return (the failed reserve)
comes at least that long after `body`. Only launch records are recorded, so every window of that
CPU opens with a lost launch. Checks: launches were lost; every lost launch (by its grid.x, the
launch's number) lies in a window of that CPU that lost launch records: first <= body and
last >= pre. The old windows fail this for the first lost launch of each window (first >= body +
50 us).
A second thread holds a cudaDeviceSynchronize open from before the stop until the ring is full, so
its record (stamped at the call's entry, reserved at its return) is lost too. Its loss is placed at
the call's return, not its entry (review FQ M1: a sync or syscall blocking for seconds would
otherwise stretch a window over its whole span, and take every launch pair in it out of the
analysis): no window starts before the stop, and one holds the return. Before the change the
window started at the sync's entry, before the stop. Skips (77) when not root or without kernel BTF."""
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import EXE, check, failures, skip  # noqa: E402
from _record_prereq import require_recorder  # noqa: E402

require_recorder()

fake = os.path.join(os.environ["INFERTRACE_BINARY_DIR"], "tests", "support", "fakecuda")
BEFORE, DURING, AFTER, SPIN_NS = 2000, 40000, 2000, 50000

with tempfile.TemporaryDirectory() as tmp:
    rec, stamps = os.path.join(tmp, "stamps.itrace"), os.path.join(tmp, "stamps.txt")
    # --expected-rate 1000: a 1 MiB ring, which the 40,000 launches made while the recorder is
    # stopped overfill (each record is over 26 bytes).
    p = subprocess.Popen([EXE, "record", "-o", rec, "--expected-rate", "1000", "--events", "launch", "--launch-durations",
                          "--cuda", "uprobe", "--lib", os.path.join(fake, "libfakecudart.so"), "--lib",
                          os.path.join(fake, "libfakecuda.so"), "--", os.path.join(fake, "fakecuda_stamped"),
                          str(BEFORE), str(DURING), str(AFTER), str(SPIN_NS), stamps, "1"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = p.communicate(timeout=600)
    except subprocess.TimeoutExpired:
        p.send_signal(signal.SIGCONT)  # a workload that died before its SIGCONT left the recorder stopped
        p.kill()
        out, err = p.communicate()
        check(False, f"record did not end in 600 s: {err}")
    if p.returncode != 0 and ("CAP_BPF" in err or "BTF" in err or "tracefs" in err):
        skip("recorder cannot run here: " + err.strip()[:200])
    check(p.returncode == 0, f"record rc={p.returncode}: {err}")
    with open(stamps) as f:
        lines = f.read().split("\n")
    cpu = int(lines[0].split()[1])
    check(int(lines[1].split()[1]) == p.pid, f"the workload stopped {lines[1]}, not the recorder {p.pid}")
    check(lines[2].startswith("sync "), f"no sync stamps: {lines[2]!r}")
    sync_pre, sync_body, sync_end, sync_post, stop_ns = (int(v) for v in lines[2].split()[1:])
    check(sync_pre <= sync_body < stop_ns < sync_end <= sync_post,
          f"sync stamps out of order: pre {sync_pre} body {sync_body} stop {stop_ns} end {sync_end} post {sync_post}")
    launch = {}
    for line in lines[3:]:
        if line:
            i, pre, body = (int(v) for v in line.split())
            check(pre <= body, f"launch {i}: body {body} before pre {pre}")
            launch[i] = (pre, body)
    check(len(launch) == BEFORE + DURING + AFTER, f"{len(launch)} launches stamped")

    db = os.path.join(tmp, "stamps.sqlite")
    e = subprocess.run([EXE, "export", "--sqlite", db, rec], capture_output=True, text=True, timeout=600)
    check(e.returncode == 0, f"export: {e.stderr}")
    con = sqlite3.connect(db)
    kept = {r[0] for r in con.execute("SELECT grid_x FROM api_call WHERE name = 'cudaLaunchKernel'")}
    lost = sorted(set(launch) - kept)
    syncs_kept = con.execute("SELECT COUNT(*) FROM api_call WHERE name = 'cudaDeviceSynchronize'").fetchone()[0]
    dropped = con.execute("SELECT value FROM meta WHERE key = 'dropped.api'").fetchone()
    check(len(lost) > 0, f"no launch lost (dropped.api {dropped}): the stop did not fill the ring")
    check(syncs_kept == 0, f"the held sync was recorded ({syncs_kept}): it returned while the ring was full")
    check(dropped is not None and int(dropped[0]) == len(lost) + 1,
          f"dropped.api {dropped} vs {len(lost)} launches and the sync missing")
    all_windows = con.execute("SELECT cpu, first_ts_ns, last_ts_ns FROM loss_window WHERE api > 0").fetchall()
    early = [w for w in all_windows if w[1] < stop_ns]
    check(not early, f"windows starting before the stop at {stop_ns} (the held sync's entry {sync_pre}..{sync_body}): {early[:3]}")
    check(any(first <= sync_post and last >= sync_end for _, first, last in all_windows),
          f"no window holds the sync's return in [{sync_end}, {sync_post}]: {all_windows[:5]}")
    windows = con.execute("SELECT first_ts_ns, last_ts_ns FROM loss_window WHERE cpu = ? AND api > 0", (cpu,)).fetchall()
    check(len(windows) > 0, f"no loss window on CPU {cpu} lost launch records")
    outside = [i for i in lost if not any(first <= launch[i][1] and last >= launch[i][0] for first, last in windows)]
    check(not outside, f"{len(outside)} of {len(lost)} lost launches lie outside every window of CPU {cpu} "
          f"(first: {outside[:3]} at {[launch[i] for i in outside[:3]]}; windows {windows[:5]})")
    if not outside:
        print(f"{len(lost)} launches lost in {len(windows)} window{'' if len(windows) == 1 else 's'} of CPU {cpu}, each inside one")

if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("ok")
