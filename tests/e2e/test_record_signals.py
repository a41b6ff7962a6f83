"""record's own signals, as a wrapper of the command (review SG; docs/record.md "Signals and the command"):
- M2: an outside stop is never lost behind the command's own signal to its group: record SIGSTOPped,
  this test's SIGTERM (outside) and then the command's `kill -INT $PPID` (its tree) both pending; the
  handlers run the later-numbered one first, so the tree's SIGINT came last and used to hide the stop
  (the recording went on to the command's end);
- M3: SIGUSR1/SIGUSR2/SIGALRM to the process group record shares with the command (its `kill -USR1 0`,
  a scheduler's `kill -USR1 -PGID`) are the command's: record used to die of them (no END record, the
  command running on untraced); Ctrl-\\ (SIGQUIT) on a terminal is a stop like Ctrl-C;
- L1: SIGPIPE: an -o FIFO whose reader exits is a failed write (exit 1, "Broken pipe"), a closed stderr
  pipe costs nothing (both used to kill record by SIGPIPE); the command keeps its own dispositions;
- L2: a zombie of the command's tree (its parent, here a subreaper, does not reap it) has ended: the
  stop does not wait the --stop-grace for it;
- L4: a terminal hang-up while record leads the session (only the leader gets the kernel's SIGHUP):
  record passes it on to the command instead of waiting the --stop-grace for a command that never got it.
Each recording's END record and META duration_s are read from the file here, by a parser of the
documented format (docs/recording-format.md). Skips (77) when not root or without kernel BTF."""
import json
import os
import pty
import shlex
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import EXE, check, failures, skip  # noqa: E402
from _record_prereq import (RECORD_BASE, file_meta, pty_run, require_recorder, skip_unless_recording,  # noqa: E402
                            start_recording, wait_line)

require_recorder()
BASE = RECORD_BASE


def recording(path):
    """(ends with an END record, META) of an .itrace file: header, then u32 type | u32 length | payload
    records; END is type 9 with no payload, META type 1 (u32 key length, key, value)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return False, {}
    if len(data) < 16 or data[:8] != b"INFTRACE":
        return False, {}
    off, last, meta = struct.unpack_from("<I", data, 12)[0], None, {}
    while off + 8 <= len(data):
        typ, n = struct.unpack_from("<II", data, off)
        if off + 8 + n > len(data):
            return False, meta  # a record cut off: no clean end
        if typ == 1:
            k = struct.unpack_from("<I", data, off + 8)[0]
            meta[data[off + 12:off + 12 + k].decode(errors="replace")] = data[off + 12 + k:off + 8 + n].decode(errors="replace")
        last = (typ, n)
        off += 8 + n
    return off == len(data) and last == (9, 0), meta


def proc_status(pid, field):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


with tempfile.TemporaryDirectory() as tmp:
    # M2: an outside SIGTERM, then the command's SIGINT to record, both pending while record is stopped.
    go = os.path.join(tmp, "go")
    p, rec = start_recording(tmp, "m2", ["sh", "-c", f'trap "" INT; echo up; while [ ! -e {go} ]; do sleep 0.05; done; '
                                          'kill -INT $PPID; sleep 30; echo cmd-done'], "--stop-grace", "30")
    check(wait_line(p) == "up", "m2: the command did not start")
    os.kill(p.pid, signal.SIGSTOP)
    deadline = time.monotonic() + 30
    while not proc_status(p.pid, "State").startswith("T") and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(p.pid, signal.SIGTERM)
    open(go, "w").close()
    want = (1 << (signal.SIGINT - 1)) | (1 << (signal.SIGTERM - 1))
    while int(proc_status(p.pid, "ShdPnd") or "0", 16) & want != want and time.monotonic() < deadline:
        time.sleep(0.01)
    both = int(proc_status(p.pid, "ShdPnd") or "0", 16) & want == want
    t = time.monotonic()
    os.kill(p.pid, signal.SIGCONT)
    out, err = p.communicate(timeout=120)
    took = time.monotonic() - t
    skip_unless_recording(p.returncode, err)
    check(both, "m2: the two signals were never pending together (the scenario did not happen)")
    check(p.returncode == 0 and "cmd-done" not in out and took < 20,
          f"m2: the outside SIGTERM was lost: rc {p.returncode}, ended {took:.1f} s after SIGCONT, stdout {out!r}: {err[-500:]}")
    check("ignored signal 2 (SIGINT) from process" in err, f"m2: the command's own SIGINT was not said: {err[-500:]}")

    # M3: the command signals its own group (record's too) with USR1, USR2, ALRM, traps it and goes on
    # for 2 s: record stays, the recording covers the whole run and ends cleanly.
    for name in ("USR1", "USR2", "ALRM"):
        p, rec = start_recording(tmp, "grp" + name, ["sh", "-c", f'trap "echo got-{name}" {name}; sleep 0.5; kill -{name} 0; '
                                                     'sleep 2; echo training-done'])
        out, err = p.communicate(timeout=120)
        skip_unless_recording(p.returncode, err)
        ended, meta = recording(rec)
        check(p.returncode == 0, f"{name} to the group: record rc {p.returncode}: {err[-400:]}")
        check(out == f"got-{name}\ntraining-done\n", f"{name} to the group: the command printed {out!r}")
        check(ended and float(meta.get("duration_s", "0")) >= 2.5,
              f"{name} to the group: END {ended}, duration_s {meta.get('duration_s')} (the command ran >= 2.5 s)")

    # M3, from outside: a scheduler signals every process of the job's group (`kill -USR1 -PGID`).
    p, rec = start_recording(tmp, "sched", ["sh", "-c", 'trap "echo got-USR1" USR1; echo up; i=0; '
                                             'while [ $i -lt 25 ]; do sleep 0.1; i=$((i+1)); done; echo training-done'])
    check(wait_line(p) == "up", "scheduler USR1: the command did not start")
    os.killpg(p.pid, signal.SIGUSR1)
    out, err = p.communicate(timeout=120)
    ended, meta = recording(rec)
    check(p.returncode == 0 and "training-done" in out and ended,
          f"scheduler USR1: rc {p.returncode}, END {ended}, stdout {out!r}: {err[-400:]}")

    # M3: Ctrl-\ on a terminal (SIGQUIT to the foreground group) is a stop: the command's own handler
    # finishes, record exits 0 with a complete recording.
    quit_rec = os.path.join(tmp, "quit.itrace")
    QUITTER = ("import signal, sys, time\n"
               "def q(*_):\n    time.sleep(1)\n    print('quit-seen', flush=True)\n    sys.exit(0)\n"
               "signal.signal(signal.SIGQUIT, q)\nprint('ready', flush=True)\ntime.sleep(60)\n")
    status, said, took = pty_run(BASE + ["-o", quit_rec, "--stop-grace", "30", "--", sys.executable, "-c", QUITTER],
                                 b"ready", b"\x1c")
    ended, _ = recording(quit_rec)
    check(os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 and ended,
          f"ctrl-\\: record status {status} (exit {os.waitstatus_to_exitcode(status)}), END {ended}: {said[-500:]}")
    check("quit-seen" in said and "command exit status: 0" in said and "waiting up to 30 s" in said,
          f"ctrl-\\: the command's own handler, or the wait for it: {said[-600:]}")

    # L1 a: an -o FIFO whose reader reads one byte and exits: the next write fails (EPIPE), said.
    fifo = os.path.join(tmp, "out.fifo")
    os.mkfifo(fifo)
    reader = subprocess.Popen(["head", "-c", "1", fifo], stdout=subprocess.DEVNULL)
    r = subprocess.run(BASE + ["-o", fifo, "--", "sleep", "2"], capture_output=True, text=True, timeout=120,
                       start_new_session=True)
    reader.wait(timeout=60)
    check(r.returncode > 0 and "Broken pipe" in r.stderr,
          f"fifo reader gone: record rc {r.returncode} (a signal's death when negative): {r.stderr[-400:]}")

    # L1 b: stderr is a pipe nobody reads any more; the command's SIGINT to record makes record warn.
    rd, wr = os.pipe()
    os.close(rd)
    p, rec = start_recording(tmp, "closed", ["sh", "-c", "sleep 0.3; kill -INT $PPID; sleep 1"], stderr=wr)
    os.close(wr)
    p.communicate(timeout=120)
    ended, meta = recording(rec)
    check(p.returncode == 0 and ended, f"closed stderr pipe: record rc {p.returncode}, END {ended}")

    # The command's ignored and blocked signals are its caller's, whatever record ignores itself.
    show = ["sh", "-c", "grep -E '^Sig(Ign|Blk):' /proc/self/status"]
    alone = subprocess.run(show, capture_output=True, text=True, timeout=60).stdout
    p, rec = start_recording(tmp, "disp", show)
    under, err = p.communicate(timeout=120)
    check(alone.count("Sig") == 2 and under == alone, f"the command's dispositions: alone {alone!r}, under record {under!r}")

    # L2: the command's background sleep becomes a zombie of a subreaper that does not reap it.
    HELPER = ("import ctypes, json, os, subprocess, sys, time\n"
              "ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER\n"
              "t = time.monotonic()\n"
              "p = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)\n"
              "out, err = p.communicate()\n"
              "took = time.monotonic() - t\n"
              "orphan = int(out.split()[0]) if out.split() else 0\n"
              "state = ppid = ''\n"
              "try:\n"
              "    f = open('/proc/%d/stat' % orphan).read().rsplit(')', 1)[1].split()\n"
              "    state, ppid = f[0], int(f[1])\n"
              "except (OSError, IndexError):\n"
              "    pass\n"
              "while True:\n"
              "    try:\n"
              "        os.waitpid(-1, 0)\n"
              "    except ChildProcessError:\n"
              "        break\n"
              "print(json.dumps({'rc': p.returncode, 'took': took, 'err': err, 'state': state, 'ppid': ppid, 'me': os.getpid()}))\n")
    h = subprocess.run([sys.executable, "-c", HELPER] + BASE + ["-o", os.path.join(tmp, "zombie.itrace"), "--duration", "1",
                       "--stop-grace", "30", "--", "sh", "-c", "sleep 60 & echo $!; wait"],
                       capture_output=True, text=True, timeout=300, start_new_session=True)
    try:
        z = json.loads(h.stdout)
    except ValueError:
        z = {}
        check(False, f"zombie: helper {h.returncode} {h.stdout[-300:]} {h.stderr[-300:]}")
    if z:
        check(z["state"] == "Z" and z["ppid"] == z["me"],
              f"zombie: the sleep was not left a zombie of the subreaper (state {z['state']!r}, parent {z['ppid']})")
        check(z["rc"] == 0 and z["took"] < 20 and "did not end within" not in z["err"],
              f"zombie: record rc {z['rc']} took {z['took']:.1f} s (--duration 1, --stop-grace 30): {z['err'][-400:]}")

    # L4: the terminal hangs up while record leads the session: the command gets SIGHUP too.
    hup_sum = os.path.join(tmp, "hup.summary")
    hup_rec = os.path.join(tmp, "hup.itrace")
    status, said, took = pty_run(BASE + ["-o", hup_rec, "--summary-file", hup_sum, "--stop-grace", "30", "--",
                                         "sh", "-c", "echo ready; exec sleep 60"], b"ready", None)
    summary = open(hup_sum).read() if os.path.exists(hup_sum) else ""
    ended, _ = recording(hup_rec)
    check(os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 and ended and took < 20,
          f"hang-up: record status {status}, END {ended}, {took:.1f} s after the hang-up (--stop-grace 30)")
    check("killed by signal 1 (SIGHUP)" in summary, f"hang-up: the command did not get SIGHUP: {summary[-400:]}")

    # Review S44 M1: a group SIGTERM (as `kill -TERM -PGID` or a job scheduler sends) that the command
    # handles by exiting at once: record got the stop too, so it exits 0 and the summary keeps the
    # command's 9 (record used to pass the 9 on: the command's end was seen before the stop).
    for n in range(3):
        p, rec = start_recording(tmp, f"grpterm{n}", ["sh", "-c", 'trap "exit 9" TERM; sleep 20 & wait'])
        deadline = time.monotonic() + 60
        while "recorded_from_ns" not in file_meta(rec) and time.monotonic() < deadline and p.poll() is None:
            time.sleep(0.1)
        time.sleep(0.5)  # the shell's trap set
        os.killpg(p.pid, signal.SIGTERM)
        _, err = p.communicate(timeout=120)
        skip_unless_recording(p.returncode, err)
        check(p.returncode == 0 and "command exit status: 9" in err,
              f"group SIGTERM handled by the command, run {n}: record rc {p.returncode} (want 0): {err[-300:]!r}")

    # Review S44 H1: record run from an interactive shell whose terminal hangs up. bash passes the
    # SIGHUP on to its job with kill() (no terminal's by its sender), then the kernel's own SIGHUP
    # follows when bash exits: one hang-up, which the command got too. It handles it (2 s, exit 5):
    # record must wait for that (status 5), neither SIGTERM it at once (7) nor SIGKILL it (137).
    bash = shutil.which("bash")
    if bash:
        for n in range(3):
            isum = os.path.join(tmp, f"ihup{n}.summary")
            line = " ".join(shlex.quote(w) for w in RECORD_BASE + [
                "-o", os.path.join(tmp, f"ihup{n}.itrace"), "--summary-file", isum, "--stop-grace", "30", "--", "sh",
                "-c", 'trap "sleep 2; exit 5" HUP; trap "exit 7" TERM; sleep 20 & wait'])
            pid, fd = pty.fork()
            if pid == 0:
                os.execv(bash, [bash, "--norc", "--noprofile", "-i"])
            time.sleep(0.5)
            os.write(fd, (line + " 2>" + shlex.quote(os.path.join(tmp, f"ihup{n}.err")) + "\n").encode())
            # Hang up once the command runs: record writes its window's start at the release.
            irec, deadline = os.path.join(tmp, f"ihup{n}.itrace"), time.monotonic() + 60
            while "recorded_from_ns" not in file_meta(irec) and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(0.5)  # the shell's `trap`s set
            os.close(fd)  # the hang-up
            os.waitpid(pid, 0)
            deadline = time.monotonic() + 40
            summary = ""
            while time.monotonic() < deadline:
                summary = open(isum).read() if os.path.exists(isum) else ""
                if "command exit status" in summary:
                    break
                time.sleep(0.2)
            check("command exit status: 5" in summary,
                  f"interactive shell's hang-up, run {n}: want the command's own exit 5: {summary[-300:]!r}")

if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("ok")
