"""Consistency of the scheduler events of a recording, read from its CSV export (switches.csv,
wakeups.csv, syscalls.csv, threads.csv). Every rule below follows from how the kernel schedules a
thread, so a violation means an event was lost (by the recorder, or never reported by the kernel),
carries a wrong time, or was put in the wrong order, not that the program misbehaved:

  alternation   a traced thread's switch-ins and switch-outs alternate, and it leaves the CPU it was
                put on (a second switch-in while on a CPU would mean two CPUs at once);
  cpu_chain     a CPU that switched to a traced thread next switches away from that same thread
                (every switch with a traced side is recorded);
  after_exit    nothing follows a thread's final switch-out (prev_state TASK_DEAD);
  syscall_on_cpu  a thread is on a CPU when its syscall enters and when it returns: whatever it
                blocked on inside, it was switched back in before the return was recorded;
  sleep_without_switch  a nanosleep that lasted 1 ms or more switched out at least once inside
                (a virtual CPU that the host stalls between arming the timer and blocking can
                break it: the kernel's own trace then shows the same);
  wakeup_before_in  after a blocking switch-out, a wake-up of the thread comes before its next
                switch-in.

check(dir) returns the violations, each a dict with the rule, the thread, the raw CSV lines
involved (file name, line number, text), so a report can show the events themselves, and the time
of the event that broke the rule."""
import bisect
import csv
import os

TASK_DEAD = 0x80
SLEEP_SYSCALLS = {"nanosleep", "clock_nanosleep"}
LONG_SLEEP_NS = 1_000_000


class Row:
    """One CSV line: its fields, and where it came from (to quote it in a report)."""

    def __init__(self, file, line, text, fields):
        self.file, self.line, self.text, self.f = file, line, text, fields

    def num(self, key):
        v = self.f[key]
        return int(v) if v not in ("", None) else None

    def raw(self):
        return "%s:%d: %s" % (self.file, self.line, self.text)


def read_rows(dir, name):
    path = os.path.join(dir, name)
    with open(path, newline="") as f:
        lines = f.read().splitlines()
    header = next(csv.reader([lines[0]]))
    rows = []
    for i, text in enumerate(lines[1:], start=2):
        if text:
            rows.append(Row(name, i, text, dict(zip(header, next(csv.reader([text]))))))
    return rows


class Switch:
    """One side of a switch as one thread sees it: in (next) or out (prev)."""

    def __init__(self, row, into):
        self.row, self.into = row, into
        self.ts = row.num("ts_ns")
        self.cpu = row.num("cpu")
        self.state = row.num("prev_state") if not into else None
        # Blocked = switched out voluntarily (the export's preempted column is the kernel's
        # preempt flag or a still-runnable state).
        self.blocked = not into and row.num("preempted") == 0
        self.dead = not into and (self.state or 0) & TASK_DEAD != 0


def violation(rule, tid, what, rows, at):
    """`at`: the time of the event that broke the rule (to find the same violation elsewhere)."""
    return {"rule": rule, "tid": tid, "what": what, "raw": [r.raw() for r in rows], "at": at}


def thread_timelines(switches, traced_pids):
    """tid -> its switch sides in time order (the export sorts switches by time, stably)."""
    sides = {}
    for r in switches:
        if r.num("prev_pid") in traced_pids:
            sides.setdefault(r.num("prev_tid"), []).append(Switch(r, into=False))
        if r.num("next_pid") in traced_pids:
            sides.setdefault(r.num("next_tid"), []).append(Switch(r, into=True))
    for s in sides.values():
        s.sort(key=lambda x: x.ts)
    return sides


def check_alternation(tid, sides, out):
    last = None
    for s in sides:
        if last is not None and last.dead:
            out.append(violation("after_exit", tid, "a switch after the thread's final switch-out", [last.row, s.row], s.ts))
        elif last is not None and last.into == s.into:
            what = "two switch-ins without a switch-out between" if s.into else "two switch-outs without a switch-in between"
            out.append(violation("alternation", tid, what, [last.row, s.row], s.ts))
        elif last is not None and last.into and not s.into and last.cpu != s.cpu:
            out.append(violation("alternation", tid, "switched out of CPU %d but was switched in on CPU %d" % (s.cpu, last.cpu),
                                 [last.row, s.row], s.ts))
        last = s


def check_cpu_chains(switches, traced_pids, out):
    last_on_cpu = {}
    for r in sorted(switches, key=lambda r: r.num("ts_ns")):
        cpu = r.num("cpu")
        prev = last_on_cpu.get(cpu)
        if prev is not None and prev.num("next_pid") in traced_pids and prev.num("next_tid") != r.num("prev_tid"):
            out.append(violation("cpu_chain", prev.num("next_tid"),
                                 "CPU %d switched to tid %d, then switched away from tid %d" %
                                 (cpu, prev.num("next_tid"), r.num("prev_tid")), [prev, r], r.num("ts_ns")))
        last_on_cpu[cpu] = r


def on_cpu_at(sides, times, t):
    """True / False: the thread is / is not on a CPU just before time t; None: no switch tells."""
    i = bisect.bisect_left(times, t)  # sides[:i] happened before t
    if i > 0:
        return sides[i - 1].into, sides[i - 1]
    if i < len(sides):
        return (not sides[i].into), sides[i]  # the first switch after t says where it was
    return None, None


def check_syscalls(tid, sides, calls, out):
    times = [s.ts for s in sides]
    for c in calls:
        start, end = c.num("ts_ns"), c.num("ts_ns") + c.num("dur_ns")
        for when, t in (("entered", start), ("returned", end)):
            on, near = on_cpu_at(sides, times, t)
            if on is False:
                out.append(violation("syscall_on_cpu", tid, "%s %s while off CPU" % (c.f["name"], when), [near.row, c], t))
        if c.f["name"] in SLEEP_SYSCALLS and end - start >= LONG_SLEEP_NS and sides:
            lo, hi = bisect.bisect_right(times, start), bisect.bisect_left(times, end)
            if not any(not s.into for s in sides[lo:hi]):
                out.append(violation("sleep_without_switch", tid, "%s of %.3f ms without a switch-out inside" %
                                     (c.f["name"], (end - start) / 1e6), [c], start))


def check_wakeups(tid, sides, wakeup_times, wakeup_rows, out):
    for a, b in zip(sides, sides[1:]):
        if a.into or not b.into or not a.blocked or a.dead:
            continue
        i = bisect.bisect_left(wakeup_times, a.ts)
        if i >= len(wakeup_times) or wakeup_times[i] > b.ts:
            near = [wakeup_rows[i]] if i < len(wakeup_rows) else []
            out.append(violation("wakeup_before_in", tid, "switched in %.3f ms after blocking with no wake-up between" %
                                 ((b.ts - a.ts) / 1e6), [a.row, b.row] + near, b.ts))


def check(dir):
    """Every violation in the CSV export in `dir` (a list of dicts: rule, tid, what, raw)."""
    threads = read_rows(dir, "threads.csv")
    switches = read_rows(dir, "switches.csv")
    wakeups = read_rows(dir, "wakeups.csv")
    syscalls = read_rows(dir, "syscalls.csv")
    traced_pids = {t.num("pid") for t in threads}
    out = []
    timelines = thread_timelines(switches, traced_pids)
    wake_by_tid, calls_by_tid = {}, {}
    for w in sorted(wakeups, key=lambda r: r.num("ts_ns")):
        wake_by_tid.setdefault(w.num("tid"), []).append(w)
    for c in syscalls:
        calls_by_tid.setdefault(c.num("tid"), []).append(c)
    for tid, sides in sorted(timelines.items()):
        check_alternation(tid, sides, out)
        ws = wake_by_tid.get(tid, [])
        check_wakeups(tid, sides, [w.num("ts_ns") for w in ws], ws, out)
    for tid, calls in sorted(calls_by_tid.items()):
        check_syscalls(tid, timelines.get(tid, []), calls, out)
    check_cpu_chains(switches, traced_pids, out)
    return out


# Rules whose violation time is that of a switch (the others': a syscall's, the same row in both).
SWITCH_TIMED = {"alternation", "after_exit", "cpu_chain", "wakeup_before_in"}


def same_violation(v, others, kernel_time_of):
    """Whether `others` (the violations of the kernel's record of the same run) hold v: the same
    rule broken by the same thread at the same event. `kernel_time_of` maps a recorded switch's time
    to that of the kernel's event it was matched with (by identity, not closeness: a stalled
    virtual CPU can put a millisecond between the two clocks)."""
    at = kernel_time_of.get(v["at"], v["at"]) if v["rule"] in SWITCH_TIMED else v["at"]
    return any(o["rule"] == v["rule"] and o["tid"] == v["tid"] and o["at"] == at for o in others)


def counts(dir):
    """How much the checks looked at: switch sides of traced threads, syscalls, wake-ups."""
    threads = read_rows(dir, "threads.csv")
    traced_pids = {t.num("pid") for t in threads}
    sides = sum(len(s) for s in thread_timelines(read_rows(dir, "switches.csv"), traced_pids).values())
    return {"threads": len(threads), "switch_sides": sides, "syscalls": len(read_rows(dir, "syscalls.csv")),
            "wakeups": len(read_rows(dir, "wakeups.csv"))}
