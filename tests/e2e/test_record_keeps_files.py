"""`record` refuses a bad command line before it opens its output, so an existing file survives
every usage error: a command that cannot run, a dead --pid, an -o that is the command's executable
or a --lib file, an existing file that is not a recording, or --stop-grace with --pid. These checks come before the
privilege checks, so this test needs no root; a build without the recorder is skipped."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import check, failures, run, skip  # noqa: E402

with tempfile.TemporaryDirectory() as tmp:
    good = os.path.join(tmp, "good.itrace")
    earlier = b"INFTRACE" + bytes(range(256)) * 4  # stands for an earlier recording: only its header is read
    with open(good, "wb") as f:
        f.write(earlier)
    r = run("record", "-o", good, "--", "/nonexistent/cmd")
    if "no eBPF recorder" in r.stderr:
        skip("this build has no recorder")

    def unchanged(path, data, what):
        with open(path, "rb") as f:
            check(f.read() == data, what + ": the existing file was changed")

    check(r.returncode == 1 and "cannot run /nonexistent/cmd" in r.stderr,
          "missing command: rc %d: %s" % (r.returncode, r.stderr.strip()))
    unchanged(good, earlier, "missing command")
    r = run("record", "-o", good, "--", "no-such-command-in-path-xyz")
    check(r.returncode == 1 and "cannot run no-such-command-in-path-xyz" in r.stderr,
          "command not in PATH: rc %d: %s" % (r.returncode, r.stderr.strip()))
    unchanged(good, earlier, "command not in PATH")

    dead = subprocess.Popen(["true"])
    dead.wait()
    r = run("record", "-o", good, "--pid", str(dead.pid))
    check(r.returncode == 1 and "no process with pid" in r.stderr, "dead pid: rc %d: %s" % (r.returncode, r.stderr.strip()))
    unchanged(good, earlier, "dead pid")

    mytrue = os.path.join(tmp, "mytrue")
    with open("/bin/true", "rb") as f:
        exe = f.read()
    with open(mytrue, "wb") as f:
        f.write(exe)
    os.chmod(mytrue, 0o755)
    r = run("record", "-o", mytrue, "--", mytrue)
    check(r.returncode == 2 and "command's executable" in r.stderr, "-o the command: rc %d: %s" % (r.returncode, r.stderr.strip()))
    unchanged(mytrue, exe, "-o the command")
    r = run("record", "-o", mytrue, "--lib", mytrue, "--", "/bin/true")
    check(r.returncode == 2 and "--lib" in r.stderr, "-o a --lib: rc %d: %s" % (r.returncode, r.stderr.strip()))
    unchanged(mytrue, exe, "-o a --lib")

    notes = os.path.join(tmp, "notes.txt")
    with open(notes, "wb") as f:
        f.write(b"someone's data")
    r = run("record", "-o", notes, "--", "/bin/true")
    check(r.returncode == 2 and "not a recording" in r.stderr, "-o a non-recording: rc %d: %s" % (r.returncode, r.stderr.strip()))
    unchanged(notes, b"someone's data", "-o a non-recording")

    r = run("record", "-o", tmp, "--", "/bin/true")
    check(r.returncode == 1 and "is a directory" in r.stderr, "-o a directory: rc %d: %s" % (r.returncode, r.stderr.strip()))

    # --summary-file naming the recording would replace it with the summary: refused.
    r = run("record", "-o", good, "--summary-file", os.path.join(tmp, ".", "good.itrace"), "--", "/bin/true")
    check(r.returncode == 2 and "is the recording" in r.stderr, "--summary-file = -o: rc %d: %s" % (r.returncode, r.stderr.strip()))
    unchanged(good, earlier, "--summary-file = -o")

    # ... nor another name for it, nor for the command or a --lib file (review CA M1: a hard link
    # passed the by-name check, and the summary replaced the recording).
    linked = os.path.join(tmp, "linked.itrace")
    os.link(good, linked)
    r = run("record", "-o", good, "--summary-file", linked, "--", "/bin/true")
    check(r.returncode == 2 and "--summary-file" in r.stderr and "is the recording" in r.stderr,
          "--summary-file a hard link to -o: rc %d: %s" % (r.returncode, r.stderr.strip()))
    unchanged(good, earlier, "--summary-file a hard link to -o")
    to_cmd = os.path.join(tmp, "to_cmd")
    os.symlink(mytrue, to_cmd)
    r = run("record", "-o", good, "--summary-file", to_cmd, "--", mytrue)
    check(r.returncode == 2 and "command's executable" in r.stderr, "--summary-file the command: rc %d: %s" % (
        r.returncode, r.stderr.strip()))
    unchanged(mytrue, exe, "--summary-file the command")
    r = run("record", "-o", good, "--summary-file", mytrue, "--lib", mytrue, "--", "/bin/true")
    check(r.returncode == 2 and "--lib" in r.stderr, "--summary-file a --lib: rc %d: %s" % (r.returncode, r.stderr.strip()))
    unchanged(mytrue, exe, "--summary-file a --lib")
    # A summary that cannot be written there is said before the run (CA L2: after it, and exit 0).
    for bad, why in ((os.path.join(tmp, "no", "such", "dir", "s.txt"), "No such file or directory"), (tmp, "is a directory")):
        r = run("record", "-o", good, "--summary-file", bad, "--", "/bin/true")
        check(r.returncode == 1 and "--summary-file" in r.stderr and why in r.stderr,
              "--summary-file %s: rc %d: %s" % (bad, r.returncode, r.stderr.strip()))
        unchanged(good, earlier, "--summary-file " + bad)
    if os.geteuid() == 0:
        # A write that fails at the end (a full disk): the summary on stderr after a line saying so,
        # exit 1; `-` is standard output.
        out = os.path.join(tmp, "ok.itrace")
        r = run("record", "-o", out, "--summary-file", "/dev/full", "--", "/bin/true")
        check(r.returncode == 1 and "--summary-file /dev/full not written" in r.stderr and "command exit status: 0" in r.stderr,
              "--summary-file /dev/full: rc %d: %s" % (r.returncode, r.stderr.strip()[-400:]))
        # The command keeps its stdout (review DI M1: it was pointed at stderr for the run).
        r = run("record", "-o", out, "--summary-file", "-", "--", "sh", "-c", "echo from-the-command")
        check(r.returncode == 0 and "command exit status: 0" in r.stdout and "command exit status" not in r.stderr
              and "from-the-command" in r.stdout and "from-the-command" not in r.stderr
              and not os.path.exists(os.path.join(tmp, "-")), "--summary-file -: rc %d: out %r err %r" % (
                  r.returncode, r.stdout[-300:], r.stderr[-300:]))
    # Usage errors of other options come first, as without --summary-file (review DI L4).
    r = run("record", "-o", good, "--summary-file", os.path.join(tmp, "s.txt"), "--nice", "99", "--", "no-such-command-xyz")
    check(r.returncode == 2 and "--nice" in r.stderr, "--summary-file with --nice 99: rc %d: %s" % (r.returncode, r.stderr.strip()))

    # --stop-grace has no meaning with --pid (record never ends those processes): refused, not ignored.
    r = run("record", "-o", good, "--stop-grace", "1", "--pid", str(os.getpid()))
    check(r.returncode == 2 and "--stop-grace applies to a command" in r.stderr,
          "--stop-grace with --pid: rc %d: %s" % (r.returncode, r.stderr.strip()))
    unchanged(good, earlier, "--stop-grace with --pid")

if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("ok")
