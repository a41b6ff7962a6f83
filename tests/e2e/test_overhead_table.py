"""scripts/gpu_tools/overhead_table.py (the table of part 35-overhead-compare) on canned RESULT lines:
medians of per-round medians, overhead against `none`, the per-round range, and noise lines ignored.
No GPU and no binary needed: the numbers are made up for the test, not measurements."""
import os
import subprocess
import sys

src = os.environ.get("INFERTRACE_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
tool = os.path.join(src, "scripts", "gpu_tools", "overhead_table.py")
sys.path.insert(0, os.path.dirname(tool))
import overhead_table as ot  # noqa: E402

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


# Three interleaved rounds; the tracer costs exactly +10% in rounds 1 and 3 and +20% in round 2.
canned = """\
some torch warning
RESULT none clean null20k median_s=1.0000 min_s=0.9000
RESULT none clean decode64 median_s=2.0000 min_s=1.9000
RESULT infertrace-cupti clean null20k median_s=1.1000 min_s=1.0000
RESULT infertrace-cupti clean decode64 median_s=2.0400 min_s=2.0000
RESULT none clean null20k median_s=1.0000 min_s=0.9500
RESULT none clean decode64 median_s=2.0000 min_s=1.9000
RESULT infertrace-cupti clean null20k median_s=1.2000 min_s=1.0000
RESULT infertrace-cupti clean decode64 median_s=2.0400 min_s=2.0000
RESULT none clean null20k median_s=1.0000 min_s=0.9000
RESULT none clean decode64 median_s=2.0000 min_s=1.9000
RESULT infertrace-cupti clean null20k median_s=1.1000 min_s=1.0000
RESULT infertrace-cupti clean decode64 median_s=2.0400 min_s=2.0000
RESULT cuda_sched_trace clean null20k median_s=1.5000 min_s=1.4000
"""
runs, tracers = ot.parse(canned.splitlines())
check(runs[("null20k", "none")] == [1.0, 1.0, 1.0], "none rounds %r" % runs.get(("null20k", "none")))
check(tracers == ["none", "infertrace-cupti", "cuda_sched_trace"], "tracer order %r" % tracers)
rows = {(w, t): (n, m, pct, spread) for w, t, n, m, pct, spread in ot.table(runs, tracers)}
n, m, pct, spread = rows[("null20k", "infertrace-cupti")]
check(n == 3 and abs(m - 1.1) < 1e-9, "cupti null20k median %r over %r rounds" % (m, n))
check(abs(pct - 10.0) < 1e-9, "cupti null20k overhead %r != 10" % pct)
check(abs(spread[0] - 10.0) < 1e-9 and abs(spread[1] - 20.0) < 1e-9, "per-round range %r" % (spread,))
check(abs(rows[("decode64", "infertrace-cupti")][2] - 2.0) < 1e-9, "decode overhead %r" % rows[("decode64", "infertrace-cupti")][2])
check(rows[("null20k", "none")][2] is None, "the baseline has no overhead")
check(abs(rows[("null20k", "cuda_sched_trace")][2] - 50.0) < 1e-9, "one-round tracer overhead")
check(("decode64", "cuda_sched_trace") not in rows, "a workload a tracer did not run has no row")
check(ot.median([3.0, 1.0, 2.0, 4.0]) == 2.5, "even-length median")

# Through the command line: a markdown table, baseline row first.
r = subprocess.run([sys.executable, tool], input=canned, capture_output=True, text=True)
check(r.returncode == 0, "exit %d: %s" % (r.returncode, r.stderr))
lines = r.stdout.splitlines()
check(lines[0].startswith("| workload | tracer |"), "header %r" % lines[:1])
check("| null20k | none | 3 | 1.0000 | baseline |" in r.stdout, "baseline row missing:\n" + r.stdout)
check("| null20k | infertrace-cupti | 3 | 1.1000 | +10.0% | +10.0% .. +20.0% |" in r.stdout, "cupti row:\n" + r.stdout)
r = subprocess.run([sys.executable, tool], input="no results here\n", capture_output=True, text=True)
check(r.returncode == 1 and "no RESULT lines" in r.stderr, "empty input must fail with a reason")

if failures:
    sys.exit(1)
print("overhead table: ok")
