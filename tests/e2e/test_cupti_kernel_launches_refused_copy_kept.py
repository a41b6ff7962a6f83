"""CUPTI refused the kernel launch callbacks but accepted the async copy's (review AR H1: the likeliest
real refusal), without a GPU. tests/support/cupti_synth/cupti_synth_recording --no-launch-callbacks
--keep-copy writes it through the real ring and merge: the copy's call is recorded, the kernel
launches are not (their kernels are). The copy alone must not read as the process's launches: every
output leaves the launch figures unknown and draws no verdict, the API rows and orphans say they count
what was recorded, and `compare` against a fully recorded run keeps that run's launch rate (review AR
L5). Expected values come from the producer's script (cupti_synth_producer.h), not from the code."""
import os
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from _harness import EXE as exe, check, failures, as_json  # noqa: E402

bindir = os.environ["INFERTRACE_BINARY_DIR"]
synth = os.path.join(bindir, "tests", "support", "cupti_synth", "cupti_synth_recording")
PID, N = 4242, 12
REFUSED = ["cudaLaunchKernel_v7000", "cuLaunchKernel"]
REASON = ("launch calls not measured in pid %d: no kernel or graph launch callback enabled (async copies and sets "
          "alone are not its launches) (CUPTI refused %s)" % (PID, ", ".join(REFUSED)))
RECORDED_NOTE = ("the CUDA API rows and the orphan GPU activities count the calls recorded: launch calls whose "
                 "callbacks CUPTI refused or did not enable are in no row, and the GPU work they started is orphan")


def run(*args):
    r = subprocess.run([exe, *args], capture_output=True, text=True)
    check(r.returncode == 0, "%s failed (%d): %s" % (" ".join(args), r.returncode, r.stderr))
    return r


def read_meta(path):
    j = as_json(run("ingest", path, "--json"), "ingest")
    return j.get("meta", {})


with tempfile.TemporaryDirectory() as d:
    kept = os.path.join(d, "copy_kept.itrace")
    full = os.path.join(d, "full.itrace")
    for path, extra in ((kept, ["--no-launch-callbacks", "--keep-copy", "--refused", ",".join(REFUSED)]), (full, [])):
        r = subprocess.run([synth, path, str(N)] + extra, capture_output=True, text=True)
        check(r.returncode == 0, "synthetic recording %s failed: %s" % (path, r.stderr))
    if failures:
        sys.exit(1)

    m = read_meta(kept)
    key = "cupti.callbacks.%d." % PID
    for k, v in ((key + "launch_enabled", "1"), (key + "kernel_launch_enabled", "0"), (key + "launch_refused", "2"),
                 ("cupti.processes_without_launch_callbacks", "1")):
        check(m.get(k) == v, "META %s = %r, expected %r" % (k, m.get(k), v))

    r = run("analyze", kept, "--json")
    check(("infertrace: note: %s: %s" % (kept, REASON)) in r.stderr, "analyze: no note on stderr: %r" % r.stderr)
    j = as_json(r, "analyze")
    for k in ("launch_calls", "tklqt_ns", "bound", "cpu_idle_ns", "launch_thread"):
        check(k in j and j[k] is None, "analyze: %s = %r, expected null (the copy is no launch measurement)" % (k, j.get(k)))
    check(j.get("launch_undefined_reason") == REASON, "analyze: reason %r" % j.get("launch_undefined_reason"))
    check(j.get("kernels") == N and j.get("memcpys") == 1, "analyze: GPU side %r %r" % (j.get("kernels"), j.get("memcpys")))
    apis = {a["name"]: a["calls"] for a in j.get("apis", [])}
    check(apis == {"cudaMemcpyAsync": 1, "cudaStreamSynchronize": 1}, "analyze: apis %r" % apis)
    # The copy is tied to its recorded call; the N kernels have none.
    check(j.get("orphan_activities") == N and j.get("recorded_calls_note") == RECORDED_NOTE,
          "analyze: orphans %r, note %r" % (j.get("orphan_activities"), j.get("recorded_calls_note")))
    proc = j.get("cupti_callbacks", {}).get("processes", [{}])[0]
    check(proc.get("launches_measured") is False and proc.get("launch_callbacks_enabled") == 1
          and proc.get("kernel_launch_callbacks_enabled") == 0, "analyze: cupti_callbacks %r" % proc)
    t = run("analyze", kept).stdout
    check(RECORDED_NOTE + "\n" in t and "bound                          -" in t, "analyze text:\n%s" % t)

    j = as_json(run("sched", kept, "--json"), "sched")
    check(j.get("signature") == "launches_not_measured" and j.get("launches") is None, "sched: %r %r"
          % (j.get("signature"), j.get("launches")))
    j = as_json(run("fusion", kept, "--json"), "fusion")
    v = j.get("verdict", "")
    check(j.get("bound") is None and REASON in v and "unknown" in v and "This trace is GPU-bound" not in v
          and "The trace is CPU-bound" not in v and j.get("launch_part_total_ns") is None, "fusion: %r" % v)
    html = os.path.join(d, "k.html")
    run("report", kept, "-o", html)
    page = open(html).read() if os.path.exists(html) else ""
    check("GPU-bound." not in page and "GPU (queue-bound)" not in page and REASON in page, "report draws a bound")
    # The API table of the HTML report says what its rows count, from the recording and from the saved JSON.
    check(RECORDED_NOTE in page, "report (recording): no recorded-calls note under the API table")
    saved = os.path.join(d, "k.analyze.json")
    with open(saved, "w") as f:
        f.write(run("analyze", kept, "--json").stdout)
    html2 = os.path.join(d, "k2.html")
    run("report", saved, "-o", html2)
    page2 = open(html2).read() if os.path.exists(html2) else ""
    check(RECORDED_NOTE in page2 and "recorded calls note" not in page2
          and "no recorded API call (its launch call was not recorded" in page2,
          "report (saved JSON): the note under the API table and the orphans' meaning")
    # export --sqlite stores the note with the other summary keys.
    db = os.path.join(d, "k.db")
    run("export", kept, "--sqlite", db)
    con = sqlite3.connect(db)
    got = con.execute("SELECT value FROM launch_summary WHERE metric = 'recorded_calls_note'").fetchall()
    con.close()
    check(got == [(RECORDED_NOTE,)], "sqlite recorded_calls_note: %r" % got)

    # compare: the fully recorded baseline keeps its launch rate (N launches and the copy).
    j = as_json(run("compare", full, kept, "--json"), "compare")
    rows = j.get("scenarios", [{}, {}])
    base, other = rows[0], rows[1]
    check(j.get("basis") == "launch_rate" and j.get("rate_not_measured") == ["copy_kept"], "compare: %r" % j)
    check(base.get("launches") == N + 1 and base.get("rate") == (N + 1) * 1e9 / base.get("wall_ns", 1),
          "compare: baseline %r" % base)
    check(other.get("rate") is None and other.get("slowdown_pct") is None and other.get("launches") is None
          and other.get("verdict") == "launch calls not measured in its recording (no launch rate)", "compare: %r" % other)
    t = run("compare", full, kept).stdout
    check("no launch rate for copy_kept" in t, "compare text: %s" % t)

if failures:
    sys.exit(1)
print("kernel launches refused, copy kept: ok")
