"""Every output of a CUPTI recording whose launch callbacks were refused, without a GPU (review AN:
H1, H2, M1, M2, M4, L3). tests/support/cupti_synth/cupti_synth_recording writes two recordings of
each kind through the real ring and merge: "unmeasured" (no launch-class callback enabled: neither
the 12/24 kernel launches nor the async copy are recorded, their GPU work is) and "partial" (the
launches are recorded, CUPTI refused cuLaunchKernelEx). report, sched, compare, fusion, sweep,
ingest and analyze --json run on them; each must say so on stderr, show no unmeasured launch figure
as a number, draw no verdict from one, and note what a partial one leaves out. Expected values are
computed here from the producer's script (cupti_synth_producer.h), not read from the code."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from _harness import EXE as exe, check, failures, as_json  # noqa: E402

bindir = os.environ["INFERTRACE_BINARY_DIR"]
synth = os.path.join(bindir, "tests", "support", "cupti_synth", "cupti_synth_recording")
PID = 4242
PERIOD, LATENCY, KERNEL, COPY = 50_000, 10_000, 30_000, 2_000  # the producer's script (ns)
UNMEASURED_REFUSED = ["cudaLaunchKernel_v7000", "cuLaunchKernel", "cudaMemcpyAsync_v3020"]
REASON = ("launch calls not measured in pid %d: no launch callback enabled (CUPTI refused %s)"
          % (PID, ", ".join(UNMEASURED_REFUSED)))
NOTE = ("launch figures are partial: they leave out, in pid %d: the calls of cuLaunchKernelEx (CUPTI refused their "
        "callbacks)" % PID)
LAUNCH_KEYS = ["launch_calls", "linked_launch_calls", "graph_launches", "tklqt_ns", "tklqt_launch_ns",
               "tklqt_queue_ns", "api_time_ns", "bound", "orphan_launch_calls", "launch_calls_unknown_duration",
               "clock_skew_clamped", "duplicate_correlation_calls", "launch_thread", "host_active_ns", "host_sync_ns",
               "cpu_idle_ns", "cpu_idle_fraction", "operator_links"]


def run(*args):
    r = subprocess.run([exe, *args], capture_output=True, text=True)
    check(r.returncode == 0, "%s failed (%d): %s" % (" ".join(args), r.returncode, r.stderr))
    return r


def noted(r, path, text, verb):
    """The one stderr note every verb prints for such a recording."""
    check(("infertrace: note: %s: %s" % (path, text)) in r.stderr, "%s: no note %r on stderr: %r" % (verb, text, r.stderr))


with tempfile.TemporaryDirectory() as d:
    rec = {}
    for kind, extra in (("unmeasured", ["--no-launch-callbacks", "--refused", ",".join(UNMEASURED_REFUSED)]),
                        ("partial", ["--refused", "cuLaunchKernelEx"])):
        for bs, n in ((1, 12), (2, 24)):
            path = os.path.join(d, "%s_bs%d.itrace" % (kind, bs))
            r = subprocess.run([synth, path, str(n)] + extra, capture_output=True, text=True)
            check(r.returncode == 0, "synthetic recording %s failed: %s" % (path, r.stderr))
            rec[kind, bs] = path
    if failures:
        sys.exit(1)

    # --- Unmeasured: every launch figure unknown, no verdict from it.
    u1, u2 = rec["unmeasured", 1], rec["unmeasured", 2]
    r = run("analyze", u1, "--json")
    noted(r, u1, REASON, "analyze")
    j = as_json(r, "analyze")
    check(all(k in j and j[k] is None for k in LAUNCH_KEYS), "analyze: launch figures %r" % {k: j.get(k) for k in LAUNCH_KEYS})
    check(j.get("launch_undefined_reason") == REASON, "analyze: reason %r" % j.get("launch_undefined_reason"))
    # The IL window starts at the first kernel, not at the sync after the last one (M4).
    il = 12 * PERIOD + LATENCY + COPY - LATENCY
    check(j.get("inference_latency_ns") == il and j.get("gpu_busy_ns") == 12 * KERNEL + COPY,
          "analyze: IL %r (expected %d), GPU busy %r" % (j.get("inference_latency_ns"), il, j.get("gpu_busy_ns")))
    s = j.get("sched", {})
    check(s.get("signature") == "launches_not_measured" and s.get("launches") is None and s.get("sched_per_1k") is None,
          "analyze --json .sched: %r %r %r" % (s.get("signature"), s.get("launches"), s.get("sched_per_1k")))

    r = run("sched", u1, "--json")
    noted(r, u1, REASON, "sched")
    j = as_json(r, "sched")
    check(j.get("signature") == "launches_not_measured", "sched: signature %r" % j.get("signature"))
    check(REASON in j.get("verdict", ""), "sched: verdict %r" % j.get("verdict"))
    for k in ("launches", "sched_per_1k", "preempt_per_1k", "block_per_1k", "irq_per_1k_hard", "irq_per_1k_soft"):
        check(k in j and j[k] is None, "sched: %s = %r, expected null" % (k, j.get(k)))
    check(j.get("launch_undefined_reason") == REASON and j["pairs"]["all"]["count"] == 0, "sched: reason/pairs %r" % j.get("pairs"))
    r = run("sched", u1)
    check("No launch-pair analysis: " + REASON in r.stdout and "too_few_launches" not in r.stdout,
          "sched text: %s" % r.stdout)

    r = run("compare", u1, u2, "--json")
    noted(r, u2, REASON, "compare")
    j = as_json(r, "compare")
    check(j.get("basis") == "none", "compare: basis %r" % j.get("basis"))
    for sc in j.get("scenarios", []):
        check(sc["launches"] is None and sc["rate"] is None and sc["slowdown_pct"] is None
              and sc["signature"] == "launches_not_measured", "compare: scenario %r" % sc)
    check("no measurable change" not in run("compare", u1, u2).stdout, "compare text draws a verdict")

    r = run("fusion", u1, "--json")
    noted(r, u1, REASON, "fusion")
    j = as_json(r, "fusion")
    check(j.get("launch_part_total_ns") is None and j.get("bound") is None and j.get("launch_undefined_reason") == REASON,
          "fusion: %r %r %r" % (j.get("launch_part_total_ns"), j.get("bound"), j.get("launch_undefined_reason")))
    check(all(l["launch_time_saved_ns"] is None and l["predicted_il_ns"] is None for l in j.get("lengths", [])),
          "fusion: lengths %r" % j.get("lengths"))
    check(all(c["launch_time_saved_ns"] is None for c in j.get("candidates", [])), "fusion: candidates")
    v = j.get("verdict", "")
    check(REASON in v and "unknown" in v and "This trace is GPU-bound" not in v and "The trace is CPU-bound" not in v
          and "saving" not in v,
          "fusion: verdict %r" % v)

    r = run("sweep", u1, u2, "--json")
    noted(r, u1, REASON, "sweep")
    j = as_json(r, "sweep")
    for p in j.get("points", []):
        for k in ("tklqt_ns", "tklqt_launch_ns", "tklqt_queue_ns", "cpu_idle_ns", "cpu_idle_share", "bound",
                  "orphan_launch_calls"):
            check(k in p and p[k] is None, "sweep: batch %s %s = %r" % (p.get("batch"), k, p.get(k)))
        check(p.get("launch_undefined_reason") == REASON and isinstance(p.get("inference_latency_ns"), int),
              "sweep: point %r" % p)
    check(j.get("transition_batch") is None and "Launches were not measured at batch 1, 2" in j.get("summary", ""),
          "sweep: %r %r" % (j.get("transition_batch"), j.get("summary")))

    r = run("ingest", u1, "--json")
    noted(r, u1, REASON, "ingest")
    j = as_json(r, "ingest")
    check(j.get("launch_calls") is None and j.get("launch_undefined_reason") == REASON, "ingest: %r" % j.get("launch_calls"))
    check("- (not measured" in run("ingest", u1).stdout, "ingest text shows a launch count")

    html = os.path.join(d, "u.html")
    r = run("report", u1, "-o", html)
    noted(r, u1, REASON, "report")
    page = open(html).read() if os.path.exists(html) else ""
    check("CUPTI refused 3 callbacks in pid %d, not recorded: %s" % (PID, ", ".join(UNMEASURED_REFUSED)) in page,
          "report: refused names missing")
    check(REASON + ", so there is no launch metric and no CPU- or GPU-bound verdict" in page, "report: no finding says why")
    for shown in ("GPU (queue-bound)", "CPU (launch-bound)", "GPU-bound.", "GPU-bound by the queue criterion",
                  "CPU-bound (launch-dominated)", "launch calls</td><td>0"):
        check(shown not in page, "report: %r shown for an unmeasured recording" % shown)

    # --- Partial: figures stay numbers, each output says what they leave out.
    p1, p2 = rec["partial", 1], rec["partial", 2]
    r = run("analyze", p1, "--json")
    noted(r, p1, NOTE, "analyze")
    j = as_json(r, "analyze")
    check(j.get("launch_calls") == 13 and j.get("launch_partial_note") == NOTE and "launch_undefined_reason" not in j,
          "analyze partial: %r %r" % (j.get("launch_calls"), j.get("launch_partial_note")))
    r = run("sched", p1, "--json")
    noted(r, p1, NOTE, "sched")
    j = as_json(r, "sched")
    check(j.get("launches") == 13 and j.get("launch_partial_note") == NOTE and NOTE in j.get("verdict", ""),
          "sched partial: %r %r" % (j.get("launches"), j.get("verdict")))
    j = as_json(run("compare", p1, p2, "--json"), "compare")
    check(j.get("basis") == "launch_rate" and all(isinstance(s["rate"], float) for s in j.get("scenarios", [])),
          "compare partial: %r" % j)
    r = run("fusion", p1, "--json")
    j = as_json(r, "fusion")
    check(isinstance(j.get("launch_part_total_ns"), int) and j.get("launch_partial_note") == NOTE
          and NOTE + ": the saving is a lower bound" in j.get("verdict", ""), "fusion partial: %r" % j.get("verdict"))
    j = as_json(run("sweep", p1, p2, "--json"), "sweep")
    check(all(p.get("launch_partial_note") == NOTE and isinstance(p.get("tklqt_ns"), int) for p in j.get("points", [])),
          "sweep partial: %r" % j.get("points"))
    r = run("ingest", p1, "--json")
    noted(r, p1, NOTE, "ingest")
    j = as_json(r, "ingest")
    check(j.get("launch_calls") == 13 and j.get("launch_partial_note") == NOTE, "ingest partial: %r" % j.get("launch_calls"))
    html = os.path.join(d, "p.html")
    run("report", p1, "-o", html)
    page = open(html).read() if os.path.exists(html) else ""
    check(NOTE + "; the launch figures below are lower bounds" in page, "report partial: no note")

if failures:
    sys.exit(1)
print("cupti refused, every output: ok")
