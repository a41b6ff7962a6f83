"""A Kineto trace in the forms a user may hand it over, read as the same trace: after a UTF-8
byte-order mark, plain or gzip'ed (review S41 L3: "unknown format"), and through a pipe or a FIFO to
report, compare and analyze (review S41 L4: report and compare looked into the pipe for a saved
result, then reopened it and found only the rest, "byte 0: unknown format"). The figures are
checked against a plain reading of the JSON (_kineto_plain) and against the plain file's."""
import gzip
import json
import os
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _kineto_plain  # noqa: E402
from _harness import EXE, as_json, check, failures, run  # noqa: E402

BOM = b"\xef\xbb\xbf"
src = os.path.join(os.environ["INFERTRACE_SOURCE_DIR"], "examples", "traces", "gpt2_prefill_bs1.json.gz")


def figures(doc):
    """An analyze --json document without the input's name."""
    return {k: v for k, v in doc.items() if k != "file"}


def piped(args, data, timeout=300):
    """`infertrace ARGS` with `data` on its stdin (a pipe)."""
    return subprocess.run([EXE, *args], input=data, capture_output=True, timeout=timeout)


with tempfile.TemporaryDirectory() as tmp:
    with gzip.open(src, "rb") as f:
        text = f.read()
    plain = os.path.join(tmp, "plain.json")
    with open(plain, "wb") as f:
        f.write(text)
    bom = os.path.join(tmp, "bom.json")
    with open(bom, "wb") as f:
        f.write(BOM + text)
    bom_gz = os.path.join(tmp, "bom.json.gz")
    with gzip.open(bom_gz, "wb") as f:
        f.write(BOM + text)

    # The plain reading: counts straight from the JSON.
    gpu, api, ops = _kineto_plain.read(plain)
    expected = {"gpu_activities": len(gpu), "kernels": sum(1 for g in gpu if g["kernel"]), "api_calls": len(api),
                "operators": len(ops), "t_end_ns": max(g["ts"] + g["dur"] for g in gpu)}
    base = as_json(run("analyze", "--json", plain), "analyze plain")
    check({k: base.get(k) for k in expected} == expected, "plain trace: %r, want %r" % (
        {k: base.get(k) for k in expected}, expected))

    # 1. A byte-order mark before the trace, plain and gzip'ed: the same figures.
    for path in (bom, bom_gz):
        r = run("analyze", "--json", path)
        check(r.returncode == 0, "analyze %s: rc %d %s" % (os.path.basename(path), r.returncode, r.stderr))
        if r.returncode == 0:
            got = figures(as_json(r, "analyze bom"))
            check(got == figures(base), "%s: figures differ from the plain trace's: %r" % (
                os.path.basename(path), {k: (v, base.get(k)) for k, v in got.items() if base.get(k) != v}))
        page = os.path.join(tmp, os.path.basename(path) + ".html")
        r = run("report", path, "-o", page)
        check(r.returncode == 0 and os.path.exists(page), "report %s: rc %d %s" % (path, r.returncode, r.stderr))
        out = os.path.join(tmp, os.path.basename(path) + ".chrome.json")
        r = run("export", path, "--chrome", out)
        check(r.returncode == 0, "export %s: rc %d %s" % (path, r.returncode, r.stderr))
    # An error in such a file is placed in the file's own bytes, the mark counted: "{" is at byte 3,
    # the document ends (early) at its last byte.
    cut = os.path.join(tmp, "bom_cut.json")
    with open(cut, "wb") as f:
        f.write(BOM + b'{"traceEvents":[{"ph":"X"')
    r = run("analyze", cut)
    want = "bom_cut.json: byte %d:" % (len(BOM) + len(b'{"traceEvents":[{"ph":"X"'))
    check(r.returncode == 1 and want in r.stderr, "cut trace after a BOM: rc %d %r (want %r)" % (
        r.returncode, r.stderr, want))
    # A mark alone is an empty input, not an unknown format.
    only = os.path.join(tmp, "only_bom.json")
    with open(only, "wb") as f:
        f.write(BOM + b"\n")
    r = run("analyze", only)
    check(r.returncode == 1 and "empty input" in r.stderr, "a BOM alone: rc %d %r" % (r.returncode, r.stderr))

    # 2. Through a pipe: analyze, report and compare read the whole trace, plain and gzip'ed.
    with open(bom_gz, "rb") as f:
        packed = f.read()
    for label, data in (("plain", text), ("gzip with BOM", packed)):
        r = piped(["analyze", "--json", "/dev/stdin"], data)
        check(r.returncode == 0, "analyze /dev/stdin (%s): rc %d %s" % (label, r.returncode, r.stderr.decode()))
        if r.returncode == 0:
            check(figures(json.loads(r.stdout)) == figures(base), "analyze /dev/stdin (%s): other figures" % label)
        # ingest cannot know a pipe's size: said so, not "read 0 B" (review S42 L6)
        r = piped(["ingest", "--json", "/dev/stdin"], data)
        check(r.returncode == 0, "ingest /dev/stdin (%s): rc %d %s" % (label, r.returncode, r.stderr.decode()))
        if r.returncode == 0:
            got = json.loads(r.stdout)
            got = got[0] if isinstance(got, list) else got
            check(got.get("file_bytes", 0) is None, "ingest --json /dev/stdin (%s): file_bytes %r" % (label, got.get("file_bytes")))
        r = piped(["ingest", "/dev/stdin"], data)
        check(r.returncode == 0 and "read a stream (size not known)" in r.stdout.decode(),
              "ingest /dev/stdin (%s): %r" % (label, r.stdout.decode()[-200:]))
        page = os.path.join(tmp, "piped.html")
        r = piped(["report", "/dev/stdin", "-o", page], data)
        check(r.returncode == 0, "report /dev/stdin (%s): rc %d %s" % (label, r.returncode, r.stderr.decode()))
        # The page's findings are the plain file's (the name aside).
        rp = run("report", plain, "-o", os.path.join(tmp, "plain.html"))
        strip = lambda s, name: [ln.replace(name, "X") for ln in s.splitlines()]  # noqa: E731
        check(strip(r.stdout.decode(), "stdin")[:-1] == strip(rp.stdout, "plain.json")[:-1],
              "report /dev/stdin (%s): findings %r, the file's %r" % (label, r.stdout.decode(), rp.stdout))
        r = piped(["compare", "--json", plain, "/dev/stdin"], data)
        check(r.returncode == 0, "compare with /dev/stdin (%s): rc %d %s" % (label, r.returncode, r.stderr.decode()))
        if r.returncode == 0:
            rows = json.loads(r.stdout).get("rows") or json.loads(r.stdout).get("scenarios") or []
            check(len(rows) == 2, "compare with /dev/stdin (%s): %d rows" % (label, len(rows)))
    # A saved result through a pipe is still read as one.
    saved = run("analyze", "--json", plain).stdout.encode()
    r = piped(["report", "/dev/stdin", "-o", os.path.join(tmp, "saved.html")], saved)
    with open(os.path.join(tmp, "saved.html")) as f:
        check(r.returncode == 0 and "Saved analysis: stdin" in f.read(), "saved result piped: rc %d" % r.returncode)

    # And through a FIFO (written by a thread, read once).
    fifo = os.path.join(tmp, "trace.fifo")
    os.mkfifo(fifo)

    def feed():
        with open(fifo, "wb") as w:
            w.write(packed)

    # (a reader that opened the FIFO twice would wait for a second writer: a time limit ends it)
    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        r = subprocess.run([EXE, "report", fifo, "-o", os.path.join(tmp, "fifo.html")], capture_output=True, text=True,
                           timeout=60)
        check(r.returncode == 0, "report FIFO: rc %d %s" % (r.returncode, r.stderr))
    except subprocess.TimeoutExpired:
        check(False, "report FIFO: still reading after 60 s (the FIFO opened again?)")
    writer.join(timeout=5)

if failures:
    print("\n".join(failures))
    sys.exit(1)
print("ok")
