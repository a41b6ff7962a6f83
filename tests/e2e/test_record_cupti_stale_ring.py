"""A CUPTI recording removes the ring files of recorders that no longer run (record/cupti_ring_cleanup.*,
docs/record.md "The recorder killed"), end to end with real eBPF: a recorder SIGKILLed mid-run leaves
its ring infertrace-cupti-l-PID-0 (its command runs on); a second recording started while the first
still runs leaves the first's ring alone (the first holds its lock); a recording after the kill removes it and says so on
stderr, with a planted ring of a dead PID, and keeps a planted ring of a dead PID owned by another
user and one of the name before the lock rule. The rings live in a directory of this test
(INFERTRACE_CUPTI_RING_DIR), not the machine-wide /dev/shm: there a CUPTI recording of another
checkout, made between the kill and the last recording, removed A's ring and the planted one. Skips (77) without root/eBPF or in a build without the CUPTI library."""
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from _harness import EXE as exe, check, failures, skip  # noqa: E402

if os.geteuid() != 0:
    skip("needs root for eBPF")

# Under sudo the recorder runs its command as the invoking user (SUDO_UID, docs/record.md) and gives
# the ring to that user: that user could not write the pidfile into this test's root-owned 0700
# temporary directory (the test then failed and left its `sleep 60` behind), and the rings planted
# here, owned by root, would not be that user's to remove. Which user runs the command is not what
# this test checks: every recorder here runs as root, for root.
for var in ("SUDO_UID", "SUDO_GID"):
    os.environ.pop(var, None)


def dead_pid():
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def record(out, *cmd):
    return subprocess.run([exe, "record", "--cuda", "cupti", "-o", out, "--", *cmd], capture_output=True, text=True,
                          timeout=120)


with tempfile.TemporaryDirectory() as d:
    shm = os.path.join(d, "shm")
    os.mkdir(shm)
    os.environ["INFERTRACE_CUPTI_RING_DIR"] = shm  # every recorder below inherits it
    r = record(os.path.join(d, "probe.itrace"), "true")
    if r.returncode != 0 and "not available in this build" in r.stderr:
        skip("build without the CUPTI injection library")
    if r.returncode != 0 and ("no eBPF recorder" in r.stderr or "CAP_BPF" in r.stderr or "BTF" in r.stderr):
        skip("no eBPF here: " + r.stderr.strip())
    check(r.returncode == 0, f"a CUPTI recording runs: {r.stderr}")

    # Recorder A, killed while its command (which writes its pid, then sleeps) runs.
    pidfile = os.path.join(d, "cmd.pid")
    a = subprocess.Popen([exe, "record", "--cuda", "cupti", "-o", os.path.join(d, "a.itrace"), "--", "sh", "-c",
                          f"echo $$ > {pidfile}; exec sleep 60"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         text=True)
    ring_a = os.path.join(shm, f"infertrace-cupti-l-{a.pid}-0")
    deadline = time.time() + 30
    while time.time() < deadline and not (os.path.exists(pidfile) and os.path.getsize(pidfile) > 0):
        time.sleep(0.05)
    check(os.path.exists(ring_a), f"recorder A's ring {ring_a} exists while it runs")

    # A second recording while A runs: A's ring is a live recorder's, kept.
    r = record(os.path.join(d, "b.itrace"), "true")
    check(r.returncode == 0 and ring_a not in r.stderr and os.path.exists(ring_a),
          f"a recording during A's keeps A's ring: {r.returncode} {r.stderr}")

    a.send_signal(signal.SIGKILL)
    a.wait()
    check(os.path.exists(ring_a), "A's ring is left behind by the kill")

    # Planted: a ring of a dead PID (ours to remove) and one owned by another user (not ours).
    dead = dead_pid()
    planted = os.path.join(shm, f"infertrace-cupti-l-{dead}-7")
    foreign = os.path.join(shm, f"infertrace-cupti-l-{dead}-8")
    legacy = os.path.join(shm, f"infertrace-cupti-{dead}-9")  # the name before the lock rule: never removed
    for path in (planted, foreign, legacy):
        with open(path, "wb") as f:
            f.write(b"\0" * 8192)
    os.chown(foreign, 65534, 65534)
    try:
        r = record(os.path.join(d, "c.itrace"), "true")
        check(r.returncode == 0, f"recording after the kill: {r.returncode} {r.stderr}")
        check(not os.path.exists(ring_a) and not os.path.exists(planted), "A's ring and the planted one are removed")
        check(f"removed {ring_a} (" in r.stderr and f", the CUPTI ring of recorder {a.pid}, which no longer runs" in r.stderr,
              f"stderr names A's ring: {r.stderr!r}")
        check(f"removed {planted} (8.0 KiB), the CUPTI ring of recorder {dead}, which no longer runs" in r.stderr,
              f"stderr names the planted ring and its size: {r.stderr!r}")
        check(os.path.exists(foreign) and foreign not in r.stderr, "another user's ring is kept")
        check(os.path.exists(legacy) and legacy not in r.stderr, "a ring of the old name is kept")
    finally:
        for path in (planted, foreign, legacy, ring_a):
            if os.path.exists(path):
                os.unlink(path)
        try:
            with open(pidfile) as f:
                os.kill(int(f.read()), signal.SIGKILL)  # A's command, which outlived its recorder
        except (OSError, ValueError):
            pass

    # The ring directory must be an absolute path to a directory: the traced processes open the ring
    # by its path from their own working directory (a relative one lost every record, review FB M1).
    for bad, why in (("shm", "is not an absolute path"), (os.path.join(d, "missing"), "No such file or directory"),
                     (pidfile, "is not a directory")):
        os.environ["INFERTRACE_CUPTI_RING_DIR"] = bad
        r = record(os.path.join(d, "bad.itrace"), "true")
        check(r.returncode == 1 and "INFERTRACE_CUPTI_RING_DIR=" + bad in r.stderr and why in r.stderr,
              f"ring dir {bad!r}: rc {r.returncode} {r.stderr!r}")
    os.environ["INFERTRACE_CUPTI_RING_DIR"] = shm

if failures:
    sys.exit(1)
print("ok")
