"""export stopped by Ctrl-C (SIGINT), SIGTERM or SIGHUP while it writes its outputs: the OUT.partial
files it was writing are removed, as a failed run's are, and the process still ends by that signal
(review CA L4: each such stop left `s.db.partial` or `c.json.partial` next to the finished
outputs). The signal is sent as soon as a .partial appears, so it lands while one is being written."""
import glob
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import check, failures  # noqa: E402

EXE = os.environ["INFERTRACE"]


def big_trace(path, n):
    """n cudaLaunchKernel calls and their kernels, under one operator each: enough rows that every
    output takes a while to write."""
    with open(path, "w") as f:
        f.write('{"schemaVersion": 1, "traceEvents": [')
        for i in range(n):
            t = 10 * i
            sep = "," if i else ""
            f.write(sep + json.dumps({"ph": "X", "cat": "cpu_op", "name": "aten::add", "ts": t, "dur": 8, "pid": 1,
                                      "tid": 1, "args": {}}))
            f.write("," + json.dumps({"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "ts": t + 1,
                                      "dur": 3, "pid": 1, "tid": 1, "args": {"correlation": i + 1}}))
            f.write("," + json.dumps({"ph": "X", "cat": "kernel", "name": "kernel_%d" % (i % 50), "ts": t + 5,
                                      "dur": 4, "pid": 0, "tid": 7,
                                      "args": {"device": 0, "stream": 7, "correlation": i + 1}}))
        f.write("]}")


def partials(d):
    return glob.glob(os.path.join(d, "**", "*.partial"), recursive=True)


with tempfile.TemporaryDirectory() as tmp:
    trace = os.path.join(tmp, "big.json")
    big_trace(trace, 120000)
    caught = 0
    for attempt, sig in enumerate((signal.SIGINT, signal.SIGTERM, signal.SIGINT, signal.SIGHUP)):
        out = os.path.join(tmp, "out%d" % attempt)
        os.mkdir(out)
        p = subprocess.Popen([EXE, "export", trace, "--sqlite", os.path.join(out, "s.db"), "--chrome",
                              os.path.join(out, "c.json"), "--perfetto", os.path.join(out, "p.pb"), "--csv",
                              os.path.join(out, "csv")], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        sent = False
        deadline = time.monotonic() + 300
        while p.poll() is None and time.monotonic() < deadline:
            if partials(out):
                p.send_signal(sig)
                sent = True
                break
            time.sleep(0.005)
        try:
            _, err = p.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            p.kill()
            _, err = p.communicate()
            check(False, "export (try %d): still running 300 s after the signal" % attempt)
        if not sent:
            print("note: try %d: export ended (%d) before a .partial was seen" % (attempt, p.returncode))
            continue
        left = partials(out)
        if p.returncode == -sig:
            caught += 1
        # A run that finished before the signal arrived exits 0 and has renamed every partial.
        check(p.returncode in (-sig, 0), "export (try %d) ended by %s: exit %d %r" % (attempt, sig.name, p.returncode, err))
        check(not left, "export stopped by %s (try %d) left %s" % (sig.name, attempt, [os.path.relpath(x, out) for x in left]))
    check(caught >= 2, "only %d of 4 exports were stopped while writing (want at least 2): the trace is too small "
                       "for this machine" % caught)

if failures:
    sys.exit(1)
print("ok")
