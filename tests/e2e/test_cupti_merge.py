"""A CUPTI-mode recording without a GPU: tests/support/cupti_synth/cupti_synth_recording runs the
real ring and the recorder's merge against a forked synthetic producer that writes exactly the
records the injection library writes (kernels whose launch latency, queue time and TKLQT are known
in closed form), and `infertrace analyze --json` must report those values; the same with GPU times on
a raw clock converted by the paired-sample fit, and `infertrace sched --json` must carry the
gpu_starved_by_scheduler key. The GPU-side checks of the real library are listed in docs/record.md."""
import csv
import json
import os
import subprocess
import sys
import tempfile

exe = os.environ["INFERTRACE"]
bindir = os.environ["INFERTRACE_BINARY_DIR"]
synth = os.path.join(bindir, "tests", "support", "cupti_synth", "cupti_synth_recording")
failures = []

# Mirrors tests/support/cupti_synth/cupti_synth_producer.h.
PERIOD, API_DUR, LATENCY, KERNEL_DUR = 50_000, 4_000, 10_000, 30_000


def check(cond, what):
    if not cond:
        failures.append(what)


with tempfile.TemporaryDirectory() as d:
    for launches, mode in ((200, "monotonic"), (64, "raw")):
        path = os.path.join(d, "%s.itrace" % mode)
        args = [synth, path, str(launches)] + (["raw"] if mode == "raw" else [])
        r = subprocess.run(args, capture_output=True, text=True)
        check(r.returncode == 0, "%s: synth producer failed: %s" % (mode, r.stderr))
        if r.returncode != 0:
            continue
        a = subprocess.run([exe, "analyze", path, "--json"], capture_output=True, text=True)
        check(a.returncode == 0, "%s: analyze failed: %s" % (mode, a.stderr))
        if a.returncode != 0:
            continue
        j = json.loads(a.stdout)
        calls = launches + 1  # the kernels + one cudaMemcpyAsync
        check(j["kernels"] == launches, "%s: kernels %r != %d" % (mode, j["kernels"], launches))
        check(j["launch_calls"] == calls and j["linked_launch_calls"] == calls,
              "%s: launch calls %r/%r != %d" % (mode, j["launch_calls"], j["linked_launch_calls"], calls))
        check(j["tklqt_ns"] == calls * LATENCY, "%s: tklqt %r != %d" % (mode, j["tklqt_ns"], calls * LATENCY))
        check(j["tklqt_queue_ns"] == calls * (LATENCY - API_DUR),
              "%s: tklqt queue %r != %d" % (mode, j["tklqt_queue_ns"], calls * (LATENCY - API_DUR)))
        check(j["orphan_launch_calls"] == 0, "%s: orphan launch calls %r" % (mode, j["orphan_launch_calls"]))
        out = os.path.join(d, "csv-" + mode)
        e = subprocess.run([exe, "export", path, "--csv", out], capture_output=True, text=True)
        check(e.returncode == 0, "%s: export --csv failed: %s" % (mode, e.stderr))
        if e.returncode == 0:
            with open(os.path.join(out, "gpu.csv")) as f:
                gpu = list(csv.DictReader(f))
            with open(os.path.join(out, "launches.csv")) as f:
                calls_csv = list(csv.DictReader(f))
            check(list(calls_csv[0].keys()) == "ts_ns,pid,tid,cpu,api,dur_ns,stream".split(","),
                  "%s: launches.csv columns %r" % (mode, list(calls_csv[0].keys())))
            launch_at = {(r["tid"], int(r["ts_ns"])) for r in calls_csv}
            kernels = [r for r in gpu if r["kind"] == "kernel"]
            check(len(kernels) == launches, "%s: gpu.csv kernels %d" % (mode, len(kernels)))
            # Every kernel names its launch call (a row of launches.csv), LATENCY after it.
            check(all((r["launch_tid"], int(r["launch_ts_ns"] or -1)) in launch_at for r in kernels),
                  "%s: gpu.csv launch_ts_ns/launch_tid do not name launches.csv rows" % mode)
            check(all(int(r["ts_ns"]) - int(r["launch_ts_ns"] or -10**18) == LATENCY for r in kernels),
                  "%s: gpu.csv kernels not LATENCY after their launch" % mode)
        s = subprocess.run([exe, "sched", path, "--json"], capture_output=True, text=True)
        check(s.returncode == 0, "%s: sched failed: %s" % (mode, s.stderr))
        if s.returncode == 0:
            sj = json.loads(s.stdout)
            # No context switches in a synthetic recording: the key is there, and null (unknown).
            check("gpu_starved_by_scheduler" in sj and sj["gpu_starved_by_scheduler"] is None,
                  "%s: sched gpu_starved_by_scheduler %r" % (mode, sj.get("gpu_starved_by_scheduler")))

for f in failures:
    print("FAIL:", f)
sys.exit(1 if failures else 0)
