"""The kernel's own record of scheduler events, taken beside an infertrace recording, as ground
truth: a tracefs instance of our own (so a system-wide tracer is left alone) records sched_switch,
sched_wakeup and sched_wakeup_new of the threads named COMM, on CLOCK_MONOTONIC (trace_clock mono,
the clock of bpf_ktime_get_ns). Its events are written out as switches.csv and wakeups.csv in the
export's columns, so _switch_consistency checks them with the same rules: a rule the kernel's own
stream breaks at the same place is the kernel's doing (an event it never reported), not the
recorder's. Violations are matched by time within TOLERANCE_NS (ftrace prints microseconds, and
its probe reads the clock a little before ours).

On the virtual machine this was written on, the kernel reported no switch away from the threads of
its own agent (pid 1) to anyone, and the recorder's programs saw no event at all while such a thread
was current (wake-ups from interrupts that landed on it), which ftrace did see: contexts()
finds such contexts from the data, so that the test can tell them from events the recorder lost."""
import bisect
import os
import re

TRACEFS = "/sys/kernel/tracing"
TOLERANCE_NS = 50_000
WINDOWS_NS = (20_000, 2_000_000)

SWITCH = re.compile(r"\[(\d+)\]\s+\S+\s+(\d+)\.(\d+): sched_switch: prev_comm=(.*) prev_pid=(\d+) prev_prio=\d+ "
                    r"prev_state=(\S+) ==> next_comm=(.*) next_pid=(\d+) next_prio=\d+")
WAKEUP = re.compile(r"\[(\d+)\]\s+\S+\s+(\d+)\.(\d+): sched_wakeup(?:_new)?: comm=(.*) pid=(\d+) prio=\d+ target_cpu=(\d+)")


def available():
    return os.path.isdir(os.path.join(TRACEFS, "instances")) and os.access(os.path.join(TRACEFS, "instances"), os.W_OK)


class Ftrace:
    """A tracefs instance recording the scheduler events of threads named `comm`; removed on exit."""

    def __init__(self, comm):
        self.dir = os.path.join(TRACEFS, "instances", "infertrace_switch_%d" % os.getpid())
        os.mkdir(self.dir)
        self._write("trace_clock", "mono")
        self._write("buffer_size_kb", "16384")
        self._write("events/sched/sched_switch/filter", 'prev_comm == "%s" || next_comm == "%s"' % (comm, comm))
        for ev in ("sched_wakeup", "sched_wakeup_new"):
            self._write("events/sched/%s/filter" % ev, 'comm == "%s"' % comm)
        for ev in ("sched_switch", "sched_wakeup", "sched_wakeup_new"):
            self._write("events/sched/%s/enable" % ev, "1")

    def _write(self, name, value):
        with open(os.path.join(self.dir, name), "w") as f:
            f.write(value + "\n")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._write("tracing_on", "0")
        os.rmdir(self.dir)

    def start(self):
        self._write("trace", "")
        self._write("tracing_on", "1")

    def stop(self):
        """(the trace text, events the kernel's buffer overwrote or dropped)."""
        self._write("tracing_on", "0")
        with open(os.path.join(self.dir, "trace")) as f:
            text = f.read()
        lost = 0
        for cpu in os.listdir(os.path.join(self.dir, "per_cpu")):
            with open(os.path.join(self.dir, "per_cpu", cpu, "stats")) as f:
                for line in f:
                    k, _, v = line.partition(":")
                    if k.strip() in ("overrun", "commit overrun", "dropped events"):
                        lost += int(v.split()[0])
        return text, lost


def ns(sec, frac):
    return int(sec) * 1_000_000_000 + int(frac.ljust(9, "0")[:9])


# Kernel events are tuples in the export's column order (switches.csv: ts_ns, cpu, prev_pid,
# prev_tid, prev_comm, prev_state, preempted, next_pid, next_tid, next_comm; wakeups.csv: ts_ns,
# cpu, pid, tid, waker_pid, waker_tid), with one more field at the end: CTX, the thread that was
# current when the kernel emitted the event, as (comm, pid) from the trace line's task-pid.
CTX = -1


def parse(text, tgid_of):
    """(switches, wake-ups) of the trace, as tuples (above): tgid_of maps a tid to its process (the
    recording's threads.csv); a thread it does not know counts as its own process. The kernel
    prints no process ids."""
    def tgid(t):
        return tgid_of.get(t, t)

    switches, wakeups = [], []
    for line in text.splitlines():
        comm, _, pid = line[:line.find("[")].strip().rpartition("-") if "[" in line else ("", "", "-1")
        current = (comm, int(pid) if pid.isdigit() else -1)
        m = SWITCH.search(line)
        if m:
            cpu, s, frac, pcomm, ppid, pstate, ncomm, npid = m.groups()
            prev, nxt = int(ppid), int(npid)
            # The kernel prints "R" for a still-runnable prev (state 0) and "R+" when preempted.
            runnable = pstate.startswith("R")
            switches.append((ns(s, frac), int(cpu), tgid(prev), prev, pcomm, 0 if runnable else 1, 1 if runnable else 0,
                             tgid(nxt), nxt, ncomm, current))
            continue
        m = WAKEUP.search(line)
        if m:
            cpu, s, frac, comm, pid, target = m.groups()
            wakeups.append((ns(s, frac), int(target), tgid(int(pid)), int(pid), "", "", current))
    return switches, wakeups


def write_tables(switches, wakeups, dir, comm):
    """Kernel events as switches.csv, wakeups.csv and threads.csv in `dir` (syscalls.csv is copied
    by the caller), the threads named `comm` being the traced ones."""
    os.makedirs(dir, exist_ok=True)
    traced = {}
    for e in switches:
        for pid, tid, c in ((e[2], e[3], e[4]), (e[7], e[8], e[9])):
            if c == comm:
                traced[tid] = pid
    with open(os.path.join(dir, "switches.csv"), "w") as f:
        f.write("ts_ns,cpu,prev_pid,prev_tid,prev_comm,prev_state,preempted,next_pid,next_tid,next_comm\n")
        for e in sorted(switches):
            f.write(",".join(str(x) for x in e[:CTX]) + "\n")
    with open(os.path.join(dir, "wakeups.csv"), "w") as f:
        f.write("ts_ns,cpu,pid,tid,waker_pid,waker_tid\n")
        for e in sorted(wakeups):
            f.write(",".join(str(x) for x in e[:CTX]) + "\n")
    with open(os.path.join(dir, "threads.csv"), "w") as f:
        f.write("pid,tid,comm,first_ts_ns,last_ts_ns\n")
        for tid, pid in sorted(traced.items()):
            f.write("%d,%d,%s,0,0\n" % (pid, tid, comm))


def missing_from(kernel, recorded, key, lo, hi):
    """Kernel events (tuples, ts first) within [lo, hi] that the recording lacks: each kernel event
    takes the nearest recorded event of the same key not yet taken, first within WINDOWS_NS[0],
    then, for those left, within WINDOWS_NS[1]. Two passes because the two probes on one tracepoint
    read the clock at different moments: a microsecond apart, but up to a millisecond when the
    host stalls the virtual CPU between them."""
    pool = {}
    for r in recorded:
        pool.setdefault(key(r), []).append(r[0])
    for v in pool.values():
        v.sort()
    taken = set()
    left = [k for k in sorted(kernel) if lo <= k[0] <= hi]
    for window in WINDOWS_NS:
        still = []
        for k in left:
            ts = pool.get(key(k), [])
            i = bisect.bisect_left(ts, k[0] - window)
            best = None
            while i < len(ts) and ts[i] <= k[0] + window:
                if (key(k), i) not in taken and (best is None or abs(ts[i] - k[0]) < abs(ts[best] - k[0])):
                    best = i
                i += 1
            if best is None:
                still.append(k)
            else:
                taken.add((key(k), best))
        left = still
    return left


def contexts(kernel, missing, lo, hi, traced_comm):
    """(unseen, seen): the threads other than those named traced_comm that were current for kernel
    events within [lo, hi], split by whether none or some of those events reached the recording.
    An unseen context is one the recorder's programs do not see at all: a loss in the recorder would
    not spare every other event of the same context. The traced threads are never unseen: a thread
    whose every event is missing is a thread the recorder failed to trace."""
    seen, lost = set(), set()
    missing = set(missing)
    for e in kernel:
        if lo <= e[0] <= hi and e[CTX][0] != traced_comm:
            (lost if e in missing else seen).add(e[CTX])
    return lost - seen, seen
