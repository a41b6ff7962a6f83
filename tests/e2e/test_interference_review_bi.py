"""Review BI's findings on `bench interference`, end to end. A fake `stress-ng` on PATH stands in for
the CPU hog (it only sleeps: FAKE_LOAD_SECONDS, a value unique to this test so `ps` finds it), so
nothing here loads the machine:
- H1: a ~300 KB output line no longer crashes --metric-regex (std::regex overflowed the stack); the
  metric comes from the short line, and the skipped line is said once.
- M1: SIGHUP stops CMD and the loads and removes the cgroup and scratch dir (exit 129), and (L7)
  the interference.json written then says "complete": false, which `report` calls a partial matrix.
- M2: a load that ends while CMD runs marks that run as not counted; --load-limit below the warm-up
  plus the built-in workload is refused.
- L1: --pin-cpus outside the allowed CPUs is refused; the default PIN is a CPU of the affinity mask.
- L4: a cgroup a killed run left (its PID gone) is removed at the start; a live run's stays.
- L6: a run's wall time ends when the command exits, not when a background child closes its output.
- L5: fio's scratch files are laid out once per experiment (a fake fio as well).
- M3 (root, eBPF): with recording, the metric is the command's number, not record's summary's."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import EXE, check, failures, run  # noqa: E402

TAG = "%d.25" % (300 + os.getpid() % 1000)  # the fake load's `sleep` argument: unique to this test


def fake_loads_alive(tag=TAG):
    out = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    return [l for l in out.splitlines() if ("sleep " + tag) in l]


def cpuset_roots():
    """The v2 hierarchy when its cpuset controller is on, and the v1 cpuset one (as the bench looks)."""
    roots = []
    with open("/proc/self/mounts") as f:
        for line in f:
            dev, mnt, typ, opts = line.split()[:4]
            if typ == "cgroup2":
                try:
                    with open(os.path.join(mnt, "cgroup.controllers")) as c:
                        if "cpuset" in c.read().split():
                            roots.append(mnt)
                except OSError:
                    pass
            elif typ == "cgroup" and "cpuset" in opts.split(","):
                roots.append(mnt)
    return roots


def leftover_cgroups(pid):
    return [os.path.join(r, n) for r in cpuset_roots() for n in os.listdir(r) if n.startswith("infertrace-noise-%d-" % pid)]


with tempfile.TemporaryDirectory() as tmp:
    fake_bin = os.path.join(tmp, "fakebin")
    os.makedirs(fake_bin)
    with open(os.path.join(fake_bin, "stress-ng"), "w") as f:
        f.write('#!/bin/sh\nexec sleep "${FAKE_LOAD_SECONDS:-%s}"\n' % TAG)
    os.chmod(os.path.join(fake_bin, "stress-ng"), 0o755)
    env = dict(os.environ, PATH=fake_bin + ":" + os.environ["PATH"])

    def bench(*args, timeout=300, extra_env=None):
        return subprocess.run([EXE, "bench", "interference", *args], capture_output=True, text=True, errors="replace",
                              timeout=timeout, env=dict(env, **(extra_env or {})))

    # H1: the long line last (it holds a match too: 9.0, which is not taken) and a long line of dots
    # before the metric's line. 300,000 characters: ten times what crashed the whole-output search.
    long_last = "print('tok/s: 5.0'); print('tok/s: 9.0 ' + 'a' * 300000)"
    r = bench("--scenarios", "baseline,cpu", "-r", "1", "--warmup", "0.2", "--record", "off", "--json",
              "--metric-regex", r"tok/s: ([0-9.]+)(.*)", "--out-dir", os.path.join(tmp, "h1"), "--",
              sys.executable, "-c", long_last)
    check(r.returncode == 0, "H1 long last line: rc %d: %s" % (r.returncode, r.stderr[-500:]))
    if r.returncode == 0:
        doc = json.loads(r.stdout)
        metrics = [run_["metric"] for s in doc["scenarios"] for run_ in s["runs"]]
        check(metrics == [5.0, 5.0], "H1 metrics %r, want [5.0, 5.0] (the short line's)" % metrics)
        check(r.stderr.count("longer than 2048 characters") == 1,
              "H1: the skipped long line is not said once: %r" % r.stderr[-800:])
    dots = "import sys; sys.stdout.write('loading' + '.' * 300000 + '\\n5.0 tok/s\\n')"
    r = bench("--scenarios", "baseline", "-r", "1", "--warmup", "0", "--record", "off", "--json",
              "--metric-regex", r"([0-9.]+) tok/s", "--out-dir", os.path.join(tmp, "h1b"), "--", sys.executable, "-c", dots)
    check(r.returncode == 0 and json.loads(r.stdout)["scenarios"][0]["throughput"] == 5.0,
          "H1 dots: rc %d: %s" % (r.returncode, r.stderr[-500:]))

    # M1 + L7: a hang-up during the second scenario's run. With root and 2+ CPUs that is isolated
    # (its cpuset cgroup must go too), else cpu.
    isolated = os.geteuid() == 0 and len(os.sched_getaffinity(0)) >= 2 and cpuset_roots()
    second = "isolated" if isolated else "cpu"
    out_dir = os.path.join(tmp, "hup")
    cmd_tag = "%d.5" % (20 + os.getpid() % 50)  # the command's sleep, seconds: over 20, so it is still running
    p = subprocess.Popen([EXE, "bench", "interference", "--scenarios", "baseline," + second, "-r", "2", "--warmup",
                          "0.3", "--record", "off", "--out-dir", out_dir, "--json", "--", "sh", "-c",
                          'if [ -e "$MARK" ]; then exec sleep %s; fi; touch "$MARK"; echo done' % cmd_tag],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=dict(env, MARK=os.path.join(tmp, "first-run-done")))
    deadline = time.time() + 60
    while not fake_loads_alive() and p.poll() is None and time.time() < deadline:
        time.sleep(0.1)
    # The load runs: 0.3 s of warm-up, then the command's long sleep.
    time.sleep(1.5)
    p.send_signal(signal.SIGHUP)
    out, err = p.communicate(timeout=120)
    check(p.returncode == 129, "M1 SIGHUP: exit %s, want 129: %s" % (p.returncode, err[-500:]))
    time.sleep(0.5)
    check(not fake_loads_alive(), "M1: loads left after SIGHUP: %r" % fake_loads_alive())
    check(not fake_loads_alive(cmd_tag), "M1: the command left after SIGHUP: %r" % fake_loads_alive(cmd_tag))
    check(not leftover_cgroups(p.pid), "M1: cgroups left: %r" % leftover_cgroups(p.pid))
    check(not os.path.exists(os.path.join(out_dir, "noise-scratch-%d" % p.pid)), "M1: scratch dir left")
    doc_path = os.path.join(out_dir, "interference.json")
    check(os.path.exists(doc_path), "L7: no interference.json after the interrupt (the baseline run had a number)")
    if os.path.exists(doc_path):
        with open(doc_path) as f:
            doc = json.load(f)
        check(doc.get("complete") is False, "L7: complete is %r, want false" % doc.get("complete"))
        html = os.path.join(tmp, "hup.html")
        r = run("report", doc_path, "-o", html)
        check(r.returncode == 0 and "is partial" in r.stdout + r.stderr, "L7: report does not say partial: rc %d %r"
              % (r.returncode, (r.stdout + r.stderr)[-500:]))
        if os.path.exists(html):
            with open(html) as f:
                check("Partial matrix" in f.read(), "L7: the page does not say partial")

    # M2: the load lives 1 s, the command 6.5 s (5.5 s after it ended): not counted, with the reason.
    r = bench("--scenarios", "baseline,cpu", "-r", "1", "--warmup", "0.2", "--record", "off", "--json",
              "--out-dir", os.path.join(tmp, "m2"), "--", "sleep", "6.5", extra_env={"FAKE_LOAD_SECONDS": "1"})
    check(r.returncode == 0, "M2: rc %d: %s" % (r.returncode, r.stderr[-500:]))
    if r.returncode == 0:
        cpu = json.loads(r.stdout)["scenarios"][1]
        err_ = cpu["runs"][0]["error"] or ""
        check(cpu["runs_ok"] == 0 and "ended" in err_ and "while the command ran" in err_,
              "M2: cpu run counted or no reason: runs_ok %d, error %r" % (cpu["runs_ok"], err_))
    # A load that outlives the command: counted.
    r = bench("--scenarios", "baseline,cpu", "-r", "1", "--warmup", "0.2", "--record", "off", "--json",
              "--out-dir", os.path.join(tmp, "m2b"), "--", "true")
    check(r.returncode == 0 and json.loads(r.stdout)["scenarios"][1]["runs_ok"] == 1, "M2 control: %s" % r.stderr[-300:])
    check(not fake_loads_alive(), "M2: loads left: %r" % fake_loads_alive())
    # The built-in workload's length is known: 0.6 + 0.5 s > 1 s is refused, 0 + 0.5 s is not.
    r = bench("--scenarios", "baseline", "-r", "1", "--record", "off", "--load-limit", "1", "--warmup", "0.6",
              "--workload-seconds", "0.5", "--out-dir", os.path.join(tmp, "m2c"))
    check(r.returncode == 2 and "--load-limit 1 is shorter than" in r.stderr, "M2 refusal: rc %d %r" % (r.returncode, r.stderr))
    r = bench("--scenarios", "baseline", "-r", "1", "--record", "off", "--load-limit", "1", "--warmup", "0",
              "--workload-seconds", "0.5", "--out-dir", os.path.join(tmp, "m2d"))
    check(r.returncode == 0, "M2: a load limit that covers the run refused: rc %d %r" % (r.returncode, r.stderr))

    # L5: fio's files are laid out once per experiment, not once per run (a fake fio notes whether its
    # file was there already); the scratch directory is gone afterwards.
    with open(os.path.join(fake_bin, "fio"), "w") as f:
        f.write('#!/bin/sh\nfor a in "$@"; do case "$a" in --directory=*) d="${a#--directory=}";; esac; done\n'
                'if [ -e "$d/laid-out" ]; then echo kept >> "$FIO_LOG"; else echo new >> "$FIO_LOG"; : > "$d/laid-out"; fi\n'
                'exec sleep %s\n' % TAG)
    os.chmod(os.path.join(fake_bin, "fio"), 0o755)
    fio_log = os.path.join(tmp, "fio.log")
    l5_dir = os.path.join(tmp, "l5")
    r = bench("--scenarios", "baseline,disk", "-r", "3", "--warmup", "0.2", "--record", "off", "--out-dir", l5_dir,
              "--", "true", extra_env={"FIO_LOG": fio_log})
    check(r.returncode == 0, "L5: rc %d %r" % (r.returncode, r.stderr[-500:]))
    with open(fio_log) as f:
        seen = f.read().split()
    check(seen == ["new", "kept", "kept"], "L5: fio found its files %r, want laid out once" % seen)
    check(not [n for n in os.listdir(l5_dir) if n.startswith("noise-scratch-")], "L5: scratch dir left")
    # Review TI L7: removing fio's files can take a minute (a `discard` mount): said on stderr first.
    check("removing the disk load's scratch files" in r.stderr, "TI L7: no word before the removal: %r" % r.stderr[-500:])
    check(not fake_loads_alive(), "L5: loads left: %r" % fake_loads_alive())

    # L6: a background child that holds the output pipe 12 s is not the command's wall time (it exits
    # at once: its wall is far below 12 - 6 s, the old wall at least 12 s).
    r = bench("--scenarios", "baseline", "-r", "1", "--warmup", "0", "--record", "off", "--json",
              "--out-dir", os.path.join(tmp, "l6"), "--", "sh", "-c", "sleep 12 & echo 'v: 1'")
    check(r.returncode == 0, "L6: rc %d %r" % (r.returncode, r.stderr[-300:]))
    if r.returncode == 0:
        wall = json.loads(r.stdout)["scenarios"][0]["runs"][0]["wall_s"]
        check(wall < 6, "L6: wall %r s includes the background child's 12 s" % wall)

    # L1: a CPU this machine does not have; and the default PIN under a one-CPU affinity mask is that
    # CPU (the pinned command reports its own allowed list as the metric).
    r = bench("--scenarios", "pinned", "-r", "1", "--record", "off", "--pin-cpus", str(os.cpu_count() + 5),
              "--out-dir", os.path.join(tmp, "l1"), "--", "true")
    check(r.returncode == 2 and "not among the CPUs" in r.stderr, "L1 --pin-cpus: rc %d %r" % (r.returncode, r.stderr))
    first = min(os.sched_getaffinity(0))
    r = subprocess.run(["taskset", "-c", str(first), EXE, "bench", "interference", "--scenarios", "pinned", "-r", "1",
                        "--warmup", "0", "--record", "off", "--json", "--out-dir", os.path.join(tmp, "l1b"),
                        "--metric-regex", r"Cpus_allowed_list:\s*([0-9]+)", "--", "grep", "Cpus_allowed_list",
                        "/proc/self/status"], capture_output=True, text=True, timeout=120, env=env)
    check(r.returncode == 0, "L1 default pin: rc %d %r" % (r.returncode, r.stderr))
    if r.returncode == 0:
        got = json.loads(r.stdout)["scenarios"][0]["throughput"]
        check(got == first, "L1: the pinned command ran on CPU %r, outside the mask {%d}" % (got, first))

    # L4 (root, a cpuset hierarchy): a dead PID's cgroup goes, a live one's stays.
    if os.geteuid() == 0 and cpuset_roots():
        root = cpuset_roots()[0]
        dead = subprocess.Popen(["true"])
        dead.wait()
        if not os.path.exists("/proc/%d" % dead.pid):
            stale = os.path.join(root, "infertrace-noise-%d-isolated" % dead.pid)
            live = os.path.join(root, "infertrace-noise-%d-isolated" % os.getpid())
            os.mkdir(stale)
            os.mkdir(live)
            try:
                r = bench("--scenarios", "baseline", "-r", "1", "--warmup", "0", "--record", "off",
                          "--out-dir", os.path.join(tmp, "l4"), "--", "true")
                check(r.returncode == 0, "L4: rc %d %r" % (r.returncode, r.stderr))
                check(not os.path.exists(stale), "L4: the dead run's cgroup %s stayed" % stale)
                check("removed the cgroup " + stale in r.stderr, "L4: its removal not said: %r" % r.stderr)
                check(os.path.exists(live), "L4: a running process's cgroup was removed")
            finally:
                for d in (stale, live):
                    if os.path.exists(d):
                        os.rmdir(d)

    # M3 (recording): the command prints "work ran: 123.5"; record's summary says "command ran: X s".
    if os.geteuid() == 0 and os.path.exists("/sys/kernel/btf/vmlinux"):
        rec_dir = os.path.join(tmp, "m3")
        r = bench("--scenarios", "baseline", "-r", "1", "--warmup", "0", "--record", "on", "--json",
                  "--metric-regex", r"ran: ([0-9.]+)", "--out-dir", rec_dir, "--", "sh", "-c", "echo 'work ran: 123.5'")
        if "bench interference --record on:" not in r.stderr:  # else this build cannot record
            check(r.returncode == 0, "M3: rc %d %r" % (r.returncode, r.stderr[-500:]))
            if r.returncode == 0:
                got = json.loads(r.stdout)["scenarios"][0]["runs"][0]["metric"]
                check(got == 123.5, "M3: metric %r, want the command's 123.5" % got)
                summary = os.path.join(rec_dir, "baseline-1.itrace.summary.txt")
                check(os.path.exists(summary), "M3: no record summary file")
                if os.path.exists(summary):
                    with open(summary) as f:
                        check("command ran:" in f.read(), "M3: the summary file lacks record's summary")

if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("ok")
