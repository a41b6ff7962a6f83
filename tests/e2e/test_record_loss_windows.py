"""Real eBPF recording that loses events (audit CT F1): the recorder is stopped with SIGSTOP (at
least 3 s, and until the workload has made over twice what the ring holds) while the fake CUDA
workload launches into a ring sized for 1000 events/s, so the ring fills. Checks
that LOSS records say where (export --csv loss_windows.csv, one row per record), that their counts
per type add up to META dropped.<type> exactly, and that `sched --json` leaves the launch pairs
spanning a window out: pairs kept + pairs_spanning_loss = every pair of every launching thread, and
no kept pair is as long as the stop; off-CPU intervals and run-queue waits meeting a window are
counted and the verdict names the loss. The stop is sent once the workload runs (not after a fixed
time an ASan recorder may still be loading in), and the test checks that the stop caused the loss it
asserts on: a loss window covers a quarter of the stop or more, stamped with CLOCK_MONOTONIC (the clock of
bpf_ktime_get_ns) around SIGSTOP and SIGCONT. record's "launches per thread" heading says its counts are lower
bounds, with the API events lost (META dropped.api). Skips (77) when not root or without kernel BTF."""
import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import EXE, check, failures, skip  # noqa: E402
from _proctree import wait_for_descendant  # noqa: E402
from _record_prereq import require_recorder  # noqa: E402

require_recorder()

fake = os.path.join(os.environ["INFERTRACE_BINARY_DIR"], "tests", "support", "fakecuda")
workload = os.path.join(fake, "fakecuda_workload")
STOP_S = 3
FILL_SLEEPS = 4000
# Launches per worker: about 7.5 s of workload on a fast quiet host (a sleep of 200 us every 10),
# so about 4 s of launches after the 3 s stop. With 150000 (3.75 s) such a host had under a second
# left, and a launch after the loss window is what makes a launch pair span it (pairs_spanning_loss
# below); the check after SIGCONT says so if it ever runs short. (600000 made the test 4-5 times
# longer, 60-80 s instead of 15 s in the dev build on a loaded 2-core machine, for no more safety.)
LAUNCHES = 300000
RESUMED_SLEEPS = 500


# Why a read of the workload's /proc files failed or came back without its count: printed with the
# stop's length, and in the failure it leads to (one run printed "slept ?" and nothing else). Each
# reason once, with how many times it came (a baseline is read again on every wait step while it
# is unknown: review FN L10 saw up to ~100 equal lines), in the order they first came.
read_problems = {}


def note_problem(why):
    read_problems[why] = read_problems.get(why, 0) + 1


def problems_said():
    """read_problems as lines, each with its count when it came more than once."""
    return [why if n == 1 else f"{why} ({n} times)" for why, n in read_problems.items()]


def proc_text(path):
    """The whole of a /proc file, or the reason it could not be read (a str starting "unreadable")."""
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError as e:
        return f"unreadable ({e!r})"


# The last count read of each thread: counts only grow, so a failed read of a sample compared with
# a baseline takes the thread's last good count (0 before any), which is low, never high.
last_good = {}
# What a baseline gets for a thread that exists but could not be read: no count (a low baseline
# makes every later difference too large, and the stop could end before the ring filled). The waits
# below then read it again while they wait: a later baseline counts fewer sleeps after it, so the
# wait lasts longer, no less.
UNKNOWN = "unknown"


def thread_voluntary(pid, tid, baseline):
    """The voluntary_ctxt_switches of one thread, or None when the thread is gone. A read that fails
    or lacks the line (a short read) is retried; when it still does while the thread is there, the
    reason goes into read_problems and the thread counts its last good count (last_good), so a
    sample is low and the waits below last longer, no less; a baseline gets UNKNOWN instead."""
    path = f"/proc/{pid}/task/{tid}/status"
    why = ""
    for _ in range(3):
        try:
            with open(path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
        except OSError as e:
            why = f"{e!r}"
        else:
            for line in text.splitlines():
                if line.startswith("voluntary_ctxt_switches:"):
                    fields = line.split()
                    if len(fields) == 2 and fields[1].isdigit():
                        last_good[tid] = max(last_good.get(tid, 0), int(fields[1]))
                        return last_good[tid]
            why = f"no voluntary_ctxt_switches count in {text!r}"
        if not os.path.exists(f"/proc/{pid}/task/{tid}"):
            return None  # the thread exited between the listing and the read
        time.sleep(0.01)
    note_problem(f"{path}: {why}")
    return UNKNOWN if baseline else last_good.get(tid, 0)


def voluntary_switches(pid, baseline=False):
    """The voluntary context switches of every thread of pid so far (the workload's usleep calls),
    or None once its thread list cannot be read (it is gone); then read_problems says why. With
    `baseline`, UNKNOWN when a thread that is there could not be read (read again: baseline_switches)."""
    tids, why = None, ""
    for _ in range(3):  # a failed listing is retried before the process is taken for gone
        try:
            tids = os.listdir(f"/proc/{pid}/task")
            break
        except OSError as e:
            why = f"{e!r}"
            time.sleep(0.01)
    if tids is None:
        note_problem(f"/proc/{pid}/task: {why}; /proc/{pid}/stat: {proc_text(f'/proc/{pid}/stat')!r}")
        return None
    # A thread that exits between the listing and its read is skipped, not taken for the process's
    # end (bb76193: one run saw None 0.1 s into the stop, "recorder stopped 0.10 s"; that race was
    # one candidate, not a proven cause: read_problems now says what failed).
    counts = [thread_voluntary(pid, tid, baseline) for tid in tids]
    if any(n is UNKNOWN for n in counts):
        return UNKNOWN
    return sum(n for n in counts if n is not None)


def baseline_switches(pid):
    """voluntary_switches to compare later samples with: read again until every thread's count was
    read (each try is retried 3 times per thread already), else UNKNOWN, which the waits below read
    again while they wait (never the end of a wait: that made the stop end at once); None when the
    process is gone."""
    for _ in range(20):
        n = voluntary_switches(pid, baseline=True)
        if n is not UNKNOWN:
            return n
        time.sleep(0.05)
    note_problem(f"no baseline count of /proc/{pid}'s threads in 20 tries")
    return UNKNOWN


def known(n):
    """Whether a count is one (not None for a process gone, nor UNKNOWN)."""
    return n is not None and n is not UNKNOWN


with tempfile.TemporaryDirectory() as tmp:
    rec = os.path.join(tmp, "loss.itrace")
    p = subprocess.Popen([EXE, "record", "-o", rec, "--expected-rate", "1000", "--cuda", "uprobe", "--lib",
                          os.path.join(fake, "libfakecudart.so"), "--lib", os.path.join(fake, "libfakecuda.so"), "--",
                          workload, "2", str(LAUNCHES), "0", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # The recorder starts its command once its probes are attached: from then on every launch goes
    # through the ring. The workload runs about 7.5 s by itself (30000 sleeps of 200 us per worker),
    # so it is still launching when the stop ends (checked below).
    # The recorder's own child (depth 1): the process it forked and exec'd into the workload. Deeper
    # processes of that name were not the workload (three CI runs, 2026-12-04/05: the recorder's
    # library listing, `LD_TRACE_LOADED_OBJECTS=1 CMD` under sh, ran briefly under the command's name
    # and was gone 0.04-0.1 s into the stop, "slept ?"; the listing no longer runs the command).
    started = wait_for_descendant(p, "fakecuda_workload", 120, depth=1)
    stop_begin_ns = time.monotonic_ns()
    p.send_signal(signal.SIGSTOP)
    # The stop lasts until the workload has surely filled the ring, however slowly a loaded host
    # runs it (CI once saw no loss in a fixed 3 s stop: the workload had produced less than the
    # ring holds): at least STOP_S, and until its threads slept FILL_SLEEPS times since the stop
    # began, each sleep after 10 launches (40,000 launch records, over twice the 1 MiB ring the
    # rate of 1000/s asks for, before the switch and wake-up records of the sleeps themselves).
    # Without a baseline yet (UNKNOWN) the stop goes on while it is read again.
    slept_at_stop = baseline_switches(started) if started else None
    while started and slept_at_stop is not None:
        time.sleep(0.1)
        waited = (time.monotonic_ns() - stop_begin_ns) / 1e9
        if waited >= 120:
            break
        if slept_at_stop is UNKNOWN:
            slept_at_stop = baseline_switches(started)
            continue
        now = voluntary_switches(started)
        if now is None or (waited >= STOP_S and now - slept_at_stop >= FILL_SLEEPS):
            break
    p.send_signal(signal.SIGCONT)
    stop_end_ns = time.monotonic_ns()
    slept = baseline_switches(started) if started else None
    # The workload must go on launching after the stop, into a running recorder: otherwise no launch
    # pair can span the loss window and pairs_spanning_loss below fails for a reason that is not
    # the recorder's. RESUMED_SLEEPS more sleeps (5000 launches) say it did.
    resumed = None
    while started and slept is not None:
        if slept is UNKNOWN:  # as in the stop: read again, a later baseline only asks more
            if time.monotonic_ns() - stop_end_ns >= 120e9:
                break
            time.sleep(0.05)
            slept = baseline_switches(started)
            continue
        now = voluntary_switches(started)
        if now is None or now - slept >= RESUMED_SLEEPS or time.monotonic_ns() - stop_end_ns >= 120e9:
            resumed = None if now is None else now - slept
            break
        time.sleep(0.05)
    print(f"recorder stopped {(stop_end_ns - stop_begin_ns) / 1e9:.2f} s; the workload slept "
          f"{slept - slept_at_stop if known(slept) and known(slept_at_stop) else '?'} times meanwhile")
    for problem in problems_said():
        print("reading the workload's switch counts:", problem)
    out, err = p.communicate(timeout=600)
    if p.returncode != 0 and ("CAP_BPF" in err or "BTF" in err or "tracefs" in err):
        skip("recorder cannot run here: " + err.strip()[:200])
    check(started is not None, f"the recorder did not start the workload within 120 s: {err}")
    check(p.returncode == 0, f"record rc={p.returncode}: {err}")
    # Which pid the waits read, and the workload's own (its JSON lines), to tell a wrong pid apart.
    own = sorted({json.loads(l)["pid"] for l in out.splitlines() if l.startswith("{") and '"pid"' in l})
    check(resumed is not None and resumed >= RESUMED_SLEEPS,
          f"the workload ended (or stalled) before it launched again after the stop: {resumed} sleeps "
          f"after SIGCONT; raise LAUNCHES (/proc reads: {problems_said() or 'all read'}; pid read {started}, "
          f"the workload's own {own}; record's output ends: {out[-400:]!r})")

    db = os.path.join(tmp, "loss.sqlite")
    e = subprocess.run([EXE, "export", "--sqlite", db, "--csv", os.path.join(tmp, "csv"), rec],
                       capture_output=True, text=True, timeout=600)
    check(e.returncode == 0, f"export: {e.stderr}")
    con = sqlite3.connect(db)
    meta = dict(con.execute("SELECT key, value FROM meta WHERE key LIKE 'dropped.%'").fetchall())
    dropped = {k[len("dropped."):]: int(v) for k, v in meta.items()}
    traced = con.execute("SELECT value FROM meta WHERE key = 'traced.pid'").fetchone()
    check(traced is not None and int(traced[0]) == started,
          f"the waits read pid {started}, the recorder started {traced and traced[0]}")
    check(sum(dropped.values()) > 0, f"no loss was forced (dropped {dropped}); stdout {out}")
    # record's "launches per thread" counts only the launches recorded: with API events lost its
    # heading says they are lower bounds and how many records were lost (review RC L2).
    lost_api = dropped.get("api", 0)
    heading = ("launches per thread:" if lost_api == 0 else
               f"launches per thread (lower bounds: {lost_api} record{'s' if lost_api > 1 else ''} that may have been "
               f"{'launch calls were' if lost_api > 1 else 'a launch call was'} lost):")
    check(heading in err.splitlines(), f"record's heading for {lost_api} API events lost, want {heading!r}: {err}")
    types = ["api", "switch", "wakeup", "irq", "syscall", "task", "fdname"]
    sums = con.execute("SELECT count(*), " + ", ".join(f"coalesce(sum({t}), 0)" for t in types) +
                       ", coalesce(sum(lost_total), 0) FROM loss_window").fetchone()
    check(sums[0] > 0, "no loss_window row")
    for i, t in enumerate(types):
        check(sums[1 + i] == dropped.get(t, 0), f"{t}: loss windows {sums[1 + i]} vs META dropped {dropped.get(t)}")
    check(sums[-1] == sum(dropped.values()), f"lost_total {sums[-1]} vs {sum(dropped.values())}")
    # The stop caused loss (review DE L4): a recorder that runs drains its ring every 100 ms, so a
    # window of failed reserves that covers a quarter of the stop (clipped to it) can only come from
    # the stop; a ring this small (1 MiB) may also lose while the recorder runs, which must not be
    # what passes this test. The stop lasted until the workload had made over twice what the ring
    # holds, so the ring filled in its first half at the latest (within tens of ms on a quiet host).
    windows = con.execute("SELECT first_ts_ns, last_ts_ns, lost_total FROM loss_window").fetchall()
    covered = max((min(last, stop_end_ns) - max(first, stop_begin_ns) for first, last, _ in windows), default=0)
    lost_in_stop = sum(n for first, last, n in windows if first <= stop_end_ns and last >= stop_begin_ns)
    check(lost_in_stop > 0 and covered >= (stop_end_ns - stop_begin_ns) / 4,
          f"no loss window covers the stop [{stop_begin_ns}, {stop_end_ns}] (longest overlap {covered} ns, "
          f"{lost_in_stop} events lost in overlapping windows): windows {windows}")
    bad = con.execute("SELECT count(*) FROM loss_window WHERE last_ts_ns < first_ts_ns").fetchone()[0]
    check(bad == 0, f"{bad} windows end before they start")
    with open(os.path.join(tmp, "csv", "loss_windows.csv")) as f:
        check(len(list(csv.DictReader(f))) == sums[0], "loss_windows.csv rows differ from the SQLite table")

    s = subprocess.run([EXE, "sched", "--json", rec], capture_output=True, text=True, timeout=600)
    check(s.returncode == 0, f"sched: {s.stderr}")
    j = json.loads(s.stdout)
    check(j.get("rates_over_loss") is True, "rates_over_loss missing")
    spanning = j.get("pairs_spanning_loss", -1)
    check(spanning > 0, f"pairs_spanning_loss {spanning}")
    every_pair = sum(max(t["launches"] - 1, 0) for t in j["threads"] if t.get("launches", 0) > 0)
    check(j["pairs"]["all"]["count"] + spanning == every_pair,
          f"kept {j['pairs']['all']['count']} + spanning {spanning} != {every_pair}")
    # Pairs that bridged the stop were 2.4 s long (audit CT D2); none is kept now.
    check(j["pairs"]["all"]["p99_ns"] is None or j["pairs"]["all"]["p99_ns"] < STOP_S * 1e9 / 2,
          f"p99 pair {j['pairs']['all']['p99_ns']}")
    check("may be off in either direction" in s.stderr, f"stderr note: {s.stderr}")
    # Off-CPU intervals and run-queue waits meeting a window are counted (left out), and the verdict
    # says what was lost: the count the loss object gives, which is META's.
    for k in ("offcpu_intervals_spanning_loss", "runq_waits_spanning_loss"):
        check(isinstance(j.get(k), int) and j[k] >= 0, f"{k}: {j.get(k)}")
    check(j["loss"]["lost_events"] == sum(dropped.values()), f"loss.lost_events {j['loss']['lost_events']}")
    lost, wins = sum(dropped.values()), j["loss"]["windows"]
    check(f"The recorder lost {lost:,} event{'' if lost == 1 else 's'} in {wins:,} loss window{'' if wins == 1 else 's'} "
          f"covering" in j["verdict"], f"verdict without the loss sentence: {j['verdict']}")
    t = subprocess.run([EXE, "sched", rec], capture_output=True, text=True, timeout=600)
    check("launch pairs spanning a loss window" in t.stdout, "text does not name the pairs left out")
    check("off-CPU intervals spanning a loss window" in t.stdout, "text does not name the off-CPU intervals left out")

if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("ok")
