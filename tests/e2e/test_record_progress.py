"""`infertrace record`'s progress line on a terminal (a pty here): rewritten in place once a second,
and erased (\\r ESC[K) before the recorder prints anything else and at the end, so that the
summary starts on a line of its own. It ended in a bare \\r and the last one in a newline: the
final "recording ..." line stayed above the summary, and an error that ended the recording while
it was shown (here: a file size limit reached) continued that line. The pty's output is replayed
on a small terminal model (\\r, \\n, ESC[K, printable characters) and the screen that results is
checked. The line is erased before the recorder stops a command still running (--duration), so
what the command prints on its SIGTERM starts a line of its own, and it is shown only where TERM is
set and not "dumb" (as ninja decides). Where the line must have been shown while the command ran,
the command waits on its stdin (record passes it on) and the test writes to it only after it has
read that many updates from the pty: an order, not a count within a fixed time that an ASan recorder
on a loaded machine can miss. Skips (77) when not root or without kernel BTF, as the other
recording tests."""
import os
import pty
import re
import resource
import select
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import EXE, check, failures, skip  # noqa: E402

if os.geteuid() != 0 or not os.path.exists("/sys/kernel/btf/vmlinux"):
    skip("needs root and /sys/kernel/btf/vmlinux")


def screen_of(data):
    """The lines a terminal shows after `data` (a pty's output: \\n arrives as \\r\\n)."""
    lines, row, col = [""], 0, 0
    i = 0
    while i < len(data):
        c = data[i]
        if c == "\x1b":
            m = re.match(r"\x1b\[([0-9;]*)([A-Za-z])", data[i:])
            if m and m.group(2) == "K" and m.group(1) in ("", "0"):
                lines[row] = lines[row][:col]  # erase from the cursor to the end of the line
            i += len(m.group(0)) if m else 1
            continue
        if c == "\r":
            col = 0
        elif c == "\n":
            row += 1
            if row == len(lines):
                lines.append("")
        elif c >= " ":
            line = lines[row].ljust(col)
            lines[row] = line[:col] + c + line[col + 1:]
            col += 1
        i += 1
    return lines


UPDATE = r"\rrecording +[0-9.]+ s"


def record_on_pty(*args, timeout=120, preexec_fn=None, term="xterm", release_after=None):
    """Runs `infertrace record ARGS` with stdout and stderr on one pty and TERM=term (the line is
    shown only on a terminal whose TERM is set and not "dumb"; None: unset); returns (exit code,
    output). With release_after=N the command's stdin is a pipe that gets one line once N progress
    updates have been read (a command that reads it ends only after them, or when the timeout
    kills the recorder if they never come); stdin is /dev/null otherwise."""
    env = {k: v for k, v in os.environ.items() if k != "TERM"}
    if term is not None:
        env["TERM"] = term
    master, slave = pty.openpty()
    p = subprocess.Popen([EXE, "record", *args], stdin=subprocess.PIPE if release_after else subprocess.DEVNULL,
                         stdout=slave, stderr=slave, preexec_fn=preexec_fn, env=env)
    os.close(slave)
    out = b""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if release_after and not p.stdin.closed and \
                len(re.findall(UPDATE, out.decode("utf-8", "replace"))) >= release_after:
            try:
                p.stdin.write(b"go\n")
                p.stdin.close()
            except BrokenPipeError:  # the command ended already: the checks say what it printed
                pass
        ready, _, _ = select.select([master], [], [], 1)
        if not ready:
            if p.poll() is not None:
                break
            continue
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: every writer has closed the pty
            break
        if not chunk:
            break
        out += chunk
    if p.poll() is None:
        p.kill()
    rc = p.wait()
    if release_after and not p.stdin.closed:
        p.stdin.close()
    os.close(master)
    return rc, out.decode("utf-8", "replace")


with tempfile.TemporaryDirectory() as tmp:
    # The command prints before the first update (about 1 s in), then runs until two updates have
    # been shown (its `read` returns once the test has seen them; without them it never ends and
    # the recorder is killed at the timeout).
    rc, out = record_on_pty("-o", os.path.join(tmp, "p.itrace"), "--events", "sched",
                            "--", "sh", "-c", "echo COMMAND-SAYS-HI; read go", release_after=2)
    screen = screen_of(out)
    check(rc == 0, "record on a pty: exit %d, %r" % (rc, out[-500:]))
    updates = re.findall(UPDATE, out)
    check(len(updates) >= 2, "progress updates seen: %d in %r" % (len(updates), out[:400]))
    check(all(re.match(r"\rrecording [^\r\n]*\x1b\[K", out[m.start():]) for m in re.finditer(r"\rrecording ", out)),
          "each update erases what a longer one left: %r" % out[:400])
    check(not any("recording " in line for line in screen), "no progress line left on the screen: %s" % screen)
    summary = [line for line in screen if line.startswith("recorded ")]
    check(len(summary) == 1 and re.fullmatch(r"recorded [0-9.]+ s into .*p\.itrace \([0-9.]+ MB\)", summary[0]),
          "the summary's first line on a line of its own: %s" % screen)
    check("COMMAND-SAYS-HI" in screen, "the command's own line: %s" % screen)

    # Stopped by --duration while the command still runs (it gets SIGTERM): erased the same way.
    rc, out = record_on_pty("-o", os.path.join(tmp, "d.itrace"), "--events", "sched", "--duration", "2.5",
                            "--", "sleep", "30")
    screen = screen_of(out)
    check(rc == 0 and not any("recording " in line for line in screen)
          and any(line.startswith("recorded ") for line in screen),
          "--duration on a pty: exit %d, screen %s" % (rc, screen))

    # Stopped by --duration while the line is shown, the command printing as it ends (its SIGTERM
    # handler): the line is erased before the SIGTERM, so that output starts a line of its own
    # (it continued the progress text, erased only after the command had ended).
    rc, out = record_on_pty("-o", os.path.join(tmp, "t.itrace"), "--events", "sched", "--duration", "1.6", "--",
                            "sh", "-c", "trap 'echo child-cleanup-msg; exit 0' TERM; while :; do sleep 0.1; done")
    screen = screen_of(out)
    check(rc == 0 and len(re.findall(r"\rrecording ", out)) >= 1 and "child-cleanup-msg" in screen
          and not any("recording " in line for line in screen),
          "the command's output at its SIGTERM on a line of its own: exit %d, screen %s" % (rc, screen))

    # A dumb terminal, or none named: no line at all (it would show ESC[K as text), as ninja decides.
    for term in ("dumb", None):
        rc, out = record_on_pty("-o", os.path.join(tmp, "n.itrace"), "--events", "sched", "--duration", "1.6",
                                "--", "sleep", "30", term=term)
        check(rc == 0 and "recording " not in out and "\x1b" not in out
              and any(line.startswith("recorded ") for line in screen_of(out)),
              "TERM=%s on a pty: no progress line, exit %d, %r" % (term, rc, out[:300]))

    # An error while the line is shown: the recording outgrows a file size limit (RLIMIT_FSIZE, its
    # SIGXFSZ ignored so that the write fails with EFBIG) once the command makes syscalls, after the
    # first update (its `read`, a few syscalls, returns then), with the line shown. The error starts
    # a line of its own (it continued the progress line).
    def small_files():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (256 << 10, 256 << 10))

    rc, out = record_on_pty("-o", os.path.join(tmp, "f.itrace"), "--events", "syscall", "--", "sh", "-c",
                            "read go; dd if=/dev/zero of=/dev/null bs=1 count=300000 2>/dev/null",
                            preexec_fn=small_files, release_after=1)
    screen = screen_of(out)
    errors = [line for line in screen if "infertrace: error:" in line]
    check(rc == 1 and len(re.findall(r"\rrecording ", out)) >= 1 and len(errors) == 1
          and errors[0].startswith("infertrace: error: ") and "File too large" in errors[0]
          # (the progress text itself: the stop's own lines say "the recording stops here")
          and not any(re.search(r"recording +[0-9.]+ s ", line) for line in screen),
          "an error while the line is shown: exit %d, screen %s" % (rc, screen))

if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("ok")
