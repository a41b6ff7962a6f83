"""The timeline's script formats durations by the server's rule (review HT L1): the unit is chosen
on the rounded value, as util/units.cpp format_ns, so a 999.996 us window reads "1.00 ms shown"
when the page loads, not "1000.00 us shown". Runs the page's own `fmt` under node on the values the
unit test of format_ns pins (tests/trace_model_test.cpp Units.FormatsDurationsAndCounts), on exact
binary ties (printf rounds them to even, toFixed away from zero: review WD56 L5) and on the window
the server labelled; skips (77) without node."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import check, failures, run, skip  # noqa: E402
from _report_page import fmt_ns  # noqa: E402

node = shutil.which("node")
if not node:
    skip("no node to run the page's script")

# One operator of 999.996 us: the timeline's window is that long.
trace = {"traceEvents": [
    {"ph": "X", "cat": "cpu_op", "name": "aten::mm", "pid": 1, "tid": 1, "ts": 1000, "dur": 999.996,
     "args": {"External id": 1}},
    {"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "pid": 1, "tid": 1, "ts": 1001, "dur": 5,
     "args": {"correlation": 1, "External id": 1}},
    {"ph": "X", "cat": "kernel", "name": "k", "pid": 0, "tid": 7, "ts": 1010, "dur": 900,
     "args": {"device": 0, "stream": 7, "correlation": 1}}]}

with tempfile.TemporaryDirectory() as tmp:
    src, page_path = os.path.join(tmp, "span.json"), os.path.join(tmp, "span.html")
    with open(src, "w") as f:
        json.dump(trace, f)
    r = run("report", src, "-o", page_path)
    check(r.returncode == 0, "report: exit %d: %s" % (r.returncode, r.stderr))
    with open(page_path) as f:
        page = f.read()

    m = re.search(r"\n( *)function fmt\(ns\) \{.*?\n\1\}", page, re.S)
    check(m is not None, "the page's script has a fmt(ns) function")
    # (its printf rounding, when the page has one: fmt calls it)
    helper = re.search(r"\n( *)function fixed\(v, d\) \{.*?\n\1\}", page, re.S)
    box = re.search(r'data-begin-ns="(\d+)" data-end-ns="(\d+)"', page)
    shown = re.search(r'class="tl-range">([^<]*) shown<', page)
    check(box is not None and shown is not None, "the page has a timeline with its range label")
    if m and box and shown:
        span = int(box.group(2)) - int(box.group(1))
        # (format_ns's values, pinned in its unit test; and this page's window)
        # Exact binary ties, which toFixed rounds away from zero and printf to even (review WD56 L5:
        # 1125 ns read "1.13 us" in the page, "1.12 us" from format_ns), in every unit, both signs.
        ties = [0.5, 1.5, 2.5, 12.5, -12.5, 1125, 1375, 1625, -1125, 2625, 1125000, -1625000,
                1062500000, 1187500000, 0.25, 999.5, 999995.5]
        # Near ties that are not exact (their doubles lie off the tie: both round the same way).
        near = [1005, 1015, 1.005e6, 1.015e6, 2.675e9]
        values = [0, 999.4, 999.6, 1234, 999994, 999996, -999996, 2500000, 999996000, 3.6e12] + ties + near + [span]
        js = (helper.group(0) if helper else "") + m.group(0) + "\nconsole.log(JSON.stringify(%s.map(fmt)));\n" % json.dumps(values)
        out = subprocess.run([node, "-e", js], capture_output=True, text=True, timeout=60)
        check(out.returncode == 0, "node: %s" % out.stderr)
        if out.returncode == 0:
            got = json.loads(out.stdout)
            want = [fmt_ns(v) for v in values]
            check(got == want, "fmt in the page: %r, format_ns: %r" % (got, want))
            check(want[5] == "1.00 ms" and want[3] == "1.23 us", "the rule's own outputs: %r" % want)
            # What the script writes on load (apply(): the whole window) is what the server wrote.
            check(got[-1] == shown.group(1), "on load %r, server %r" % (got[-1], shown.group(1)))
            check(shown.group(1) == "1.00 ms", "server label %r" % shown.group(1))

if failures:
    sys.exit(1)
print("ok")
