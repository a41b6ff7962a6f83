"""How `record -- CMD` stops and ends its command, against what CMD would see alone (review RX):
- a command that ignores SIGTERM: a second stop signal sends SIGKILL at once (H1: the second signal
  used to interrupt record's wait, which then exited 0 with a garbage status while the command ran
  on), and --stop-grace ends the wait for SIGTERM with SIGKILL; the command is gone when record is;
- a terminal's Ctrl-C (sent by the kernel to the whole foreground group, here through a pty) lets a
  command that shuts down gracefully finish (M3), instead of SIGTERMing it inside its handler;
- a stop ends the command's whole tree: a background child of the command does not outlive it (M5);
- a stopped (SIGSTOP) command is continued, so the stop reaches it (L6);
- the command's own signal to its process group, which record shares, is not a stop (M4): the
  recording goes on and record exits with the command's status;
- signals ignored by record's caller stay ignored for the command (M2: a shell's background job);
- a call in progress at the stop ends at it: a --duration 1 recording spans at most 1 s (M7);
- record's summary goes to stderr: the command's stdout is byte for byte its own (M6);
- the file run is the one checked (a script without #! through /bin/sh; a missing #! interpreter is
  record's error, named, before anything is recorded) (L2); through sudo, a command the invoking user may not run is record's error (L1); a
  command without `--` is refused (L4).
Then review RX2's: no "dropped" events from a command busy after the stop (H1), a tree process
ignoring SIGTERM killed after the grace (M2), a group hang-up is a stop (L2), and with --pid a
traced process's SIGTERM stops record (M1), and a stop while record loads its probes leaves an
earlier recording at -o as it was (L5).
Skips (77) when not root or without kernel BTF."""
import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import EXE, check, failures, skip  # noqa: E402
from _record_prereq import (RECORD_BASE, process_alive, pty_run, require_recorder, skip_unless_recording,  # noqa: E402
                            start_recording, wait_line)

require_recorder()
BASE = RECORD_BASE


IGNORES_TERM = "import os, signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nprint(os.getpid(), flush=True)\ntime.sleep(60)\n"

with tempfile.TemporaryDirectory() as tmp:
    # H1: two SIGTERMs, a long grace: the second one is what ends the command (SIGKILL), at once.
    p, _ = start_recording(tmp, "twice", [sys.executable, "-c", IGNORES_TERM], "--stop-grace", "100")
    pid = int(wait_line(p) or 0)
    p.send_signal(signal.SIGTERM)
    time.sleep(1)
    check(p.poll() is None and process_alive(pid), "record or the command ended on the first SIGTERM though the command ignores it")
    t = time.monotonic()
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=120)
    skip_unless_recording(p.returncode, err)
    check(time.monotonic() - t < 30, f"the second SIGTERM took {time.monotonic() - t:.1f} s to end record")
    check(p.returncode == 0, f"twice: record rc {p.returncode}: {err[-400:]}")
    check("another stop signal: sending the command SIGKILL" in err, f"twice: stderr {err[-600:]}")
    check("command exit status: 137, killed by signal 9 (SIGKILL)" in err, f"twice: status line {err[-400:]}")
    check(pid > 0 and not process_alive(pid), f"the command {pid} outlived record")

    # --stop-grace 1: one SIGTERM, then SIGKILL a second later.
    p, _ = start_recording(tmp, "grace", [sys.executable, "-c", IGNORES_TERM], "--stop-grace", "1")
    pid = int(wait_line(p) or 0)
    t = time.monotonic()
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=120)
    took = time.monotonic() - t
    check(took >= 1 and took < 60, f"grace 1 s: record ended {took:.2f} s after SIGTERM")
    check("the command did not end within 1 s of SIGTERM: sending it SIGKILL" in err, f"grace: stderr {err[-600:]}")
    check(pid > 0 and not process_alive(pid), f"the command {pid} outlived record (grace)")

    # M5: the command's background child ends with it.
    p, _ = start_recording(tmp, "tree", ["sh", "-c", "sleep 60 & echo $!; wait"], "--duration", "1")
    child = int(wait_line(p) or 0)
    out, err = p.communicate(timeout=120)
    check(p.returncode == 0, f"tree: rc {p.returncode}: {err[-400:]}")
    deadline = time.monotonic() + 10
    while child > 0 and process_alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    check(child > 0 and not process_alive(child), f"the command's background child {child} outlived the stop")

    # L6: a command that stopped itself is continued, so SIGTERM ends it.
    p, _ = start_recording(tmp, "stopped", ["sh", "-c", "echo $$; kill -STOP $$; echo resumed; sleep 60"], "--stop-grace", "30")
    pid = int(wait_line(p) or 0)
    deadline = time.monotonic() + 30
    while pid > 0 and time.monotonic() < deadline:
        with open(f"/proc/{pid}/stat") as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "T":
                break
        time.sleep(0.02)
    t = time.monotonic()
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=120)
    check(time.monotonic() - t < 20, f"a stopped command held record {time.monotonic() - t:.1f} s after SIGTERM")
    check("command exit status: 143, killed by signal 15 (SIGTERM)" in err, f"stopped: {err[-400:]}")

    # M4: the command signals its own process group (record's too) and exits 3.
    KILLPG = ("import os, signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\ntime.sleep(0.3)\n"
              "os.killpg(0, signal.SIGTERM)\ntime.sleep(0.5)\nprint('after', flush=True)\nraise SystemExit(3)\n")
    p, rec = start_recording(tmp, "killpg", [sys.executable, "-c", KILLPG])
    out, err = p.communicate(timeout=120)
    check(p.returncode == 3, f"killpg: record rc {p.returncode} (the command's 3 expected): {err[-500:]}")
    check("ignored signal 15 (SIGTERM) from process" in err and "not a stop" in err, f"killpg: stderr {err[-500:]}")
    check("left out:" not in err, f"killpg: events were left out as after a stop: {err[-500:]}")
    check(out == "after\n", f"killpg: the command's output {out!r}")

    # M2: a non-interactive shell starts its background jobs with SIGINT ignored; the command keeps that.
    def sig_ignored(cmd):
        r = subprocess.run(["bash", "-c", cmd + " & wait"], capture_output=True, text=True, timeout=120)
        return [l for l in r.stdout.splitlines() if l.startswith("SigIgn:")]
    alone = sig_ignored("grep SigIgn: /proc/self/status")
    under = sig_ignored(" ".join(BASE + ["-o", os.path.join(tmp, "ign.itrace"), "--", "grep", "SigIgn:", "/proc/self/status"]))
    check(alone and under == alone, f"ignored signals alone {alone}, under record {under}")

    # M7 and M6: a command that ignores SIGTERM for its last 2 s after a --duration 1 stop.
    p, rec = start_recording(tmp, "span", ["sh", "-c", 'trap "" TERM; echo \'{"a": 1}\'; sleep 3'], "--duration", "1")
    out, err = p.communicate(timeout=120)
    check(out == '{"a": 1}\n', f"the command's stdout is not its own: {out!r}")
    check("cut at the stop:" in err, f"span: no call cut at the stop: {err[-500:]}")
    csv_dir = os.path.join(tmp, "span_csv")
    e = subprocess.run([EXE, "export", "--csv", csv_dir, rec], capture_output=True, text=True, timeout=300)
    check(e.returncode == 0, f"span: export {e.stderr}")
    if e.returncode == 0:
        with open(os.path.join(csv_dir, "syscalls.csv")) as f:
            calls = [r for r in csv.DictReader(f)]
        with open(os.path.join(csv_dir, "switches.csv")) as f:
            switches = [int(r["ts_ns"]) for r in csv.DictReader(f)]
        # From the first syscall (the command's exec: the release; its switches before, waiting for
        # the release byte, come earlier) to the last end of anything.
        first = min(int(c["ts_ns"]) for c in calls)
        last = max([int(c["ts_ns"]) + int(c["dur_ns"] or 0) for c in calls] + switches)
        check(last - first <= 1_000_000_000, f"a --duration 1 recording spans {(last - first) / 1e9:.3f} s")

    # L2: the file checked is the file run: a script without #! runs through /bin/sh (as execvp
    # does), one whose #! interpreter is missing is named as such.
    plain = os.path.join(tmp, "plain.sh")
    with open(plain, "w") as f:
        f.write('echo "plain $1"\n')
    bad = os.path.join(tmp, "bad.sh")
    with open(bad, "w") as f:
        f.write("#!/nonexistent/interp\necho never\n")
    os.chmod(plain, 0o755)
    os.chmod(bad, 0o755)
    p, _ = start_recording(tmp, "plain", [plain, "x"])
    out, err = p.communicate(timeout=120)
    check(p.returncode == 0 and out == "plain x\n", f"script without #!: rc {p.returncode} {out!r} {err[-300:]}")
    p, bad_rec = start_recording(tmp, "bad", [bad])
    out, err = p.communicate(timeout=120)
    check(p.returncode == 1 and "its interpreter /nonexistent/interp: No such file" in err and not os.path.exists(bad_rec),
          f"missing interpreter: rc {p.returncode} {err[-300:]} (recording made: {os.path.exists(bad_rec)})")

    # L1: through sudo the command is exec'd as the invoking user: a program that user may not run
    # (this 0700 root-owned directory) is record's error (exit 1, no recording), not a child's 127.
    su = os.path.join(tmp, "su.itrace")
    r = subprocess.run(BASE + ["-o", su, "--", plain], capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, SUDO_UID="65534", SUDO_GID="65534"))
    check(r.returncode == 1 and "as uid 65534" in r.stderr and not os.path.exists(su),
          f"sudo user without access: rc {r.returncode} {r.stderr[-300:]} (recording made: {os.path.exists(su)})")

    # RX2 H1: a command that goes on making events for 2 s after the stop (its SIGTERM handler is a
    # busy shutdown) must not fill the ring into "dropped" events: the ring is drained while it ends,
    # and a loss that begins after the stop is no loss of the recording.
    BUSY_END = ("import os, signal, time\n"
                "def busy(*_):\n    t = time.monotonic()\n    while time.monotonic() - t < 2:\n        os.getppid()\n"
                "    raise SystemExit(0)\n"
                "signal.signal(signal.SIGTERM, busy)\ntime.sleep(60)\n")
    p, rec = start_recording(tmp, "busyend", [sys.executable, "-c", BUSY_END], "--duration", "1", "--expected-rate", "1000",
                   "--stop-grace", "30")
    out, err = p.communicate(timeout=120)
    check(p.returncode == 0 and "dropped (buffers full: the recorder's rings, or CUPTI's own for cupti_activity): 0\n" in err,
          f"busy end after the stop: rc {p.returncode}: {err[-700:]}")

    # RP L4: --events syscall-counts totals end at the stop (a --duration's or a signal's). The
    # command counts its own getppid calls; at SIGTERM (sent after the stop) it writes that count,
    # then makes ~2 s more of them while it ends. Counted in the kernel up to the detach, the
    # recording held about three times what was made before the stop.
    COUNTER = ("import os, signal, sys, time\nn = 0\n"
               "def end(*_):\n    open(sys.argv[1], 'w').write(str(n))\n    t = time.monotonic()\n"
               "    while time.monotonic() - t < 2:\n        os.getppid()\n    raise SystemExit(0)\n"
               "signal.signal(signal.SIGTERM, end)\nprint('up', flush=True)\n"
               "while True:\n    os.getppid()\n    n += 1\n")
    for how in ("duration", "signal"):
        made_file = os.path.join(tmp, "made-before-term-" + how)
        counted_rec = os.path.join(tmp, "counted-" + how + ".itrace")
        p = subprocess.Popen([EXE, "record", "--events", "syscall-counts", "--stop-grace", "30", "-o", counted_rec]
                             + (["--duration", "1"] if how == "duration" else [])
                             + ["--", sys.executable, "-c", COUNTER, made_file],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        if how == "signal":
            wait_line(p)
            time.sleep(1)
            p.send_signal(signal.SIGTERM)  # record alone: it stops the command itself
        out, err = p.communicate(timeout=120)
        s = subprocess.run([EXE, "sched", "--json", counted_rec], capture_output=True, text=True, timeout=120)
        if p.returncode != 0 or s.returncode != 0 or not os.path.exists(made_file):
            check(False, f"syscall counts, {how} stop: record rc {p.returncode} {err[-400:]} sched {s.stderr[-300:]}")
            continue
        made = int(open(made_file).read())
        counted = json.loads(s.stdout)["syscalls"].get("getppid", {}).get("count", 0)
        # (made + 1: the handler can run between a call and the count's increment)
        check(made > 1000 and made * 0.3 <= counted <= made + 1,
              f"{how} stop: getppid counted {counted}, made {made} before the SIGTERM (and ~2 s more after the stop)")

    # RX2 M2: a process of the tree that ignores SIGTERM gets SIGKILL after the grace, even once the
    # command itself is gone.
    p, _ = start_recording(tmp, "survivor", ["sh", "-c", '(trap "" TERM; exec sleep 60) & echo $!; wait'], "--duration", "1",
                 "--stop-grace", "1")
    survivor = int(wait_line(p) or 0)
    out, err = p.communicate(timeout=120)
    check("the command's other processes did not end within 1 s of SIGTERM: sending them SIGKILL" in err,
          f"survivor: stderr {err[-500:]}")
    deadline = time.monotonic() + 10
    while survivor > 0 and process_alive(survivor) and time.monotonic() < deadline:
        time.sleep(0.05)
    check(survivor > 0 and not process_alive(survivor), f"a tree process ignoring SIGTERM ({survivor}) outlived record")

    # RX2 L2: a hang-up of the whole group (a closed terminal) stops record; the command died of the
    # same SIGHUP (129), which is the stop's, not the command's own failure: record exits 0.
    p, _ = start_recording(tmp, "hangup", [sys.executable, "-c", "print('up', flush=True)\nimport time\ntime.sleep(60)\n"])
    wait_line(p)
    os.killpg(p.pid, signal.SIGHUP)
    out, err = p.communicate(timeout=120)
    check(p.returncode == 0, f"hang-up: record rc {p.returncode}: {err[-400:]}")

    # RX2 M1: with --pid, a stop signal sent by a traced process stops record (a script's
    # `record --pid $$ & ... kill $!`): those processes are not record's command.
    pidfile = os.path.join(tmp, "recorder.pid")
    STOPPER = ("import os, signal, time\nprint('up', flush=True)\n"
               "while not os.path.exists(%r): time.sleep(0.05)\n"
               "time.sleep(2)\nos.kill(int(open(%r).read()), signal.SIGTERM)\ntime.sleep(60)\n" % (pidfile, pidfile))
    target = subprocess.Popen([sys.executable, "-c", STOPPER], stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        wait_line(target)
        rp = subprocess.Popen(BASE + ["-o", os.path.join(tmp, "bypid.itrace"), "--pid", str(target.pid)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        with open(pidfile + ".tmp", "w") as f:
            f.write(str(rp.pid))
        os.rename(pidfile + ".tmp", pidfile)
        try:
            out, err = rp.communicate(timeout=60)
            check(rp.returncode == 0 and "not a stop" not in err, f"--pid stopped by a traced process: rc {rp.returncode} {err[-400:]}")
        except subprocess.TimeoutExpired:
            rp.kill()
            rp.communicate()
            check(False, "--pid: a SIGTERM from the traced process did not stop record within 60 s")
        check(target.poll() is None, "--pid: record signalled the attached process")
    finally:
        target.kill()
        target.wait()

    # RX2 L5: a stop while record loads its probes (its first BPF object exists, nothing is traced
    # yet) is a stop: the command is not run, nothing is recorded, record exits 128 + the signal, and
    # an earlier recording at -o is left as it was (it used to be cut to a 16-byte header: record
    # opened its output before loading, and died of the signal before its handlers were installed).
    early = os.path.join(tmp, "early.itrace")
    earlier = b"INFTRACE" + bytes(range(256)) * 4
    marker = os.path.join(tmp, "early-command-ran")

    def loading_probes(pid):
        try:
            return any(os.readlink(f"/proc/{pid}/fd/{fd}").startswith("anon_inode:bpf") for fd in os.listdir(f"/proc/{pid}/fd"))
        except OSError:
            return False

    # The start-up lasts some milliseconds: on a loaded machine the poll can sleep through all of it
    # and record then ends on its own (rc 0, the command run). That is a missed moment, not a
    # failure, and is tried again with the earlier recording put back (up to 5 times).
    for attempt in range(5):
        with open(early, "wb") as f:
            f.write(earlier)
        if os.path.exists(marker):
            os.remove(marker)
        p = subprocess.Popen(BASE + ["-o", early, "--", "touch", marker], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, start_new_session=True)
        deadline = time.monotonic() + 60
        while p.poll() is None and time.monotonic() < deadline and not loading_probes(p.pid):
            time.sleep(0.001)
        seen = p.poll() is None and loading_probes(p.pid)
        # SIGTERM, not SIGINT: a test run in a background job inherits SIGINT ignored, and record keeps it so.
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=120)
        skip_unless_recording(p.returncode, err)
        if seen or p.returncode != 0:
            break
    check(seen, f"never saw record load a BPF object in {attempt + 1} tries: rc {p.returncode} {err.strip()[-300:]}")
    if seen:
        check(p.returncode == 128 + signal.SIGTERM and "nothing recorded" in err and "SIGTERM" in err,
              f"a stop during the start-up: rc {p.returncode}, stderr {err.strip()[-400:]}")
        with open(early, "rb") as f:
            check(f.read() == earlier, "a stop during the start-up changed the earlier recording at -o")
        check(not os.path.exists(marker), "a stop during the start-up: the command ran anyway")

    # L4: the command must follow `--`.
    r = subprocess.run([EXE, "record", "-o", os.path.join(tmp, "nodash.itrace"), "true"], capture_output=True, text=True)
    check(r.returncode == 2 and "put the command after `--`" in r.stderr, f"no --: rc {r.returncode} {r.stderr}")

    # M3: Ctrl-C on a terminal reaches the command and record together (the foreground group); the
    # command's own graceful shutdown runs to its end before anything else is sent.
    GRACEFUL = ("import signal, sys, time\n"
                "def done(*_):\n    time.sleep(1)\n    print('saved', flush=True)\n    sys.exit(0)\n"
                "signal.signal(signal.SIGINT, done)\nprint('ready', flush=True)\ntime.sleep(60)\n")
    status, said, _ = pty_run(BASE + ["-o", os.path.join(tmp, "ctrlc.itrace"), "--stop-grace", "30", "--",
                                      sys.executable, "-c", GRACEFUL], b"ready", b"\x03")  # ^C: SIGINT to the foreground group
    check("ready" in said, f"ctrl-c: the command never started: {said[-400:]}")
    check("saved" in said, f"ctrl-c: the command's graceful shutdown was cut: {said[-600:]}")
    check("command exit status: 0" in said, f"ctrl-c: status {said[-400:]}")
    check(os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, f"ctrl-c: record status {status}")

if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("ok")
