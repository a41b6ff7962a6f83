"""`infertrace export --chrome` writes the PyTorch profiler's (Kineto) categories and args, so a
recording exported and read back as a Kineto trace gives the same launch analysis (`analyze`) and
the same fusion analysis (`fusion`, also cut to a decode window), on CUPTI-mode recordings made
without a GPU (tests/support/cupti_synth: the plain launch loop, the same on a raw GPU clock, and
the eager-decode-shaped recording of the closed-loop test)."""
import glob
import gzip
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from _harness import check, failures, run  # noqa: E402

bindir = os.environ["INFERTRACE_BINARY_DIR"]
synth_dir = os.path.join(bindir, "tests", "support", "cupti_synth")

# What the launch analysis must give identically (file, sched and meta naturally differ).
LAUNCH_KEYS = ["kernels", "memcpys", "memsets", "gpu_activities", "api_calls", "launch_calls", "linked_launch_calls",
               "sync_calls", "graph_launches", "tklqt_ns", "tklqt_launch_ns", "tklqt_queue_ns", "api_time_ns", "akd_ns",
               "inference_latency_ns", "gpu_busy_ns", "gpu_idle_ns", "host_active_ns", "cpu_idle_ns", "host_sync_ns",
               "bound", "orphan_activities", "orphan_launch_calls", "clock_skew_clamped", "t_begin_ns", "t_end_ns",
               "streams", "apis", "kernel_stats", "launch_thread"]


def json_of(*args):
    r = run(*args)
    check(r.returncode == 0, "%s failed: %s" % (" ".join(args), r.stderr))
    return json.loads(r.stdout) if r.returncode == 0 else None


def without(doc, *keys):
    return {k: v for k, v in doc.items() if k not in keys}


with tempfile.TemporaryDirectory() as d:
    recordings = []
    for name, args in (("loop", ["cupti_synth_recording", "200"]), ("raw", ["cupti_synth_recording", "64", "raw"]),
                       ("decode", ["cupti_synth_decode", "5"])):
        path = os.path.join(d, name + ".itrace")
        cmd = [os.path.join(synth_dir, args[0]), path] + args[1:]
        r = subprocess.run(cmd, capture_output=True, text=True)
        check(r.returncode == 0, "%s: %s" % (" ".join(cmd), r.stderr))
        if r.returncode == 0:
            recordings.append((name, path))

    for name, rec in recordings:
        chrome = os.path.join(d, name + ".json")
        e = run("export", rec, "--chrome", chrome)
        check(e.returncode == 0, "%s: export --chrome: %s" % (name, e.stderr))
        if e.returncode != 0:
            continue
        with open(chrome) as f:
            events = json.load(f)["traceEvents"]
        check(all(x.get("cat") != "cuda_api" for x in events), "%s: an API call not in a Kineto category" % name)
        a, b = json_of("analyze", rec, "--json"), json_of("analyze", chrome, "--json")
        if a and b:
            check(b["skipped"] == {}, "%s: the Kineto reader skipped events: %r" % (name, b["skipped"]))
            check(a["linked_launch_calls"] > 0, "%s: nothing linked in the recording" % name)
            for k in LAUNCH_KEYS:
                check(a.get(k) == b.get(k), "%s: analyze %s: recording %r, re-read Chrome JSON %r" % (name, k, a.get(k), b.get(k)))
        fa, fb = json_of("fusion", rec, "--json"), json_of("fusion", chrome, "--json")
        if fa and fb:
            check(without(fa, "trace") == without(fb, "trace"), "%s: fusion --json differs after the round trip" % name)

    # The closed loop on the decode-shaped recording, cut to its decode steps, is the same too.
    decode = dict(recordings).get("decode")
    if decode:
        window = os.path.join(d, "window.json")
        with open(window, "w") as f:
            json.dump({"backend": "cuda", "mode": "eager", "n_seq": 1, "n_decode_evals": 5, "tg_tokens_per_second": 10.0,
                       "launches_per_decode_step": 17, "kernels_per_decode_step": 17,
                       "decode_window_ns": {"start": 1_000_000_000, "end": 2_000_000_000}}, f)
        fa = json_of("fusion", decode, "--json", "--decode-window", window, "--measured", "eager=" + window)
        fb = json_of("fusion", os.path.join(d, "decode.json"), "--json", "--decode-window", window, "--measured",
                     "eager=" + window)
        if fa and fb:
            check(without(fa, "trace") == without(fb, "trace"), "decode: fusion --decode-window differs after the round trip")

    # A Kineto trace exported and read back: every figure of analyze the same (External id, grid
    # and block were once left out, and operators were then linked by time containment instead).
    src = os.environ.get("INFERTRACE_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
    for name in ("gpt2_prefill_bs1.json.gz", "nullkernel_2000.json.gz"):
        trace = os.path.join(src, "examples", "traces", name)
        chrome = os.path.join(d, name + ".chrome.json")
        e = run("export", trace, "--chrome", chrome)
        check(e.returncode == 0, "%s: export --chrome: %s" % (name, e.stderr))
        a, b = json_of("analyze", trace, "--json"), json_of("analyze", chrome, "--json") if e.returncode == 0 else None
        if a and b:
            for k in sorted(set(a) | set(b)):
                if k != "file":
                    check(a.get(k) == b.get(k), "%s: analyze %s differs after the round trip: %r vs %r" %
                          (name, k, str(a.get(k))[:200], str(b.get(k))[:200]))

    # A legacy autograd trace (no category, pid "CPU functions", times from the profile's start)
    # whose first operator starts at 0, a real time there that the reader keeps: read back from the
    # export every operator is there, with the same host span and t_begin (review RT M2: the export
    # wrote it as a Kineto operator at ts 0, which the reader left out as a zeroed field).
    legacy_ops = [("aten::empty", 0, 5), ("aten::add", 3, 10), ("aten::mul", 20, 4)]
    legacy = os.path.join(d, "legacy0.json")
    with open(legacy, "w") as f:
        json.dump([{"name": n, "ph": "X", "ts": ts, "dur": dur, "tid": 1, "pid": "CPU functions", "args": {}}
                   for n, ts, dur in legacy_ops], f)
    legacy_chrome = os.path.join(d, "legacy0.chrome.json")
    e = run("export", legacy, "--chrome", legacy_chrome)
    check(e.returncode == 0, "legacy0: export --chrome: %s" % e.stderr)
    a, b = json_of("analyze", legacy, "--json"), json_of("analyze", legacy_chrome, "--json") if e.returncode == 0 else None
    if a and b:
        # The original as the input says (us -> ns), so that equal figures are the right ones.
        begin = min(ts for _, ts, _ in legacy_ops) * 1000
        end = max(ts + dur for _, ts, dur in legacy_ops) * 1000
        check(a["operators"] == len(legacy_ops) and a["host"]["t_begin_ns"] == begin and
              a["host"]["span_ns"] == end - begin, "legacy0: the original reads %r operators, host %r" %
              (a["operators"], {k: a["host"].get(k) for k in ("t_begin_ns", "span_ns")}))
        check(b["skipped"] == {}, "legacy0: the round trip skipped %r" % b["skipped"])
        for k in sorted(set(a) | set(b)):
            if k != "file":
                check(a.get(k) == b.get(k), "legacy0: analyze %s differs after the round trip: %r vs %r" %
                      (k, str(a.get(k))[:200], str(b.get(k))[:200]))

    # A real Kineto trace's event at ts 0 is still a zeroed field, left out and counted: only the
    # export's mark (args "zero_ts": "real") keeps one.
    kineto0 = os.path.join(d, "kineto0.json")
    kineto_events = [{"ph": "X", "cat": "cpu_op", "name": "aten::zeroed", "pid": 439, "tid": 440, "ts": 0, "dur": 3},
                     {"ph": "X", "cat": "cpu_op", "name": "aten::mm", "pid": 439, "tid": 440, "ts": 1790857026000000,
                      "dur": 40},
                     {"ph": "X", "cat": "kernel", "name": "k", "pid": 0, "tid": 7, "ts": 0, "dur": 2,
                      "args": {"device": 0, "stream": 7, "correlation": 3}}]
    with open(kineto0, "w") as f:
        json.dump({"schemaVersion": 1, "traceEvents": kineto_events}, f)
    k = json_of("ingest", kineto0, "--json")
    if k:
        zero = sum(1 for x in kineto_events if x["ts"] == 0)
        kept_ops = sum(1 for x in kineto_events if x["cat"] == "cpu_op" and x["ts"] != 0)
        check(k["skipped"].get("skipped_zero_ts") == zero and k["operators"] == kept_ops and k["kernels"] == 0,
              "kineto0: a Kineto event at ts 0 was not left out: skipped %r, operators %r" % (k["skipped"], k["operators"]))

    # A Kineto trace's top-level facts (device names, CUDA driver/runtime/CUPTI versions,
    # baseTimeNanoseconds, traceName, trace_id, schemaVersion, displayTimeUnit), as the reader keeps
    # them in meta, are the same after the round trip (review RT L2: the export wrote none). What
    # to expect is worked out here from the file's own top level (scalar members as their JSON
    # text, deviceProperties' names by position), and the original's ingest must hold exactly that.
    shared_dirs = [os.environ.get("INFERTRACE_SHARED_DIR", ""), os.path.join(src, "..", "shared"),
                   os.path.join(src, "..", "..", "shared")]
    fixtures = next((sorted(glob.glob(os.path.join(s, "fixtures", "kineto-h100", "*_bs1.json.gz")))
                     for s in shared_dirs if s and os.path.isdir(os.path.join(s, "fixtures", "kineto-h100"))), [])
    for trace in [os.path.join(src, "examples", "traces", "gpt2_prefill_bs1.json.gz")] + fixtures:
        name = os.path.basename(trace)
        with gzip.open(trace, "rt") as f:
            top = json.load(f, parse_int=str, parse_float=str)  # numbers as their text
        expected = {}
        for key, v in top.items():
            if isinstance(v, bool):
                expected["kineto." + key] = "true" if v else "false"
            elif isinstance(v, str):
                expected["kineto." + key] = v
        for i, dev in enumerate(x for x in top.get("deviceProperties", []) if isinstance(x, dict)):
            if isinstance(dev.get("name"), str):
                expected["device.%d.name" % i] = dev["name"]
        check(any(k.startswith("device.") for k in expected) and "kineto.cuda_driver_version" in expected,
              "%s: no device name or driver version at its top level: %r" % (name, sorted(expected)))
        chrome = os.path.join(d, name + ".facts.json")
        e = run("export", trace, "--chrome", chrome)
        check(e.returncode == 0, "%s: export --chrome: %s" % (name, e.stderr))
        a, b = json_of("ingest", trace, "--json"), json_of("ingest", chrome, "--json") if e.returncode == 0 else None
        if a and b:
            facts = lambda doc: {k: v for k, v in doc["meta"].items()
                                 if k in expected or (k.startswith(("kineto.", "device.")) and
                                                      k != "kineto.zero_duration_events")}
            check(facts(a) == expected, "%s: ingest --json meta %r, the file's top level %r" % (name, facts(a), expected))
            check(facts(b) == facts(a), "%s: the round trip's facts %r, the original's %r" % (name, facts(b), facts(a)))

if failures:
    print("FAILED:\n  " + "\n  ".join(failures))
    sys.exit(1)
print("ok")
