"""Review BX's findings on `bench interference`, end to end. A fake `stress-ng` on PATH stands in for
the CPU hog (it only sleeps, for a time unique to this test so /proc finds it), so nothing here loads
the machine:
- H1: the pinned scenario's `nice -n -10` needs the right to lower a nice value. The command writes
  the nice value it really has; run as root (nice applied) and again without CAP_SYS_NICE
  (setpriv), the JSON's description and nice_applied must match what the command had, and the
  second run must say on stderr why and how to get it.
- M2: a bench killed with SIGKILL takes its load and its command with it (PR_SET_PDEATHSIG): no
  process of their groups is left 10 s later.
- L4: a load that fails has the end of its own stderr in the run's error.
- L2: an empty item in --scenarios is a usage error (exit 2), as in bench threads -t.
- L1: a Ctrl-C that lands after the last run (while its loads stop) leaves "complete": true."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import EXE, check, failures, refused  # noqa: E402

TAG = "%d.35" % (300 + os.getpid() % 1000)  # the fake load's `sleep` argument: unique to this test


def proc_stat(pid):
    """(state, ppid, pgid) of a process, or None when it is gone."""
    try:
        with open("/proc/%s/stat" % pid) as f:
            line = f.read()
    except OSError:
        return None
    rest = line[line.rindex(")") + 2:].split()
    return rest[0], int(rest[1]), int(rest[2])


def live_in_groups(pgids):
    """Live (not zombie) processes whose process group is one of `pgids`."""
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = proc_stat(name)
            if st and st[0] != "Z" and st[2] in pgids:
                out.append(int(name))
    return out


def children_of(pid):
    return [int(n) for n in os.listdir("/proc") if n.isdigit() and (proc_stat(n) or ("", 0, 0))[1] == pid]


with tempfile.TemporaryDirectory() as tmp:
    fake_bin = os.path.join(tmp, "fakebin")
    os.makedirs(fake_bin)
    with open(os.path.join(fake_bin, "stress-ng"), "w") as f:
        f.write('#!/bin/sh\n'
                'if [ -n "$FAKE_LOAD_FAIL" ]; then echo "stress-ng: first line" >&2; '
                'echo "stress-ng: $FAKE_LOAD_FAIL" >&2; exit 1; fi\n'
                'if [ -n "$FAKE_IGNORE_TERM" ]; then trap "" TERM; fi\n'
                'exec sleep "%s"\n' % TAG)
    os.chmod(os.path.join(fake_bin, "stress-ng"), 0o755)
    env = dict(os.environ, PATH=fake_bin + ":" + os.environ["PATH"])
    os.chmod(tmp, 0o755)

    def bench_argv(*args):
        return [EXE, "bench", "interference", *args]

    # H1. The command writes its own nice value and CPUs; the bench's own nice is this test's.
    own_nice = os.nice(0)
    report = ("import os, sys; open(sys.argv[1], 'w').write('%d %s' % (os.nice(0), "
              "','.join(map(str, sorted(os.sched_getaffinity(0))))))")
    pin = str(sorted(os.sched_getaffinity(0))[-1])

    def pinned_run(tag, prefix, pin=pin):
        out = os.path.join(tmp, "h1-" + tag)
        os.makedirs(out)
        seen = os.path.join(out, "seen")
        r = subprocess.run(prefix + bench_argv("--scenarios", "pinned", "-r", "1", "--warmup", "0.1", "--record", "off",
                                               "--pin-cpus", pin,
                                               "--json", "--out-dir", out, "--", sys.executable, "-c", report, seen),
                           capture_output=True, text=True, errors="replace", timeout=120, env=env)
        check(r.returncode == 0, "H1 %s: rc %d: %s" % (tag, r.returncode, r.stderr[-600:]))
        if r.returncode != 0 or not os.path.exists(seen):
            return None
        with open(seen) as f:
            nice_s, cpus = f.read().split()
        sc = json.loads(r.stdout)["scenarios"][0]
        check(cpus == pin, "H1 %s: the command ran on CPUs %s, not pinned to %s" % (tag, cpus, pin))
        return int(nice_s), sc, r.stderr

    got = pinned_run("root", [])
    if got:
        nice_now, sc, _ = got
        want = max(own_nice - 10, -20) if os.geteuid() == 0 else None
        if want is not None:
            check(nice_now == want, "H1 as root: the command's nice %d, want %d" % (nice_now, want))
        applied = nice_now == max(own_nice - 10, -20)
        check(sc.get("nice_applied") is applied,
              "H1 as root: nice_applied %r, the command's nice %d (bench %d)" % (sc.get("nice_applied"), nice_now, own_nice))
        check(("with nice -10" in sc["description"]) == applied, "H1 as root: description %r" % sc["description"])

    # The same without CAP_SYS_NICE (root keeps its uid; RLIMIT_NICE stays as it is, 0 by default).
    drop = ["setpriv", "--inh-caps=-sys_nice", "--bounding-set=-sys_nice"]
    probe = subprocess.run(drop + [sys.executable, "-c", "import os; os.nice(-10)"], capture_output=True, text=True)
    if os.geteuid() != 0 or subprocess.run(["which", "setpriv"], capture_output=True).returncode != 0:
        print("H1: the run without CAP_SYS_NICE needs root and setpriv: not made")
    elif probe.returncode == 0:
        print("H1: lowering nice is permitted even without CAP_SYS_NICE here (RLIMIT_NICE): not made")
    else:
        got = pinned_run("nocap", drop)
        if got:
            nice_now, sc, err = got
            check(nice_now == own_nice, "H1 without CAP_SYS_NICE: the command's nice %d, want the bench's %d"
                  % (nice_now, own_nice))
            check(sc.get("nice_applied") is False, "H1 without CAP_SYS_NICE: nice_applied %r" % sc.get("nice_applied"))
            check("nice -10" not in sc["description"].replace("nice -10 not applied", ""),
                  "H1 without CAP_SYS_NICE: the description claims nice -10: %r" % sc["description"])
            check("not applied" in sc["description"], "H1 without CAP_SYS_NICE: description %r" % sc["description"])
            check("cannot lower the nice value" in err and "CAP_SYS_NICE" in err and "RLIMIT_NICE" in err,
                  "H1 without CAP_SYS_NICE: no warning naming why and the fix: %r" % err[-800:])
            check("runs pinned to CPUs %s at" % pin in err, "H1 without CAP_SYS_NICE: %r" % err[-800:])
        # Every CPU it may use: the warning must not call that "pinned" (it said so before 2026-12-08).
        all_cpus = ",".join(map(str, sorted(os.sched_getaffinity(0))))
        got = pinned_run("nocap-all", drop, all_cpus) if "," in all_cpus else None
        if got:
            _, _, err = got
            check("cannot lower the nice value" in err and "(every CPU it may use: not pinned)" in err
                  and "runs pinned to" not in err, "H1 without CAP_SYS_NICE, every CPU: %r" % err[-800:])

    # M2: SIGKILL the bench while its load and a long command run.
    out = os.path.join(tmp, "m2")
    p = subprocess.Popen(bench_argv("--scenarios", "cpu", "-r", "1", "--warmup", "0.2", "--record", "off",
                                    "--load-limit", "120", "--out-dir", out, "--", "sleep", "100"),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    kids = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(kids) < 2:
        time.sleep(0.1)
        kids = children_of(p.pid)
    check(len(kids) == 2, "M2: the bench's load and command did not both start: %r" % kids)
    groups = {st[2] for st in (proc_stat(k) for k in kids) if st}
    p.send_signal(signal.SIGKILL)
    p.wait()
    left = live_in_groups(groups)
    deadline = time.monotonic() + 10
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = live_in_groups(groups)
    check(not left, "M2: processes of the killed bench's load and command still run 10 s later: %r" % left)
    for g in groups:  # the test's own clean-up when they did survive
        try:
            os.killpg(g, signal.SIGKILL)
        except OSError:
            pass

    # L4: the failing load's own words are in the run's error.
    out = os.path.join(tmp, "l4")
    r = subprocess.run(bench_argv("--scenarios", "cpu", "-r", "1", "--warmup", "0.3", "--record", "off", "--json",
                                  "--out-dir", out, "--", "true"),
                       capture_output=True, text=True, errors="replace", timeout=120,
                       env=dict(env, FAKE_LOAD_FAIL="cwd not writable %s" % TAG))
    check(r.returncode == 1, "L4: rc %d (want 1: no run produced a number)" % r.returncode)
    msg = "stress-ng: first line | stress-ng: cwd not writable %s" % TAG
    check(msg in r.stderr, "L4: the load's stderr is not in the message: %r" % r.stderr[-600:])
    check(not [n for n in os.listdir(out) if n.startswith("noise-scratch-")], "L4: scratch directory left")

    # L1: a Ctrl-C that lands while the loads stop after the last run. The load ignores SIGTERM, so
    # stopping it takes the 2 s grace before SIGKILL; the command writes a file as its last act, and
    # SIGINT comes 0.5 s after that file appears: after the command, before the loads are gone.
    out = os.path.join(tmp, "l1")
    done = os.path.join(tmp, "l1-done")
    p = subprocess.Popen(bench_argv("--scenarios", "baseline,cpu", "-r", "1", "--warmup", "0.1", "--record", "off",
                                    "--json", "--out-dir", out, "--", "sh", "-c",
                                    '[ "$(cat %s.n 2>/dev/null)" = 1 ] && touch %s; echo 1 > %s.n' % (done, done, done)),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace",
                         env=dict(env, FAKE_IGNORE_TERM="1"))
    deadline = time.monotonic() + 60
    while not os.path.exists(done) and time.monotonic() < deadline and p.poll() is None:
        time.sleep(0.05)
    check(os.path.exists(done), "L1: the cpu run's command never ran")
    time.sleep(0.5)
    p.send_signal(signal.SIGINT)
    so, se = p.communicate(timeout=60)
    check(p.returncode == 130, "L1: rc %d (want 130: interrupted)" % p.returncode)
    try:
        doc = json.loads(so)
    except ValueError:
        doc = {}
    runs = [(s["name"], s["runs_ok"]) for s in doc.get("scenarios", [])]
    check(runs == [("baseline", 1), ("cpu", 1)], "L1: runs %r, want both made" % runs)
    check(doc.get("complete") is True, "L1: every run was made, yet complete is %r" % doc.get("complete"))
    check("partial results" not in se, "L1: stderr calls a whole matrix partial: %r" % se[-400:])

    # L2: empty items, as bench threads -t 1,,2 (a binary without the check ran them: --out-dir here).
    for bad in ("baseline,", ",cpu", "baseline,,cpu"):
        refused(["bench", "interference", "--scenarios", bad, "-r", "1", "--record", "off", "--out-dir",
                 os.path.join(tmp, "l2"), "--", "true"], "--scenarios", "empty")


if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("ok")
