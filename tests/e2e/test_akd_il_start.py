"""Undefined figures said as undefined (review CX L5).
AKD, the mean duration of kernels, has no value when the GPU work holds no kernel (memcpy and
memset only): analyze printed "0 ns" and --json 0.0. Now n/a in the text and the HTML, null in the
JSON, an empty cell in the --csv summary and NULL in export --sqlite's launch_summary; a trace with
kernels keeps its mean (computed here from the trace). And the IL window of a trace with no host
event starts at the first GPU activity, but its meaning said "first operator start": the label and
`t_begin_from` now say what the window starts at (operator, host event, GPU activity)."""
import csv
import json
import os
import sqlite3
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import as_json, check, failures, run  # noqa: E402


def x(cat, name, ts, dur, pid, tid, **args):
    return {"ph": "X", "cat": cat, "name": name, "ts": ts, "dur": dur, "pid": pid, "tid": tid, "args": args}


def gpu(cat, name, ts, dur, corr):
    return x(cat, name, ts, dur, 0, 7, device=0, stream=7, correlation=corr)


TRACES = {
    # An operator, a copy and a set, no kernel.
    "copies": [x("cpu_op", "aten::copy_", 100, 60, 1, 1),
               x("cuda_runtime", "cudaMemcpyAsync", 110, 5, 1, 1, correlation=1), gpu("gpu_memcpy", "Memcpy HtoD", 120, 8, 1),
               x("cuda_runtime", "cudaMemsetAsync", 130, 5, 1, 1, correlation=2), gpu("gpu_memset", "Memset", 140, 4, 2)],
    # Kernels of 5, 7 and 12 us with launches and an operator.
    "kernels": [x("cpu_op", "aten::mm", 100, 80, 1, 1)] +
               [e for i, (t, d) in enumerate(((110, 5), (120, 7), (130, 12)))
                for e in (x("cuda_runtime", "cudaLaunchKernel", t, 3, 1, 1, correlation=i + 1),
                          gpu("kernel", "k%d" % i, t + 10, d, i + 1))],
    # Kernels only: no host event at all.
    "gpu_only": [gpu("kernel", "a", 250, 5, 1), gpu("kernel", "b", 240, 5, 2)],
    # Launch calls, no operator.
    "calls_only": [x("cuda_runtime", "cudaLaunchKernel", 200, 4, 1, 1, correlation=1), gpu("kernel", "a", 210, 5, 1)],
}
WANT_FROM = {"copies": "operator", "kernels": "operator", "gpu_only": "gpu_activity", "calls_only": "host_event"}
WANT_WORDS = {"operator": "first operator start", "host_event": "first host event start",
              "gpu_activity": "first GPU activity start"}


def summary_row(text, metric):
    for line in text.splitlines():
        if line.strip().startswith(metric + " "):
            return line
    return ""


with tempfile.TemporaryDirectory() as tmp:
    for name, events in TRACES.items():
        path = os.path.join(tmp, name + ".json")
        with open(path, "w") as f:
            json.dump({"schemaVersion": 1, "traceEvents": events}, f)
        kernels = [e for e in events if e["cat"] == "kernel"]
        hosts = [e for e in events if e["pid"] == 1]
        ops = [e for e in events if e["cat"] == "cpu_op"]
        want_akd = sum(e["dur"] * 1000 for e in kernels) / len(kernels) if kernels else None
        start_from = ops if ops else hosts if hosts else [e for e in events if e["pid"] == 0]
        want_begin = min(e["ts"] for e in start_from) * 1000

        doc = as_json(run("analyze", path, "--json"), "analyze --json " + name)
        check(doc.get("akd_ns") == want_akd, "%s: akd_ns %r, want %r" % (name, doc.get("akd_ns"), want_akd))
        check(doc.get("t_begin_ns") == want_begin, "%s: t_begin_ns %r, want %r" % (name, doc.get("t_begin_ns"), want_begin))
        check(doc.get("t_begin_from") == WANT_FROM[name],
              "%s: t_begin_from %r, want %r" % (name, doc.get("t_begin_from"), WANT_FROM[name]))

        r = run("analyze", path)
        akd_row, il_row = summary_row(r.stdout, "AKD"), summary_row(r.stdout, "inference latency")
        check(("n/a" in akd_row) == (want_akd is None) and (want_akd is None or " ns" in akd_row or " us" in akd_row),
              "%s: text AKD row %r" % (name, akd_row))
        check(WANT_WORDS[WANT_FROM[name]] in il_row, "%s: text IL row %r" % (name, il_row))
        for other in set(WANT_WORDS.values()) - {WANT_WORDS[WANT_FROM[name]]}:
            check(other not in il_row, "%s: text IL row %r says %r" % (name, il_row, other))

        csv_dir = os.path.join(tmp, name + "_csv")
        r = run("analyze", path, "--csv", csv_dir)
        with open(os.path.join(csv_dir, "summary.csv")) as f:
            cells = {row["metric"]: row["value"] for row in csv.DictReader(f)}
        check((cells.get("akd_ns") == "") == (want_akd is None) and "akd_ns" in cells,
              "%s: summary.csv akd_ns %r" % (name, cells.get("akd_ns")))

        db = os.path.join(tmp, name + ".db")
        r = run("export", path, "--sqlite", db)
        check(r.returncode == 0, "%s: export --sqlite rc %d: %s" % (name, r.returncode, r.stderr))
        con = sqlite3.connect(db)
        got = dict(con.execute("SELECT metric, value FROM launch_summary WHERE metric IN ('akd_ns', 't_begin_from')"))
        con.close()
        check(got.get("akd_ns") == want_akd, "%s: sqlite akd_ns %r, want %r" % (name, got.get("akd_ns"), want_akd))
        check(got.get("t_begin_from") == WANT_FROM[name], "%s: sqlite t_begin_from %r" % (name, got.get("t_begin_from")))

        # The HTML page, from the trace and from the saved --json document: the same words.
        saved = os.path.join(tmp, name + "_analysis.json")
        with open(saved, "w") as f:
            json.dump(doc, f)
        for src in (path, saved):
            page = os.path.join(tmp, name + ".html")
            r = run("report", src, "-o", page)
            check(r.returncode == 0, "%s: report %s rc %d: %s" % (name, src, r.returncode, r.stderr))
            with open(page) as f:
                html = f.read()
            akd_at = html.find(">AKD<")
            akd_cells = html[akd_at:html.find("</tr>", akd_at)]
            check(akd_at >= 0 and ("n/a" in akd_cells) == (want_akd is None),
                  "%s: HTML (%s) AKD row %r" % (name, os.path.basename(src), akd_cells))
            check(WANT_WORDS[WANT_FROM[name]] in html, "%s: HTML (%s) has no %r" % (name, os.path.basename(src),
                                                                                   WANT_WORDS[WANT_FROM[name]]))

if failures:
    sys.exit(1)
print("ok")
