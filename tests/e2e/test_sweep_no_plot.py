"""`infertrace sweep --plot` on traces with nothing to plot (review SW L3): the table and the
sentence (or the JSON) are printed first, then stderr says why no plot was written, exit 1, and no
file is left at the plot's path. The traces are written here: launch calls on one thread and no GPU
record (the GPU side not captured), so the sentence says so rather than "CPU-only profiles" (review
SW L6). A bs<N> beyond int64 in a file name is refused as --label refuses it (review SW L2)."""
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import as_json, check, failures, run  # noqa: E402


def write_trace(path, launches):
    ev = [{"ph": "X", "cat": "cpu_op", "name": "aten::mm", "pid": 1, "tid": 2, "ts": 0, "dur": 20 * launches + 10}]
    for i in range(launches):
        ev.append({"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "pid": 1, "tid": 2,
                   "ts": 5 + 20 * i, "dur": 4, "args": {"correlation": i + 1}})
    with open(path, "w") as f:
        json.dump({"traceEvents": ev}, f)


with tempfile.TemporaryDirectory() as tmp:
    a, b = os.path.join(tmp, "nogpu_bs4.json"), os.path.join(tmp, "nogpu_bs8.json")
    write_trace(a, 12)
    write_trace(b, 20)
    svg = os.path.join(tmp, "p.svg")

    plain = run("sweep", a, b)
    check(plain.returncode == 0, "sweep without --plot: exit %d %s" % (plain.returncode, plain.stderr))
    sentence = "No trace in this sweep has GPU activity, yet every one made launch calls"
    check(sentence in plain.stdout, "sweep: sentence missing:\n" + plain.stdout)
    check("CPU-only" not in plain.stdout, "sweep calls launching traces CPU-only:\n" + plain.stdout)
    check("orphan launch calls 12" in plain.stdout and "orphan launch calls 20" in plain.stdout,
          "sweep: orphan counts missing:\n" + plain.stdout)

    r = run("sweep", a, b, "--plot", svg)
    last = r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ""
    check(r.returncode == 1, "sweep --plot with nothing to plot: exit %d, want 1" % r.returncode)
    check("Batch sweep:" in r.stdout and sentence in r.stdout, "sweep --plot: table or sentence missing:\n" + r.stdout)
    # The table and sentence are those of the run without --plot.
    check(r.stdout == plain.stdout, "sweep --plot: stdout differs from the run without it:\n" + r.stdout)
    check("no plot written to " + svg in last, "sweep --plot: stderr %r" % last)
    check(not os.path.exists(svg), "sweep --plot: a file was left at " + svg)

    r = run("sweep", a, b, "--json", "--plot", svg)
    doc = as_json(r, "sweep --json --plot")
    check(r.returncode == 1 and sentence in doc.get("summary", ""), "sweep --json --plot: exit %d, %r" %
          (r.returncode, doc.get("summary")))
    check("no plot written to " + svg in r.stderr, "sweep --json --plot: stderr %r" % r.stderr)

    # L2: the file-name batch beyond int64, refused as the label is (exit 2), not cut short.
    big = os.path.join(tmp, "h_bs99999999999999999999.json")
    shutil.copy(a, big)
    r = run("sweep", a, big, "--json")
    last = r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ""
    check(r.returncode == 2 and "bs99999999999999999999 in the file name: N is too large" in last,
          "file-name batch beyond int64: exit %d %r" % (r.returncode, last))
    r = run("sweep", a, b, "--label", "bs=4", "--label", "bs=99999999999999999999")
    label_last = r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ""
    check(r.returncode == 2 and "N is too large (at most 9223372036854775807)" in label_last,
          "--label beyond int64: exit %d %r" % (r.returncode, label_last))
    check("N is too large (at most 9223372036854775807)" in last, "file name and label differ: %r / %r" % (last, label_last))

if failures:
    sys.exit(1)
print("ok")
