"""scripts/gpu_tools/kernel_agreement.py (part 32-cupti-vs-kineto) without a GPU: a real CUPTI-mode
recording made by the synthetic producer (tests/support/cupti_synth, the injection library's exact ring
records), exported to CSV, against a Kineto-format trace built to match it; then the same trace with
durations 10% longer, a kernel missing and latencies 10% longer must disagree; and the last-sync window
on a hand-made export picks the profiled stretch (warm-ups, profiled iteration, an empty trailing sync)."""
import csv
import json
import os
import subprocess
import sys
import tempfile

exe = os.environ["INFERTRACE"]
bindir = os.environ["INFERTRACE_BINARY_DIR"]
src = os.environ["INFERTRACE_SOURCE_DIR"]
tool = os.path.join(src, "scripts", "gpu_tools", "kernel_agreement.py")
synth = os.path.join(bindir, "tests", "support", "cupti_synth", "cupti_synth_recording")
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def us(ns):  # Kineto writes microseconds with three decimals
    return "%d.%03d" % (ns // 1000, ns % 1000)


def kineto_json(kernels, path, dur_scale=1.0, lat_scale=1.0, drop=0):
    """kernels: [(name, ts_ns, dur_ns, launch_ts_ns)] -> a Kineto-shaped trace (kernel + cuda_runtime)."""
    ev = []
    for i, (name, ts, dur, launch) in enumerate(kernels[drop:]):
        lat = ts - launch
        ev.append('{"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "pid": 1, "tid": 1, "ts": %s, '
                  '"dur": 4.000, "args": {"correlation": %d}}' % (us(launch), i + 1))
        ev.append('{"ph": "X", "cat": "kernel", "name": %s, "pid": 0, "tid": 7, "ts": %s, "dur": %s, '
                  '"args": {"correlation": %d, "device": 0, "stream": 7}}'
                  % (json.dumps(name), us(launch + int(lat * lat_scale)), us(int(dur * dur_scale)), i + 1))
    with open(path, "w") as f:
        f.write('{"traceEvents": [\n' + ",\n".join(ev) + "\n]}\n")


def agree(csv_dir, trace, *extra):
    return subprocess.run([sys.executable, tool, csv_dir, trace, *extra], capture_output=True, text=True)


with tempfile.TemporaryDirectory() as d:
    rec = os.path.join(d, "synth.itrace")
    r = subprocess.run([synth, rec, "200"], capture_output=True, text=True)
    check(r.returncode == 0, "synth recording failed: %s" % r.stderr)
    out = os.path.join(d, "csv")
    e = subprocess.run([exe, "export", rec, "--csv", out], capture_output=True, text=True)
    check(e.returncode == 0, "export --csv failed: %s" % e.stderr)
    with open(os.path.join(out, "gpu.csv")) as f:
        kernels = [(g["name"], int(g["ts_ns"]), int(g["dur_ns"]), int(g["launch_ts_ns"]))
                   for g in csv.DictReader(f) if g["kind"] == "kernel"]
    check(len(kernels) == 200, "synth kernels %d != 200" % len(kernels))

    same = os.path.join(d, "same.json")
    kineto_json(kernels, same)
    a = agree(out, same, "--window", "all")
    check(a.returncode == 0, "matching trace must agree (rc %d):\n%s%s" % (a.returncode, a.stdout, a.stderr))
    check("| gemm_0 | 100 / 100 |" in a.stdout and "2 kernel names, 2 agree" in a.stdout, "table:\n" + a.stdout)

    for label, kw, expect in (("durations +10%", {"dur_scale": 1.10}, "NO"),
                              ("one kernel missing", {"drop": 1}, "100 / 99"),
                              ("latencies +10%", {"lat_scale": 1.10}, "NO"),
                              ("durations +4%", {"dur_scale": 1.04}, None)):
        p = os.path.join(d, "perturbed.json")
        kineto_json(kernels, p, **kw)
        a = agree(out, p, "--window", "all")
        if expect is None:
            check(a.returncode == 0, "%s is within 5%%: rc %d\n%s" % (label, a.returncode, a.stdout))
        else:
            check(a.returncode == 1 and expect in a.stdout, "%s must disagree: rc %d\n%s" % (label, a.returncode, a.stdout))

    # The synthetic recording has no cudaDeviceSynchronize: last-sync says so instead of guessing.
    a = agree(out, same)
    check(a.returncode == 2 and "--window all" in a.stderr, "no syncs: rc %d %s" % (a.returncode, a.stderr))
    empty = os.path.join(d, "empty.json")
    with open(empty, "w") as f:
        f.write('{"traceEvents": []}')
    a = agree(out, empty, "--window", "all")
    check(a.returncode == 2 and "no kernels" in a.stderr, "a CPU-only Kineto trace is unusable: %s" % a.stderr)

    a = agree(os.path.join(d, "no-such-export"), same, "--window", "all")
    check(a.returncode == 2 and "no GPU activity" in a.stderr, "a recording without GPU activity: %s" % a.stderr)

    # last-sync on a hand-made export: 2 warm-up kernels, sync, 3 profiled kernels, sync, sync (profiler exit).
    hand = os.path.join(d, "hand")
    os.makedirs(hand)
    with open(os.path.join(hand, "launches.csv"), "w") as f:
        f.write("ts_ns,pid,tid,cpu,api,dur_ns,stream\n")
        for ts, api, dur in ((100, "cudaLaunchKernel", 5), (200, "cudaLaunchKernel", 5), (300, "cudaDeviceSynchronize", 50),
                             (400, "cudaLaunchKernel", 5), (500, "cudaLaunchKernel", 5), (600, "cudaLaunchKernel", 5),
                             (700, "cudaDeviceSynchronize", 50), (800, "cudaDeviceSynchronize", 10)):
            f.write("%d,1,1,0,%s,%d,\n" % (ts, api, dur))
    with open(os.path.join(hand, "gpu.csv"), "w") as f:
        f.write("ts_ns,dur_ns,kind,device,stream,correlation,launch_ts_ns,launch_tid,name,grid_x,grid_y,grid_z,block_x,block_y,block_z\n")
        for launch in (100, 200, 400, 500, 600):
            f.write("%d,20,kernel,0,7,%d,%d,1,add,1,1,1,1,1,1\n" % (launch + 10, launch, launch))
    hk = os.path.join(d, "hand.json")
    kineto_json([("add", t + 10, 20, t) for t in (400, 500, 600)], hk)
    a = agree(hand, hk)
    check(a.returncode == 0 and "| add | 3 / 3 | 20 / 20 |" in a.stdout, "last-sync window:\n%s%s" % (a.stdout, a.stderr))
    a = agree(hand, hk, "--window", "all")
    check(a.returncode == 1 and "5 / 3" in a.stdout, "window all counts the warm-ups too:\n" + a.stdout)

if failures:
    sys.exit(1)
print("kernel agreement: ok")
