"""An output that is a FIFO no process reads never hangs a verb in silence: report -o, export --chrome
and sweep --plot waited for ever in the open for writing, saying nothing. They still wait for the
reader as any writer does (`mkfifo p; infertrace report T -o p`, then `cat p` elsewhere), but after a
second stderr says what for, and a reader that comes later than record's bounded wait gets the whole
output. record --summary-file, whose summary has stderr to go to, waits 2 s (util/write_text_file.h:
kFifoReaderWaitMs), then says "a FIFO that no process reads", the summary follows on stderr, the FIFO
stays a FIFO and nothing else is left beside it."""
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

WAITING = "waiting for a process to open "

with tempfile.TemporaryDirectory() as tmp:
    for what, argv in WRITERS.items():
        d = os.path.join(tmp, what.split()[0])
        os.mkdir(d)
        fifo = os.path.join(d, "pipe.svg")
        os.mkfifo(fifo)
        p = subprocess.Popen([a.replace("{}", fifo) for a in argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, errors="replace")
        err = []  # stderr's lines as they come
        reader = threading.Thread(target=lambda: err.extend(iter(p.stderr.readline, "")), daemon=True)
        reader.start()
        # The note comes once the verb has waited a second at the open (however long its work
        # before took: a sanitized build is slower); then past record's bounded wait, still waiting.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and p.poll() is None and not any(WAITING in line for line in err):
            time.sleep(0.05)
        check(any(WAITING in line for line in err), "%s FIFO without a reader: no note (rc %s)" % (what, p.poll()))
        time.sleep(1.5)
        check(p.poll() is None, "%s FIFO without a reader: ended (rc %s) instead of waiting" % (what, p.poll()))
        with open(fifo, "rb") as f:  # the reader comes
            got = f.read()
        try:
            p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        reader.join(10)
        said = "".join(err)
        check(p.returncode == 0, "%s FIFO, late reader: rc %s: %s" % (what, p.returncode, said.strip()[-400:]))
        check(len(got) > 100, "%s FIFO, late reader: got %d bytes" % (what, len(got)))
        check(said.count(WAITING + fifo + " for reading") == 1, "%s FIFO: the wait not said once: %r" % (what, said[-400:]))
        fifo_kept(d, fifo, what)

    # A reader that comes half a second after the writer started gets the whole page, no note.
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
    check(WAITING not in err, "report -o FIFO, reader 0.5 s late: a note before a second passed: %r" % err[-300:])

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
