"""`record -- CMD` exits with the command's status when the command fails by itself (as `time` and
strace do): N for `exit N`, 128+S when a signal S kills it; 0 when it succeeds or when record was
told to stop (--duration; SIGINT or SIGTERM to record's process group, whichever of record and the
command sees it first). Each recording is complete either way (END record: ingest reads it without the
"incomplete" note). Needs root and kernel BTF (skipped otherwise)."""
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import EXE, check, failures, run, skip  # noqa: E402

if os.geteuid() != 0 or not os.path.exists("/sys/kernel/btf/vmlinux"):
    skip("needs root and /sys/kernel/btf/vmlinux")
os.environ.pop("SUDO_UID", None)
os.environ.pop("SUDO_GID", None)

CASES = [  # (command, extra record options, expected exit status, how record names the command's end)
    (["/bin/true"], [], 0, None),
    (["/bin/false"], [], 1, "the command exited with status 1"),
    (["sh", "-c", "exit 7"], [], 7, "the command exited with status 7"),
    (["sh", "-c", "kill -9 $$"], [], 137, "the command was killed by signal 9 (SIGKILL)"),
    # The same status from an exit is not called a kill.
    (["sh", "-c", "exit 137"], [], 137, "the command exited with status 137"),
    # record's own stop: the summary says what ended the command (record's SIGTERM), the status is 0.
    (["sleep", "5"], ["--duration", "0.5"], 0, None),
]

with tempfile.TemporaryDirectory() as tmp:
    for i, (cmd, extra, want, said) in enumerate(CASES):
        rec = os.path.join(tmp, "r%d.itrace" % i)
        r = run("record", "--cuda", "uprobe", "--events", "sched", *extra, "-o", rec, "--", *cmd, timeout=120)
        if i == 0 and r.returncode != 0:
            if "no eBPF recorder" in r.stderr or "CAP_BPF" in r.stderr or "BTF" in r.stderr or "tracefs" in r.stderr:
                skip("recorder cannot run here: " + r.stderr.strip()[:200])
        what = " ".join(extra + cmd)
        check(r.returncode == want, "%s: rc %d, want %d: %s" % (what, r.returncode, want, r.stderr.strip()[-300:]))
        check(("record exits with %d" % want in r.stderr) == (want != 0), "%s: stderr: %s" % (what, r.stderr.strip()[-300:]))
        check(said is None or said + ": record exits with" in r.stderr, "%s: stderr lacks %r: %s" % (what, said, r.stderr.strip()[-300:]))
        killed = "killed by signal" in (said or "") or "--duration" in extra
        check((", killed by signal" in r.stderr) == killed, "%s: summary line: %s" % (what, r.stderr.strip()[-300:]))
        i_ = run("ingest", rec)
        check(i_.returncode == 0 and "incomplete" not in i_.stderr, "%s: recording not complete: %s" % (what, i_.stderr.strip()))

    # Ctrl-C and `timeout` signal the whole process group: record and the command get the signal
    # together, and which of them reacts first is a race. Once record got a stop signal, the
    # command's status is not passed on (record exits 0); `sleep` dies of SIGINT at once (status
    # 130), the side of the race that used to make record exit 130. Repeated, since one run may
    # fall on either side.
    def children_of(pid):
        """Record's child pids: from /proc/PID/task/PID/children where the kernel has it
        (CONFIG_PROC_CHILDREN), else by the parent pid in every /proc/N/stat."""
        try:
            with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
                return f.read().split()
        except FileNotFoundError:
            pass
        kids = []
        for n in os.listdir("/proc"):
            if not n.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % n) as f:
                    fields = f.read().rsplit(")", 1)[1].split()  # after the comm, which may hold spaces
            except (OSError, IndexError):
                continue
            if int(fields[1]) == pid:  # state, then ppid
                kids.append(n)
        return kids

    def running_command(pid, comm):
        """Whether record (pid) has a child that has exec'd `comm`: the command runs and is traced."""
        try:
            for k in children_of(pid):
                with open("/proc/%s/comm" % k) as f:
                    if f.read().strip() == comm:
                        return True
        except OSError:
            pass
        return False

    for sig in (signal.SIGINT, signal.SIGTERM):
        for attempt in range(8):
            rec = os.path.join(tmp, "sig%d_%d.itrace" % (sig, attempt))
            p = subprocess.Popen([EXE, "record", "--cuda", "uprobe", "--events", "sched", "-o", rec, "--", "sleep", "30"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
            deadline = time.time() + 60
            while not running_command(p.pid, "sleep") and p.poll() is None and time.time() < deadline:
                time.sleep(0.02)
            os.killpg(p.pid, sig)  # as a terminal's Ctrl-C does: record's whole process group
            try:
                out, err = p.communicate(timeout=120)
            finally:
                if p.poll() is None:  # a hung record must not outlive the test
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait()
            what = "killpg(%s) #%d" % (signal.Signals(sig).name, attempt)
            check(p.returncode == 0 and "record exits with" not in err,
                  "%s: rc %d, want 0: %s" % (what, p.returncode, err.strip()[-300:]))
            i_ = run("ingest", rec)
            check(i_.returncode == 0 and "incomplete" not in i_.stderr,
                  "%s: recording not complete: %s" % (what, i_.stderr.strip()))

if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("ok")
