"""Who holds a flock on record's -o file, named as what it is (review S44 L4), with real processes:
- an exclusive lock of a process that is no recorder (python's fcntl.flock) is "the file is locked
  (flock, exclusive) by NAME (pid N)", not "another recording into this file is in progress", also
  when that process calls itself infertrace (its comm: a name anyone may take);
- a reader's shared lock (util-linux `flock -s F CMD`, fcntl.flock(f, LOCK_SH)) is "the file is
  locked (flock, shared: a read lock) by NAME (pid N), which is reading it": record would truncate
  the file it is reading. Before, it was found only at the open, after the probes had loaded, as
  "another recording ... most likely".
Each refusal: exit 1 at the command-line check, the command never run, the file as it was. A real
second recorder is still "another recording" with the first one's pid
(tests/e2e/test_record_output_file.py, H1). Needs only a build with the record verb: the check comes
before the privilege and BTF checks."""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import EXE, check, failures, skip  # noqa: E402

if " record" not in subprocess.run([EXE, "record", "--help"], capture_output=True, text=True).stdout:
    skip("this build has no record verb")

# A process holding a lock on a file, under a name of its choice (its comm, PR_SET_NAME), until its
# stdin closes; it says "locked" once the lock is taken.
HOLDER = r"""
import ctypes, fcntl, sys
name, how, path = sys.argv[1:4]
ctypes.CDLL(None).prctl(15, name.encode(), 0, 0, 0)
f = open(path, "rb")
fcntl.flock(f, fcntl.LOCK_EX if how == "exclusive" else fcntl.LOCK_SH)
print("locked", flush=True)
sys.stdin.read()
"""


def held(argv):
    """Starts a lock holder; (the process, whether it said it holds the lock)."""
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    return p, p.stdout.readline() == "locked\n"


def refused_while_held(case, argv, out, expected, tmp):
    with open(out, "wb") as f:
        f.write(b"INFTRACE" + b"an earlier recording's bytes" * 10)
    with open(out, "rb") as f:
        before = f.read()
    marker = os.path.join(tmp, "ran-" + case.replace(" ", "-"))
    holder, locked = held(argv)
    try:
        check(locked, f"{case}: the holder never took its lock")
        r = subprocess.run([EXE, "record", "-o", out, "--", "touch", marker], capture_output=True, text=True,
                           timeout=300)
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)
    said = expected.format(out=out, pid=holder.pid)
    check(r.returncode == 1 and said in r.stderr, f"{case}: rc {r.returncode}, expected 1 and {said!r}: {r.stderr}")
    check("another recording" not in r.stderr, f"{case}: called another recording: {r.stderr}")
    check(not os.path.exists(marker), f"{case}: the command ran")
    with open(out, "rb") as f:
        check(f.read() == before, f"{case}: the file was changed")


with tempfile.TemporaryDirectory() as tmp:
    out = os.path.join(tmp, "run.itrace")
    py = [sys.executable, "-c", HOLDER]
    exclusive = ("record: -o {out}: the file is locked (flock, exclusive) by %s (pid {pid}); recording would "
                 "truncate the file under it")
    shared = ("record: -o {out}: the file is locked (flock, shared: a read lock) by %s (pid {pid}), which is "
              "reading it; recording would truncate the file it is reading")
    refused_while_held("exclusive lock of python", py + ["lockholder", "exclusive", out], out,
                       exclusive % "lockholder", tmp)
    refused_while_held("exclusive lock of a process named infertrace", py + ["infertrace", "exclusive", out], out,
                       exclusive % "infertrace", tmp)
    refused_while_held("shared lock of python", py + ["reader", "shared", out], out, shared % "reader", tmp)
    if shutil.which("flock"):  # util-linux: the flock process takes the lock and waits for its command
        refused_while_held("flock -s", ["flock", "-s", out, "sh", "-c", "echo locked; exec cat"], out,
                           shared % "flock", tmp)
    else:
        print("note: no util-linux flock here; its case is not run")

if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("ok")
