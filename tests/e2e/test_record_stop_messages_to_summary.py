"""record --summary-file keeps the stop's messages out of the stderr the command shares (review DI
L7): a --duration stop of a command that ignores SIGTERM says "... did not end within 1 s of
SIGTERM: sending it SIGKILL"; with --summary-file that line is in the file, after the warnings and
before the summary, and the command's stderr holds only what the command wrote. Without
--summary-file the same line is on stderr, as before."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import check, failures  # noqa: E402
from _record_prereq import RECORD_BASE, require_recorder, skip_unless_recording  # noqa: E402

require_recorder()

# Ignores SIGTERM (the trap is set before "ready" goes to stderr), so the stop needs SIGKILL.
COMMAND = ["sh", "-c", 'trap "" TERM; echo ready >&2; while :; do sleep 0.2; done']
STOP_LINE = "did not end within 1 s of SIGTERM: sending it SIGKILL"

with tempfile.TemporaryDirectory() as tmp:
    summary = os.path.join(tmp, "summary.txt")
    r = subprocess.run(RECORD_BASE + ["-o", os.path.join(tmp, "a.itrace"), "--duration", "1", "--stop-grace", "1",
                                      "--summary-file", summary, "--"] + COMMAND,
                       capture_output=True, text=True, timeout=120)
    skip_unless_recording(r.returncode, r.stderr)
    check(r.returncode == 0, "with --summary-file: rc %d: %s" % (r.returncode, r.stderr[-600:]))
    check(r.stderr.strip() == "ready", "with --summary-file the command's stderr holds only its own line, got %r"
          % r.stderr[-600:])
    text = open(summary).read() if os.path.exists(summary) else ""
    check(STOP_LINE in text, "the summary file lacks the stop's message: %r" % text[:800])
    if STOP_LINE in text:
        line = next(x for x in text.splitlines() if STOP_LINE in x)
        check(line.startswith("infertrace record: the command "), "stop line as it would go to stderr: %r" % line)
        # Messages first, then the summary (which names the command's end).
        check(text.index(STOP_LINE) < text.index("command exit status"), "the stop's message comes after the summary: %r"
              % text[:800])

    # Without --summary-file: on stderr, as before.
    r = subprocess.run(RECORD_BASE + ["-o", os.path.join(tmp, "b.itrace"), "--duration", "1", "--stop-grace", "1",
                                      "--"] + COMMAND, capture_output=True, text=True, timeout=120)
    check(r.returncode == 0 and "infertrace record: the command " + STOP_LINE in r.stderr,
          "without --summary-file: rc %d: %s" % (r.returncode, r.stderr[-600:]))

if failures:
    sys.exit(1)
print("ok")
