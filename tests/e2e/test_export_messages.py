"""export's own lines and errors in the words a user reads (review SQ L3, L5): a failed write to
standard output (`--chrome -`, `--perfetto -`) names `-` as typed and says why, not the descriptor
path the writer was given (/proc/self/fd/N); the `sqlite:` line counts stream_stat and device_stat
and says "no events" for an empty trace, not "()"."""
import errno
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import EXE, check, failures, run, skip  # noqa: E402

# One launch on device 0, stream 7, and its kernel.
TRACE = {"traceEvents": [
    {"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "pid": 5, "tid": 6, "ts": 100, "dur": 2,
     "args": {"correlation": 1}},
    {"ph": "X", "cat": "kernel", "name": "k", "pid": 0, "tid": 7, "ts": 110, "dur": 3,
     "args": {"device": 0, "stream": 7, "correlation": 1}},
]}

with tempfile.TemporaryDirectory() as tmp:
    trace = os.path.join(tmp, "t.json")
    with open(trace, "w") as f:
        json.dump(TRACE, f)

    # A full device on stdout: the write fails with ENOSPC.
    if not os.path.exists("/dev/full"):
        skip("no /dev/full")
    reason = os.strerror(errno.ENOSPC)
    for option in ("--chrome", "--perfetto"):
        with open("/dev/full", "w") as full:
            r = subprocess.run([EXE, "export", trace, option, "-"], stdout=full, stderr=subprocess.PIPE, text=True,
                               timeout=300)
        want = "cannot write - (standard output): " + reason
        check(r.returncode == 1 and want in r.stderr and "/proc/self/fd" not in r.stderr,
              "%s - > /dev/full: rc %d, stderr %r (want %r)" % (option, r.returncode, r.stderr.strip(), want))

    # The sqlite line: one stream of one device, one row each (worked out from TRACE).
    db = os.path.join(tmp, "o.db")
    r = run("export", trace, "--sqlite", db)
    line = [ln for ln in r.stdout.splitlines() if ln.startswith("sqlite: ")]
    check(r.returncode == 0 and len(line) == 1, "export --sqlite: rc %d: %s%s" % (r.returncode, r.stdout, r.stderr))
    if line:
        counts = dict(part.rsplit(" ", 1) for part in line[0][len("sqlite: " + db + " ("):-1].split(", "))
        check(counts.get("stream_stat") == "1" and counts.get("device_stat") == "1",
              "sqlite line lacks stream_stat 1 / device_stat 1: %s" % line[0])
        check(counts.get("api_call") == "1" and counts.get("gpu_activity") == "1" and counts.get("launch") == "1",
              "sqlite line: %s" % line[0])

    empty = os.path.join(tmp, "empty.json")
    with open(empty, "w") as f:
        json.dump({"traceEvents": []}, f)
    r = run("export", empty, "--sqlite", os.path.join(tmp, "e.db"))
    want = "sqlite: %s (no events)" % os.path.join(tmp, "e.db")
    check(r.returncode == 0 and want in r.stdout.splitlines(), "empty trace: rc %d, %r (want %r)" % (r.returncode, r.stdout, want))

if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("ok")
