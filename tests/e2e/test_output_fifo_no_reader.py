"""An output that is a FIFO no process reads never hangs a verb: record --summary-file, report -o,
export --chrome and sweep --plot waited for ever in the open for writing (the summary file at the
very end of a recording). Now a reader is waited for a short while (util/write_text_file.h:
kFifoReaderWaitMs, 2 s), then the write fails naming the FIFO ("a FIFO that no process reads"),
the FIFO stays a FIFO and nothing else is left beside it; record's summary follows on stderr as
for any --summary-file that cannot be written. A reader that opens the FIFO within that wait still
gets the whole output."""
import os
import stat
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import EXE, check, failures  # noqa: E402

traces = os.path.join(os.environ["INFERTRACE_SOURCE_DIR"], "examples", "traces")
trace = os.path.join(traces, "gpt2_prefill_bs1.json.gz")
NO_READER = "a FIFO that no process reads"


def bounded(argv, timeout=60):
    """The run, or None when it was still running after `timeout` s (killed: the hang)."""
    try:
        return subprocess.run(argv, capture_output=True, text=True, errors="replace", timeout=timeout)
    except subprocess.TimeoutExpired:
        return None


def fifo_kept(d, fifo, what):
    check(stat.S_ISFIFO(os.lstat(fifo).st_mode), "%s: the FIFO was replaced" % what)
    left = sorted(set(os.listdir(d)) - {os.path.basename(fifo)})
    check(not left, "%s: left %s beside the FIFO" % (what, left))


WRITERS = {
    "report -o": [EXE, "report", trace, "-o", "{}"],
    "export --chrome": [EXE, "export", trace, "--chrome", "{}"],
    "sweep --plot": [EXE, "sweep", trace, os.path.join(traces, "gpt2_prefill_bs2.json.gz"), "--plot", "{}"],
}

with tempfile.TemporaryDirectory() as tmp:
    for what, argv in WRITERS.items():
        d = os.path.join(tmp, what.split()[0])
        os.mkdir(d)
        fifo = os.path.join(d, "pipe.svg")
        os.mkfifo(fifo)
        t0 = time.monotonic()
        r = bounded([a.replace("{}", fifo) for a in argv])
        check(r is not None, "%s FIFO without a reader: still running after 60 s" % what)
        if r is not None:
            check(r.returncode == 1 and NO_READER in r.stderr and fifo in r.stderr,
                  "%s FIFO without a reader: rc %d: %s" % (what, r.returncode, r.stderr.strip()[-400:]))
            check(time.monotonic() - t0 >= 1.5, "%s FIFO without a reader: gave up before the reader's wait" % what)
        fifo_kept(d, fifo, what)

    # A reader that comes half a second after the writer started still gets the whole page.
    d = os.path.join(tmp, "late")
    os.mkdir(d)
    fifo = os.path.join(d, "page.html")
    os.mkfifo(fifo)
    got = []

    def late_reader():
        time.sleep(0.5)
        got.append(open(fifo, "rb").read())

    reader = threading.Thread(target=late_reader, daemon=True)
    p = subprocess.Popen([EXE, "report", trace, "-o", fifo], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    reader.start()
    try:
        _, err = p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        _, err = p.communicate()
    reader.join(10)
    check(p.returncode == 0, "report -o FIFO, reader 0.5 s late: rc %s: %s" % (p.returncode, err.strip()[-400:]))
    check(got and got[0].rstrip().endswith(b"</html>"), "report -o FIFO, reader 0.5 s late: got %d bytes"
          % (len(got[0]) if got else -1))

    # record --summary-file FIFO: the recording is made, the summary follows on stderr, rc 1.
    if os.geteuid() == 0 and os.path.exists("/sys/kernel/btf/vmlinux"):
        d = os.path.join(tmp, "record")
        os.mkdir(d)
        fifo = os.path.join(d, "summary.fifo")
        os.mkfifo(fifo)
        rec = os.path.join(tmp, "a.itrace")
        r = bounded([EXE, "record", "--cuda", "uprobe", "--events", "sched", "-o", rec, "--summary-file", fifo,
                     "--", "true"], timeout=120)
        check(r is not None, "record --summary-file FIFO without a reader: still running after 120 s")
        if r is not None and not (r.returncode != 0 and ("CAP_BPF" in r.stderr or "BTF" in r.stderr or
                                                         "tracefs" in r.stderr)):
            check(r.returncode == 1, "record --summary-file FIFO: rc %d: %s" % (r.returncode, r.stderr[-400:]))
            check(("--summary-file %s not written (" % fifo) in r.stderr and NO_READER in r.stderr and
                  "the summary follows here" in r.stderr and "command exit status: 0" in r.stderr,
                  "record --summary-file FIFO: %s" % r.stderr[-600:])
            check(os.path.exists(rec), "record --summary-file FIFO: no recording")
        fifo_kept(d, fifo, "record --summary-file")
    else:
        print("record --summary-file part skipped: needs root and BTF")

if failures:
    sys.exit(1)
print("ok")
