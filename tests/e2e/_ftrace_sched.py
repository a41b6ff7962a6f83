"""The kernel's own record of scheduler events, taken beside an infertrace recording, as ground
truth: a tracefs instance of our own (so a system-wide tracer is left alone) records sched_switch,
sched_waking, sched_wakeup and sched_wakeup_new of the threads named COMM, on CLOCK_MONOTONIC
(trace_clock mono, the clock of bpf_ktime_get_ns). Its events are written out as switches.csv and wakeups.csv in the
export's columns, so _switch_consistency checks them with the same rules: a rule the kernel's own
stream breaks at the same place is the kernel's doing (an event it never reported), not the
recorder's. Events and violations are matched by identity, not by time closeness (match()).

On the virtual machine this was written on, the kernel reported no switch away from the threads of
its own agent (pid 1) to anyone, and the recorder's programs saw no event at all while such a thread
was current (wake-ups from interrupts that landed on it), which ftrace did see: contexts()
finds such contexts from the data, so that the test can tell them from events the recorder lost."""
import os
import re

TRACEFS = "/sys/kernel/tracing"
INSTANCE_PREFIX = "infertrace_switch_"
# ftrace prints microseconds (its times are up to 1 us early); a margin for match()'s bounds.
SLACK_NS = 5_000
TASK_DEAD = 0x80  # what the recorder's prev_state holds for a thread's final switch-out

SWITCH = re.compile(r"\[(\d+)\]\s+\S+\s+(\d+)\.(\d+): sched_switch: prev_comm=(.*) prev_pid=(\d+) prev_prio=\d+ "
                    r"prev_state=(\S+) ==> next_comm=(.*) next_pid=(\d+) next_prio=\d+")
WAKEUP = re.compile(r"\[(\d+)\]\s+\S+\s+(\d+)\.(\d+): (sched_wakeup(?:_new)?): comm=(.*) pid=(\d+) prio=\d+ target_cpu=(\d+)")
# The waker asks at sched_waking, in its own context; sched_wakeup's current task is another one when
# the kernel finishes a wake-up queued to the target's CPU (from the IPI there: the idle task,
# mostly), so a wake-up's waker is the context of its thread's last sched_waking.
WAKING = re.compile(r"\[(\d+)\]\s+\S+\s+(\d+)\.(\d+): sched_waking: comm=(.*) pid=(\d+) prio=\d+ target_cpu=(\d+)")


def available():
    return os.path.isdir(os.path.join(TRACEFS, "instances")) and os.access(os.path.join(TRACEFS, "instances"), os.W_OK)


def remove_stale_instances():
    """Removes the instances of earlier runs that were killed (ctest's timeout sends SIGKILL): each
    keeps 16 MB per CPU and, with the pid reused, would make the next run's os.mkdir fail. An
    instance of a live process (another run now) is left alone; one named after this process is
    stale (it has not made its own yet)."""
    root = os.path.join(TRACEFS, "instances")
    for name in os.listdir(root):
        pid = name[len(INSTANCE_PREFIX):]
        stale = pid == str(os.getpid()) or not os.path.exists("/proc/" + pid)
        if name.startswith(INSTANCE_PREFIX) and pid.isdigit() and stale:
            try:
                with open(os.path.join(root, name, "tracing_on"), "w") as f:
                    f.write("0\n")
                os.rmdir(os.path.join(root, name))
            except OSError:
                pass  # removed by another run at the same moment


class Ftrace:
    """A tracefs instance recording the scheduler events of threads named `comm`; removed by
    close(), and by the constructor itself when setting it up fails (OSError raised)."""

    def __init__(self, comm):
        self.dir = os.path.join(TRACEFS, "instances", INSTANCE_PREFIX + str(os.getpid()))
        os.mkdir(self.dir)
        try:
            self._write("trace_clock", "mono")
            self._write("buffer_size_kb", "16384")
            self._write("events/sched/sched_switch/filter", 'prev_comm == "%s" || next_comm == "%s"' % (comm, comm))
            for ev in ("sched_waking", "sched_wakeup", "sched_wakeup_new"):
                self._write("events/sched/%s/filter" % ev, 'comm == "%s"' % comm)
            for ev in ("sched_switch", "sched_waking", "sched_wakeup", "sched_wakeup_new"):
                self._write("events/sched/%s/enable" % ev, "1")
        except OSError:
            self.close()
            raise

    def _write(self, name, value):
        with open(os.path.join(self.dir, name), "w") as f:
            f.write(value + "\n")

    def close(self):
        try:
            self._write("tracing_on", "0")
        except OSError:
            pass
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
# current when the kernel emitted the event, as (comm, pid) from the trace line's task-pid (for a
# wake-up, its sched_waking's line: the waker, as the recorder names it since 2026-12-06).
CTX = -1


def parse(text, tgid_of):
    """(switches, wake-ups) of the trace, as tuples (above): tgid_of maps a tid to its process (the
    recording's threads.csv); a thread it does not know counts as its own process. The kernel
    prints no process ids."""
    def tgid(t):
        return tgid_of.get(t, t)

    switches, wakeups = [], []
    waking = {}  # tid -> the context of its last sched_waking not yet followed by its sched_wakeup
    for line in text.splitlines():
        comm, _, pid = line[:line.find("[")].strip().rpartition("-") if "[" in line else ("", "", "-1")
        current = (comm, int(pid) if pid.isdigit() else -1)
        m = SWITCH.search(line)
        if m:
            cpu, s, frac, pcomm, ppid, pstate, ncomm, npid = m.groups()
            prev, nxt = int(ppid), int(npid)
            # The kernel prints "R" for a still-runnable prev (state 0) and "R+" when preempted, and
            # for a thread's final switch-out its exit state: "X" (dead) or "Z" (a zombie leader).
            runnable = pstate.startswith("R")
            state = 0 if runnable else TASK_DEAD if pstate in ("X", "Z") else 1
            switches.append((ns(s, frac), int(cpu), tgid(prev), prev, pcomm, state, 1 if runnable else 0,
                             tgid(nxt), nxt, ncomm, current))
            continue
        m = WAKING.search(line)
        if m:
            waking[int(m.group(5))] = current
            continue
        m = WAKEUP.search(line)
        if m:
            cpu, s, frac, ev, comm, pid, target = m.groups()
            # A new thread's first wake-up has no waking: its parent, in fork, is current.
            waker = waking.pop(int(pid), current) if ev == "sched_wakeup" else current
            wakeups.append((ns(s, frac), int(target), tgid(int(pid)), int(pid), "", "", waker))
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


def match(kernel, recorded, key, lo, hi, recorded_key=None):
    """(kernel events within [lo, hi] that the recording lacks, {recorded event: its kernel event}).
    Events are matched per key in order, not by time closeness: the host can stall the virtual CPU
    between ftrace's probe and ours for a millisecond or more, but not reorder one key's events.
    A key is chosen so that its events are serialised (one CPU's switches; one thread's wake-ups:
    each under the lock of the thread's run queue, and a thread is woken again only after it ran),
    so both probes of one event run before the next event of the key happens. ftrace's probe runs
    first (its instance enabled the tracepoint before the recorder attached), so a recorded event
    lies between the kernel's own event (printed in microseconds, up to 1 us early) and the kernel's
    next one of its key. A recorded event before the kernel's current one is one the kernel's trace
    lacks (an event of the command before its exec gave it the traced name): skipped. One past the
    kernel's next one means the recording lacks the current one. After a loss the key's later
    events may pair one off (the key's last is then the one reported): the count per key, which is
    what a loss is, stays exact. `recorded_key` (default `key`) keys the recorded events."""
    ks, rs = {}, {}
    for k in sorted(e for e in kernel if lo <= e[0] <= hi):
        ks.setdefault(key(k), []).append(k)
    for r in sorted(recorded):
        rs.setdefault((recorded_key or key)(r), []).append(r)
    missing, pairs = [], {}
    for kk, ev in ks.items():
        rec, j = rs.get(kk, []), 0
        for i, k in enumerate(ev):
            while j < len(rec) and rec[j][0] < k[0] - SLACK_NS:
                j += 1
            if j < len(rec) and (i + 1 == len(ev) or rec[j][0] < ev[i + 1][0] + SLACK_NS):
                pairs[rec[j]] = k
                j += 1
            else:
                missing.append(k)
    return sorted(missing), pairs


def traced_tids(switches, comm):
    """Threads the kernel's events name `comm` in their payload (exact, unlike the task-pid column,
    which comes from a cache of 128 names before Linux 6.8)."""
    return {tid for e in switches for tid, c in ((e[3], e[4]), (e[8], e[9])) if c == comm}


def contexts(kernel, missing, lo, hi, traced):
    """(unseen, seen): the threads other than the `traced` tids that were current for kernel events
    within [lo, hi], split by whether none or some of those events reached the recording.
    An unseen context is one the recorder's programs do not see at all: a loss in the recorder would
    not spare every other event of the same context. The traced threads are never unseen: a thread
    whose every event is missing is a thread the recorder failed to trace."""
    seen, lost = set(), set()
    missing = set(missing)
    for e in kernel:
        if lo <= e[0] <= hi and e[CTX][1] not in traced:
            (lost if e in missing else seen).add(e[CTX])
    return lost - seen, seen
