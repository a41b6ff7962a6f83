"""`infertrace export --chrome` against the Trace Event Format rules that Perfetto's JSON importer and
chrome://tracing apply, on a hand-written Kineto trace with a graph launch (several kernels under one
correlation) and on a CUPTI-mode recording made without a GPU (tests/support/cupti_synth):
- every X event's ts/dur are the source's nanoseconds / 1000, exactly (read as decimals);
- every (pid, tid) track has thread_name metadata and every pid process_name (the source's name);
- complete events nest on every track (no partial overlap, which Perfetto draws wrong);
- one flow arrow per GPU activity whose correlation names a call, each with its own id (an
  importer keys a v1 flow by id: a repeated id drops every arrow of a graph launch but one), the
  "s" at the launch call's start on its thread's track (the call gpu.csv names: its first
  launch-kind call, else its first call), the "f" at the activity's start on its
  stream's track;
- on the recording, the counts and times equal those of the CSV export of the same file."""
import collections
import csv
import json
import os
import subprocess
import sys
import tempfile
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import check, failures, run  # noqa: E402

bindir = os.environ["INFERTRACE_BINARY_DIR"]


def kineto_trace():
    """One thread: an operator around a graph launch of three kernels (correlation 7), and an
    operator around a plain launch (correlation 8). Times in microseconds with ns digits."""
    ev = [
        {"ph": "M", "name": "process_name", "pid": 10, "tid": 0, "args": {"name": "python3"}},
        {"ph": "M", "name": "thread_name", "pid": 10, "tid": 11, "args": {"name": "main"}},
        # PyTorch names its threads with their id already: not repeated in the export.
        {"ph": "M", "name": "thread_name", "pid": 10, "tid": 12, "args": {"name": "thread 12 (worker)"}},
        {"ph": "X", "cat": "cpu_op", "name": "aten::empty", "pid": 10, "tid": 12, "ts": 1001.0, "dur": 1.0,
         "args": {"External id": 3}},
        # A name that merely contains the id's digits still gets the id.
        {"ph": "M", "name": "thread_name", "pid": 10, "tid": 3, "args": {"name": "python3"}},
        {"ph": "X", "cat": "cpu_op", "name": "aten::empty", "pid": 10, "tid": 3, "ts": 1002.5, "dur": 1.0,
         "args": {"External id": 4}},
        {"ph": "X", "cat": "cpu_op", "name": "graph_replay", "pid": 10, "tid": 11, "ts": 1000.001, "dur": 50.5,
         "args": {"External id": 1}},
        {"ph": "X", "cat": "cuda_runtime", "name": "cudaGraphLaunch", "pid": 10, "tid": 11, "ts": 1010.123,
         "dur": 20.25, "args": {"correlation": 7, "External id": 1}},
        {"ph": "X", "cat": "cpu_op", "name": "aten::add", "pid": 10, "tid": 11, "ts": 1060.0, "dur": 10.0,
         "args": {"External id": 2}},
        {"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "pid": 10, "tid": 11, "ts": 1061.5,
         "dur": 5.001, "args": {"correlation": 8, "External id": 2}},
    ]
    for k, (ts, dur) in enumerate([(1040.0, 3.5), (1043.75, 2.25), (1046.5, 4.0)]):
        ev.append({"ph": "X", "cat": "kernel", "name": "graph_kernel_%d" % k, "pid": 0, "tid": 7, "ts": ts,
                   "dur": dur, "args": {"device": 0, "stream": 7, "correlation": 7, "External id": 1}})
    ev.append({"ph": "X", "cat": "kernel", "name": "add_kernel", "pid": 0, "tid": 7, "ts": 1070.25, "dur": 1.5,
               "args": {"device": 0, "stream": 7, "correlation": 8, "External id": 2}})
    return {"schemaVersion": 1, "traceEvents": ev}


def ns(v):
    return int(Decimal(v) * 1000)


def load(path):
    return json.load(open(path), parse_float=Decimal)["traceEvents"]


def check_rules(name, events):
    """The format rules every export must meet; returns the X events by track."""
    tracks, thread_names, process_names = collections.defaultdict(list), set(), set()
    for e in events:
        check(isinstance(e.get("pid"), int) and isinstance(e.get("tid"), int), "%s: pid/tid not numeric: %s" % (name, e))
        if e["ph"] == "M":
            (thread_names if e["name"] == "thread_name" else process_names).add(
                (e["pid"], e["tid"]) if e["name"] == "thread_name" else e["pid"])
        elif e["ph"] == "X":
            check(ns(e["dur"]) >= 0, "%s: negative dur %s" % (name, e))
            tracks[(e["pid"], e["tid"])].append((ns(e["ts"]), ns(e["dur"]), e["name"]))
    for key, slices in tracks.items():
        check(key in thread_names, "%s: track %s has no thread_name" % (name, key))
        check(key[0] in process_names, "%s: pid %s has no process_name" % (name, key[0]))
        stack = []
        for ts, dur, n in sorted(slices, key=lambda s: (s[0], -s[1])):
            while stack and stack[-1][0] + stack[-1][1] <= ts:
                stack.pop()
            check(not stack or ts + dur <= stack[-1][0] + stack[-1][1],
                  "%s: %s overlaps %s partially on track %s" % (name, n, stack[-1] if stack else None, key))
            stack.append((ts, dur, n))
    return tracks


def check_flows(name, events, want_arrows):
    """want_arrows: {(launch track, launch ts_ns, GPU track, GPU ts_ns)}, one per arrow."""
    starts = {e["id"]: e for e in events if e["ph"] == "s"}
    ends = {e["id"]: e for e in events if e["ph"] == "f"}
    n_s = sum(1 for e in events if e["ph"] == "s")
    check(n_s == len(starts) == len(ends) == len(want_arrows),
          "%s: %d flow starts (%d ids), %d ends, want %d arrows with distinct ids" %
          (name, n_s, len(starts), len(ends), len(want_arrows)))
    got = set()
    for i, s in starts.items():
        f = ends.get(i)
        if f is None:
            continue
        check(f.get("bp") == "e", "%s: flow end without bp=e binds to the next slice, not the enclosing one" % name)
        got.add(((s["pid"], s["tid"]), ns(s["ts"]), (f["pid"], f["tid"]), ns(f["ts"])))
    check(got == want_arrows, "%s: arrows %s, want %s" % (name, sorted(got), sorted(want_arrows)))


with tempfile.TemporaryDirectory() as d:
    # 1. Kineto trace with a graph launch.
    src = kineto_trace()
    kin = os.path.join(d, "graph.json")
    json.dump(src, open(kin, "w"))
    out = os.path.join(d, "graph_chrome.json")
    r = run("export", kin, "--chrome", out)
    check(r.returncode == 0, "export --chrome of the graph trace: %s" % r.stderr)
    if r.returncode == 0:
        events = load(out)
        tracks = check_rules("kineto", events)
        src_x = sorted((e["name"], ns(Decimal(str(e["ts"]))), ns(Decimal(str(e["dur"]))))
                       for e in src["traceEvents"] if e["ph"] == "X")
        got_x = sorted((n, ts, dur) for slices in tracks.values() for ts, dur, n in slices)
        check(got_x == src_x, "kineto: X events %s, want the source's %s" % (got_x, src_x))
        # Arrows: from the launch call of each correlation to every kernel carrying it.
        track_of = {}
        for (pid, tid), slices in tracks.items():
            for ts, dur, n in slices:
                track_of[n] = ((pid, tid), ts)
        want = set()
        for e in src["traceEvents"]:
            if e.get("cat") == "kernel":
                launch = "cudaGraphLaunch" if e["args"]["correlation"] == 7 else "cudaLaunchKernel"
                want.add(track_of[launch] + track_of[e["name"]])
        check(len(want) == 4, "kineto: test trace should give 4 arrows, got %d" % len(want))
        # The source's process name is kept (it reads back as the same process_name).
        names = {e["pid"]: e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "process_name"}
        check(names.get(10) == "python3", "kineto: process_name of pid 10 is %r, the source's is 'python3'" % names.get(10))
        tnames = {e["tid"]: e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "thread_name" and e["pid"] == 10}
        check(tnames.get(11) == "main 11" and tnames.get(12) == "thread 12 (worker)" and tnames.get(3) == "python3 3", "kineto: thread names %s" % tnames)
        check_flows("kineto", events, want)

    # 2. A CUPTI-mode recording: the Chrome export against the CSV export of the same file.
    rec = os.path.join(d, "loop.itrace")
    synth = os.path.join(bindir, "tests", "support", "cupti_synth", "cupti_synth_recording")
    p = subprocess.run([synth, rec, "50"], capture_output=True, text=True)
    check(p.returncode == 0, "cupti_synth_recording: %s" % p.stderr)
    if p.returncode == 0:
        out, csv_dir = os.path.join(d, "loop.json"), os.path.join(d, "loop_csv")
        r = run("export", rec, "--chrome", out, "--csv", csv_dir)
        check(r.returncode == 0, "export of the recording: %s" % r.stderr)
        if r.returncode == 0:
            events = load(out)
            tracks = check_rules("recording", events)
            rows = lambda f: list(csv.DictReader(open(os.path.join(csv_dir, f), newline="")))  # noqa: E731
            launches, gpu = rows("launches.csv"), rows("gpu.csv")
            api_x = sorted((ns(e["ts"]), e["tid"], e["name"], ns(e["dur"])) for e in events
                           if e["ph"] == "X" and e["cat"] in ("cuda_runtime", "cuda_driver"))
            check(api_x == sorted((int(l["ts_ns"]), int(l["tid"]), l["api"], int(l["dur_ns"] or 0)) for l in launches),
                  "recording: API slices differ from launches.csv (%d against %d rows)" % (len(api_x), len(launches)))
            gpu_x = sorted((ns(e["ts"]), ns(e["dur"]), e["name"]) for e in events
                           if e["ph"] == "X" and e["cat"] in ("kernel", "gpu_memcpy", "gpu_memset"))
            check(gpu_x == sorted((int(g["ts_ns"]), int(g["dur_ns"]), g["name"]) for g in gpu),
                  "recording: GPU slices differ from gpu.csv (%d against %d rows)" % (len(gpu_x), len(gpu)))
            # Arrows: every gpu.csv row whose launch is known, from that launch to the activity.
            launch_track = {(int(l["ts_ns"]), int(l["tid"])): (int(l["pid"]), int(l["tid"])) for l in launches}
            gpu_track = {(ns(e["ts"]), e["name"]): (e["pid"], e["tid"]) for e in events
                         if e["ph"] == "X" and e["cat"] in ("kernel", "gpu_memcpy", "gpu_memset")}
            want = {(launch_track[(int(g["launch_ts_ns"]), int(g["launch_tid"]))], int(g["launch_ts_ns"]),
                     gpu_track[(int(g["ts_ns"]), g["name"])], int(g["ts_ns"])) for g in gpu if g["launch_ts_ns"]}
            check(len(want) > 0, "recording: no launch -> GPU links in gpu.csv")
            check_flows("recording", events, want)

if failures:
    print("FAIL\n" + "\n".join(failures))
    sys.exit(1)
print("ok")
