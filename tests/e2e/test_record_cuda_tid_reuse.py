"""`infertrace record` forgets a thread's pending CUDA call and its fold mark when the thread exits.
The recorder keeps, per thread id, the CUDA call whose return probe has not fired yet (api_pending:
while it is there, every other CUDA call on that id is taken as nested and not recorded) and the
mark of the last runtime launch (fold_pending: its stack pointer and return address; a driver call
on that id that looks nested in it is folded into it, not recorded). A thread killed inside such a call
leaves both behind; a new task that gets the same id must not have its calls dropped as nested in,
or folded into, the dead thread's call.

The workload (tests/support/fakecuda/tid_reuse.c) kills a process A inside cudaDeviceSynchronize
(the fake's sync hold), and in a second scenario inside cudaLaunchKernel before its cuLaunchKernel
(the fake's launch spin); each time it then forks B with A's id (ns_last_pid, retried with a fresh A
when another fork took the id; no reuse in 20 attempts skips). B makes N cudaLaunchKernel calls
(sync scenario) or N direct cuLaunchKernel calls (launch scenario). Checks: exactly N of B's
launches recorded under the reused id, each with its own grid.x 1..N (SQLite export); A's held
sync has no record (it never returned), A's runtime launch has one (recorded at entry) and no
cuLaunchKernel of A's. Without on_exit's delete of api_pending, B's N launches are all dropped as
nested; without the delete of fold_pending, B's first cuLaunchKernel is folded away (N - 1).
Skips (77) without root, kernel BTF or the record verb, or when no attempt reused the id."""
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import EXE, check, failures, skip  # noqa: E402
from _record_prereq import require_recorder, skip_if_recorder_refused  # noqa: E402

require_recorder()

fake = os.path.join(os.environ["INFERTRACE_BINARY_DIR"], "tests", "support", "fakecuda")
N = 40

with tempfile.TemporaryDirectory() as tmp:
    rec = os.path.join(tmp, "run.itrace")
    r = subprocess.run([EXE, "record", "-o", rec, "--events", "launch,sched", "--cuda", "uprobe",
                        "--lib", os.path.join(fake, "libfakecudart.so"), "--lib", os.path.join(fake, "libfakecuda.so"),
                        "--", os.path.join(fake, "fakecuda_tid_reuse"), str(N)],
                       capture_output=True, text=True, timeout=300)
    skip_if_recorder_refused(r)
    if "command exit status: 77" in r.stderr:
        skip("no process got its killed predecessor's id: " + r.stderr.strip()[-300:])
    check(r.returncode == 0 and "command exit status: 0" in r.stderr, f"record: {r.returncode} {r.stdout} {r.stderr}")
    ids = dict((m.group(1), int(m.group(2))) for m in re.finditer(r"^(sync|launch) (\d+)$", r.stdout, re.M))
    check(set(ids) == {"sync", "launch"}, f"the workload names both reused ids: {r.stdout}")

    db = os.path.join(tmp, "run.sqlite")
    e = subprocess.run([EXE, "export", "--sqlite", db, rec], capture_output=True, text=True, timeout=300)
    check(e.returncode == 0, f"export --sqlite: {e.stderr}")
    if e.returncode == 0 and set(ids) == {"sync", "launch"}:
        con = sqlite3.connect(db)
        try:
            calls = con.execute("SELECT pid, tid, name, grid_x FROM api_call").fetchall()
            dropped = con.execute("SELECT value FROM meta WHERE key = 'dropped.api'").fetchone()
        finally:
            con.close()
        check(dropped is None or dropped[0] == "0", f"API events dropped: {dropped}")
        for scenario, b_api, a_apis in (("sync", "cudaLaunchKernel", Counter()),
                                        ("launch", "cuLaunchKernel", Counter({"cudaLaunchKernel": 1}))):
            tid = ids[scenario]
            on_id = [c for c in calls if c[1] == tid]
            b_grids = sorted(c[3] for c in on_id if c[2] == b_api)
            check(b_grids == list(range(1, N + 1)),
                  f"{scenario}: B (id {tid}) made {N} {b_api} calls, grid.x 1..{N}; recorded {len(b_grids)}: {b_grids}")
            check(all(c[0] == tid for c in on_id), f"{scenario}: a call on tid {tid} of another process: {on_id}")
            # What A (the same id, killed inside its call) left: the held sync never returned (no
            # record); the runtime launch is recorded at its entry, its driver call never made.
            rest = Counter(c[2] for c in on_id if c[2] != b_api)
            check(rest == a_apis, f"{scenario}: A's calls on id {tid}: {dict(rest)}, expected {dict(a_apis)}")

        # The scheduler analysis reads each reused id as the two threads it named (review SP M1):
        # launch pairs only within one thread, from the workload's known split of the calls on a
        # reused id (A's are the ones other than B's API), so none from A's last launch to B's first.
        launches = [c for c in calls if c[2] in ("cudaLaunchKernel", "cuLaunchKernel")]
        per_thread = Counter()
        for pid, tid, name, _ in launches:
            owner = "B" if (tid == ids["sync"] and name == "cudaLaunchKernel") or \
                           (tid == ids["launch"] and name == "cuLaunchKernel") else "A"
            per_thread[(tid, owner if tid in ids.values() else "-")] += 1
        want_pairs = sum(n - 1 for n in per_thread.values())
        want_across = sum(1 for t in ids.values() if per_thread[(t, "A")] and per_thread[(t, "B")])
        sr = subprocess.run([EXE, "sched", "--json", rec], capture_output=True, text=True, timeout=300)
        check(sr.returncode == 0, f"sched --json: {sr.stderr}")
        if sr.returncode == 0:
            j = json.loads(sr.stdout)
            got_pairs = j["pairs"]["all"]["count"] + j.get("pairs_spanning_loss", 0)
            check(got_pairs == want_pairs and j.get("pairs_across_thread_end") == want_across,
                  f"launch pairs {got_pairs} (want {want_pairs}), across a thread's end "
                  f"{j.get('pairs_across_thread_end')} (want {want_across})")
            check((j.get("thread_ids_reused") or 0) >= 2, f"thread ids reused: {j.get('thread_ids_reused')} (want >= 2)")

sys.exit(1 if failures else 0)
