"""export stopped by Ctrl-C (SIGINT), SIGTERM or SIGHUP while it writes its outputs: the OUT.partial
files it was writing are removed, as a failed run's are, and the process still ends by that signal
(review CA L4: each such stop left `s.db.partial` or `c.json.partial` next to the finished
outputs). The signal is sent as soon as a .partial appears, so it lands while one is being written.
What the run created and finished before the signal goes too (the --csv folder it made and its
tables, a file output that did not exist): an interrupted export leaves nothing of its own, as a
failed one; an output file and a folder that were there before the run stay."""
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
            # Nothing this run created stays either: not the --csv directory it made, nor its tables
            # (review: the finished outputs and the folder were left behind). Unless the signal
            # landed once every output was written (keep_created_outputs: the run was complete, only
            # its exit was left), which a loaded machine can delay to: then all of them stay.
            names = sorted(os.listdir(out))
            complete = names == ["c.json", "csv", "p.pb", "s.db"] and os.listdir(os.path.join(out, "csv"))
            check(not names or complete, "export stopped by %s (try %d) left %s" % (sig.name, attempt, names))
        # A run that finished before the signal arrived exits 0 and has renamed every partial.
        check(p.returncode in (-sig, 0), "export (try %d) ended by %s: exit %d %r" % (attempt, sig.name, p.returncode, err))
        check(not left, "export stopped by %s (try %d) left %s" % (sig.name, attempt, [os.path.relpath(x, out) for x in left]))
    check(caught >= 2, "only %d of 4 exports were stopped while writing (want at least 2): the trace is too small "
                       "for this machine" % caught)

    # Stopped once the CSV tables are finished, while the Chrome JSON is written: the tables, the
    # --csv folder (and its parent, made with it) go; a --perfetto file that was there before the run
    # stays as it was, and so does a folder that was there before (the one holding the outputs).
    stopped_late = 0
    for attempt in range(3):
        out = os.path.join(tmp, "late%d" % attempt)
        os.mkdir(out)
        old = os.path.join(out, "p.pb")
        with open(old, "w") as f:
            f.write("earlier run")
        chrome = os.path.join(out, "c.json")
        p = subprocess.Popen([EXE, "export", trace, "--csv", os.path.join(out, "made", "csv"), "--chrome", chrome,
                              "--perfetto", old], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        sent = False
        deadline = time.monotonic() + 300
        while p.poll() is None and time.monotonic() < deadline:
            if os.path.exists(chrome + ".partial"):
                p.send_signal(signal.SIGINT)
                sent = True
                break
            time.sleep(0.002)
        try:
            _, err = p.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            p.kill()
            _, err = p.communicate()
            check(False, "export (late try %d): still running 300 s after the signal" % attempt)
        if not sent or p.returncode != -signal.SIGINT:
            print("note: late try %d: export ended (%d) before the signal" % (attempt, p.returncode))
            continue
        stopped_late += 1
        check(sorted(os.listdir(out)) == ["p.pb"], "export stopped while writing --chrome (late try %d) left %s"
              % (attempt, sorted(os.listdir(out))))
        check(open(old).read() == "earlier run", "export stopped while writing --chrome: the earlier p.pb changed")
    check(stopped_late >= 1, "no export was stopped while writing --chrome (want at least 1)")

if failures:
    sys.exit(1)
print("ok")
