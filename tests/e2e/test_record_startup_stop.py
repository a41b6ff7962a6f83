"""A stop during record's start-up, after the probes are loaded and the command forked but before the
output is opened and the command released (review SG L7; docs/record.md "Signals and the command"):
record exits 128 + the signal, says "nothing recorded", writes nothing into the output and never runs
the command. Before, a stop there gave exit 0 and a recording of the start-up alone (META
command.not_started) replacing the earlier file, or, while the open of an -o FIFO waited for its
reader, "cannot create recording: Interrupted system call", exit 1.

The window is made wide and found without guessing a delay: the output is a FIFO without a reader, so
record waits in its open (the command already forked, waiting for its release) until this test sees
it there (/proc/PID/wchan fifo_open, or the openat system call in /proc/PID/syscall) and sends SIGTERM.
Skips (77) when not root or without kernel BTF."""
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import EXE, check, failures, skip  # noqa: E402
from _record_prereq import proc_children, proc_text, require_recorder, waits_in_fifo_open  # noqa: E402

require_recorder()


with tempfile.TemporaryDirectory(prefix="it-startup-stop-") as tmp:
    fifo = os.path.join(tmp, "out.fifo")
    os.mkfifo(fifo)
    p = subprocess.Popen([EXE, "record", "--cuda", "uprobe", "--events", "sched", "-o", fifo, "--", "sleep", "30"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    child, deadline = None, time.monotonic() + 120
    while time.monotonic() < deadline and p.poll() is None:
        kids = proc_children(p.pid)
        if kids and waits_in_fifo_open(p.pid):
            child = kids[0]
            break
        time.sleep(0.01)
    if child is None:
        p.kill()
        out, err = p.communicate()
        if "CAP_BPF" in err or "BTF" in err or "tracefs" in err:
            skip("recorder cannot run here: " + err.strip()[:200])
        check(False, f"record never waited in the FIFO's open with its command forked: rc {p.returncode}: {err[-500:]}")
        sys.exit(1)
    # The command waits for its release: not exec'd yet (still record's own image).
    check(os.path.realpath(f"/proc/{child}/exe") == os.path.realpath(EXE),
          f"the command was released before the output was open: pid {child} runs {os.path.realpath(f'/proc/{child}/exe')}")
    p.send_signal(signal.SIGTERM)
    try:
        out, err = p.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        # Still waiting in the open (the signal did not end the start-up): a reader lets it go on.
        rd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        p.send_signal(signal.SIGKILL)
        out, err = p.communicate()
        os.close(rd)
    check(p.returncode == 128 + signal.SIGTERM,
          f"a SIGTERM while record opened its output: rc {p.returncode}, want {128 + signal.SIGTERM}: {err[-600:]}")
    check("nothing recorded" in err and "left untouched" in err and "the command not started" in err,
          f"stderr does not say nothing was recorded: {err[-600:]}")
    check("Interrupted system call" not in err, f"the stop was taken for an error: {err[-600:]}")
    # Nothing was written into the FIFO: with no writer left, a reader gets end-of-file at once.
    rd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    data = os.read(rd, 65536)
    os.close(rd)
    check(data == b"", f"{len(data)} bytes were written into the output: {data[:40]!r}")
    # The command never ran: reaped by record (not left to init), never a sleep.
    comm = proc_text(f"/proc/{child}/comm")
    check(comm != "sleep", f"the command ran: pid {child} is {comm!r}")

if failures:
    sys.exit(1)
print("ok")
