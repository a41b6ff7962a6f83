"""The closed loop (`infertrace fusion EAGER.itrace --decode-window RUN.json --measured ...`,
docs/fusion.md "Closed loop") on a CUPTI-mode recording shaped like an eager engine run, made
without a GPU by tests/support/cupti_synth/cupti_synth_decode (a prefill, then decode steps of one
scripted kernel list). The expected prediction is computed here from the script's constants with
the plain fusion of _fusion_plain.py, independently of the C++ analyses; the measured runs are
engine run documents written by the test."""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import _fusion_plain  # noqa: E402
from _harness import check, failures, run  # noqa: E402

bindir = os.environ["INFERTRACE_BINARY_DIR"]
synth = os.path.join(bindir, "tests", "support", "cupti_synth", "cupti_synth_decode")

# Mirrors tests/support/cupti_synth/cupti_synth_decode.cpp.
BASE, EVERY, CALL, START, RUN = 1_000_000_000, 8_000, 4_000, 6_000, 1_500
COPY_RUN, SYNC_TAIL, HOST_GAP, PREFILL = 2_000, 500, 20_000, 4
STEP = ["embed", "norm", "matvec", "rope", "matvec", "attn", "matvec", "add",
        "norm", "matvec", "rope", "matvec", "attn", "matvec", "add", "norm", "matvec"]
STEPS = 7
LENGTHS = [2, 3, 4, 8, 17]


def timeline():
    """Start of each decode step's first launch, and when the host is done after the last step."""
    t = BASE + PREFILL * EVERY
    t += START + COPY_RUN + SYNC_TAIL + HOST_GAP  # prefill's copy and sync
    starts = []
    for _ in range(STEPS):
        starts.append(t)
        t += len(STEP) * EVERY + START + COPY_RUN + SYNC_TAIL + HOST_GAP
    return starts, t


def expected(threshold, baseline_tg, runs):
    starts, _ = timeline()
    k = len(STEP)
    il = (starts[-1] + k * EVERY + START + COPY_RUN) - starts[0]  # last copy's end - first launch call
    busy = STEPS * (k * RUN + COPY_RUN)
    # Every call's launch part is l - q = START - (START - CALL) = CALL; queue part START - CALL.
    assert CALL > START - CALL  # CPU-bound by construction
    segs = [(list(STEP), [CALL] * k) for _ in range(STEPS)]
    preds = []
    for L in LENGTHS:
        f, _, _ = _fusion_plain.fusion(segs, L, threshold)
        pil = max(busy, il - f["launch_time_saved_ns"])
        preds.append({"length": L, "kernels_per_step": f["kernels_fused"] / STEPS,
                      "launches_removed_per_step": (f["kernels_eager"] - f["kernels_fused"]) / STEPS,
                      "launch_time_saved_ns": f["launch_time_saved_ns"], "predicted_il_ns": pil,
                      "ideal_speedup": f["kernels_eager"] / f["kernels_fused"], "predicted_speedup": il / pil})
    best = max(preds, key=lambda p: (p["predicted_speedup"], p["ideal_speedup"], -p["length"]))
    meas = []
    for mode, tg, launches in runs:
        measured = tg / baseline_tg
        saved = (k - launches) * STEPS * CALL
        pil = max(busy, il - saved)
        meas.append({"mode": mode, "measured_speedup": measured,
                     "best_prediction_error": best["predicted_speedup"] / measured - 1,
                     "launch_matched": {"launches_removed_per_step": k - launches, "launch_time_saved_ns": saved,
                                        "predicted_il_ns": pil, "predicted_speedup": il / pil,
                                        "error": (il / pil) / measured - 1}})
    return {"il": il, "busy": busy, "predictions": preds, "best_length": best["length"], "measured": meas}


def close(a, b):
    return abs(a - b) <= 1e-9 * max(1.0, abs(b))


def engine_doc(path, mode, tg, launches, kernels, n_seq=1, window=None, steps=STEPS):
    doc = {"schema_version": 1, "backend": "cuda", "mode": mode, "n_seq": n_seq, "n_decode_evals": steps,
           "tg_tokens_per_second": tg, "launches_per_decode_step": launches, "kernels_per_decode_step": kernels}
    if window:
        doc["decode_window_ns"] = {"start": window[0], "end": window[1]}
    with open(path, "w") as f:
        json.dump(doc, f)
    return path


with tempfile.TemporaryDirectory() as d:
    rec = os.path.join(d, "eager.itrace")
    r = subprocess.run([synth, rec, str(STEPS)], capture_output=True, text=True)
    check(r.returncode == 0, "cupti_synth_decode: %s" % r.stderr)
    starts, host_done = timeline()
    window = (starts[0] - 500, host_done)  # after the prefill's sync, through the last step's host time
    p = lambda name: os.path.join(d, name)  # noqa: E731
    recorded = engine_doc(p("eager_rec.json"), "eager", 40.0, len(STEP), len(STEP), window=window)
    eager = engine_doc(p("eager.json"), "eager", 50.0, len(STEP), len(STEP))
    fused = engine_doc(p("fused.json"), "fused", 120.0, 9, 9)
    graph = engine_doc(p("graph.json"), "graph", 150.0, 1, 9)
    lengths = ",".join(map(str, LENGTHS))

    # ingest of a recording names its own tables too (it showed only the Kineto ones), with the
    # rows export --csv writes.
    ing = run("ingest", rec, "--json")
    csv_dir = p("csv")
    exp = run("export", rec, "--csv", csv_dir)
    if ing.returncode == 0 and exp.returncode == 0:
        j = json.loads(ing.stdout)
        for key, name in (("switches", "switches"), ("wakeups", "wakeups"), ("irqs", "irqs"), ("syscalls", "syscalls"),
                          ("api_calls", "launches")):
            rows = sum(1 for _ in open(os.path.join(csv_dir, name + ".csv"))) - 1
            check(j.get(key) == rows, "ingest %s %r, export --csv %s.csv %d rows" % (key, j.get(key), name, rows))
        check(j["source"] == "recording" and "syscalls" in run("ingest", rec).stdout, "ingest text of a recording")
    else:
        check(False, "ingest/export of the recording: %s %s" % (ing.stderr, exp.stderr))

    # Without the window the prefill's kernels count; with it, only the decode steps.
    whole = run("fusion", rec, "--json", "--lengths", lengths)
    check(whole.returncode == 0 and json.loads(whole.stdout)["kernels"] == PREFILL + STEPS * len(STEP),
          "whole recording: %s %s" % (whole.stdout[:200], whole.stderr))

    for threshold in (1.0, 0.5):
        r = run("fusion", rec, "--json", "--lengths", lengths, "--threshold", str(threshold), "--decode-window", recorded,
                "--measured", "eager=%s,fused=%s,graph=%s" % (eager, fused, graph))
        check(r.returncode == 0, "T=%s: fusion --measured: %s" % (threshold, r.stderr))
        if r.returncode != 0:
            continue
        j = json.loads(r.stdout)
        exp = expected(threshold, 50.0, [("fused", 120.0, 9), ("graph", 150.0, 1)])
        check(j["kernels"] == STEPS * len(STEP) and j["segments"] == STEPS,
              "T=%s: window: %d kernels in %d segments" % (threshold, j["kernels"], j["segments"]))
        check(j["decode_window"]["from_ns"] == window[0] and j["decode_window"]["decode_steps"] == STEPS,
              "T=%s: decode_window %r" % (threshold, j["decode_window"]))
        loop = j["closed_loop"]
        e = loop["eager"]
        check(e["decode_steps"] == STEPS and close(e["kernels_per_step"], len(STEP)), "T=%s: eager %r" % (threshold, e))
        check(e["inference_latency_ns"] == exp["il"] and e["gpu_busy_ns"] == exp["busy"] and e["bound"] == "cpu",
              "T=%s: IL/busy/bound %r, expected %d/%d/cpu" % (threshold, e, exp["il"], exp["busy"]))
        check(close(e["mean_launch_part_ns"], CALL), "T=%s: mean launch part %r" % (threshold, e["mean_launch_part_ns"]))
        check(e["recorded_tg_tokens_per_second"] == 40.0 and e["baseline"]["tg_tokens_per_second"] == 50.0,
              "T=%s: recorded / baseline tokens/s %r" % (threshold, e))
        check(len(loop["predictions"]) == len(LENGTHS), "T=%s: predictions %r" % (threshold, loop["predictions"]))
        for got, want in zip(loop["predictions"], exp["predictions"]):
            for key, v in want.items():
                check(close(got[key], v), "T=%s L=%d: %s %r, expected %r" % (threshold, want["length"], key, got[key], v))
            check(close(got["predicted_tg_tokens_per_second"], 50.0 * want["predicted_speedup"]),
                  "T=%s L=%d: predicted tokens/s" % (threshold, want["length"]))
        check(loop["best_length"] == exp["best_length"],
              "T=%s: best length %r, expected %r" % (threshold, loop["best_length"], exp["best_length"]))
        check([m["mode"] for m in loop["measured"]] == ["fused", "graph"], "T=%s: measured modes" % threshold)
        for got, want in zip(loop["measured"], exp["measured"]):
            check(close(got["measured_speedup"], want["measured_speedup"]), "T=%s %s: measured speedup" % (threshold, want["mode"]))
            check(close(got["best_prediction_error"], want["best_prediction_error"]),
                  "T=%s %s: error %r, expected %r" % (threshold, want["mode"], got["best_prediction_error"],
                                                      want["best_prediction_error"]))
            for key, v in want["launch_matched"].items():
                check(close(got["launch_matched"][key], v),
                      "T=%s %s: launch-matched %s %r, expected %r" % (threshold, want["mode"], key,
                                                                      got["launch_matched"][key], v))
        print("T=%s: best L=%d predicted %.3fx; fused measured %.2fx (error %+.1f%%), graph %.2fx (error %+.1f%%)" % (
            threshold, loop["best_length"], [x for x in exp["predictions"] if x["length"] == exp["best_length"]][0]
            ["predicted_speedup"], exp["measured"][0]["measured_speedup"], 100 * exp["measured"][0]["best_prediction_error"],
            exp["measured"][1]["measured_speedup"], 100 * exp["measured"][1]["best_prediction_error"]))

    # Without an eager=... run the recorded run is the baseline; the text output has the table.
    r = run("fusion", rec, "--lengths", lengths, "--decode-window", recorded, "--measured", "fused=" + fused)
    check(r.returncode == 0 and "Closed loop" in r.stdout and "Fused mode measured 3.00x" in r.stdout,
          "text output: %s %s" % (r.stdout[-600:], r.stderr))

    # Usage and input errors.
    bad_batch = engine_doc(p("fused_bs4.json"), "fused", 400.0, 9, 9, n_seq=4)
    no_steps = engine_doc(p("none.json"), "eager", 0, 0, 0, window=window, steps=0)
    with open(p("other.json"), "w") as f:
        json.dump({"kind": "fusion"}, f)
    for args, code, what in (
            (["--measured", "fused=" + fused], 2, "--measured without --decode-window"),
            (["--decode-window", recorded, "--measured", "fused=" + graph], 2, "a graph run given as fused"),
            (["--decode-window", recorded, "--measured", "fused=" + bad_batch], 2, "another batch size"),
            (["--decode-window", recorded, "--measured", "fused=" + fused + ",fused=" + fused], 2, "a mode twice"),
            (["--decode-window", recorded, "--measured", "fused"], 2, "no =FILE"),
            (["--decode-window", no_steps], 2, "a run without decode steps"),
            (["--decode-window", p("other.json")], 1, "not an engine run document"),
            (["--decode-window", recorded, "--measured", "fused=" + fused, "--csv"], 2, "--csv with --measured")):
        r = run("fusion", rec, *args)
        check(r.returncode == code, "%s: exit %d (expected %d): %s" % (what, r.returncode, code, r.stderr.strip()))
    # A window that holds none of the recording's CUDA work (another run's: here one that ends
    # before the recording starts) is an input error naming both files, not an analysis of
    # "0 kernels" (exit 0 before); sweep cuts the same way.
    elsewhere = engine_doc(p("elsewhere.json"), "eager", 40.0, len(STEP), len(STEP), window=(1, 2))
    r = run("fusion", rec, "--decode-window", elsewhere)
    check(r.returncode == 1 and "holds none of the trace's" in r.stderr and "elsewhere.json" in r.stderr
          and "eager.itrace" in r.stderr and r.stderr.count("\n") == 1,
          "a window of another run: %d %s" % (r.returncode, r.stderr.strip()))
    r = run("sweep", rec, rec, "--decode-window", recorded, "--decode-window", elsewhere,
            "--label", "bs=1", "--label", "bs=2")
    check(r.returncode == 1 and "holds none of the trace's" in r.stderr and "elsewhere.json" in r.stderr,
          "sweep, a window of another run: %d %s" % (r.returncode, r.stderr.strip()))

    # Doubts about a window (review DW M1/M2): the run's own window has none; one that also holds the
    # prefill starts before the first CUDA event and holds PREFILL + STEPS x 17 kernels, not STEPS x 17;
    # a run document that says twice the steps counts 2 x STEPS x 17. Both said in the text, in
    # JSON "doubts" and, with --measured, in the summary; the figures are still printed.
    r = run("fusion", rec, "--json", "--decode-window", recorded)
    check(r.returncode == 0 and json.loads(r.stdout)["decode_window"]["doubts"] == [],
          "the run's own window: %s %s" % (r.stdout[-300:], r.stderr))
    wide = engine_doc(p("wide.json"), "eager", 40.0, len(STEP), len(STEP), window=(BASE - 1000, host_done))
    r = run("fusion", rec, "--json", "--decode-window", wide)
    doubts = json.loads(r.stdout)["decode_window"]["doubts"] if r.returncode == 0 else []
    want = "holds %d GPU kernels where the run counted %d steps x %d = %d" % (
        PREFILL + STEPS * len(STEP), STEPS, len(STEP), STEPS * len(STEP))
    check(len(doubts) == 2 and "1.00 us before the trace's first CUDA event" in doubts[0] and want in doubts[1],
          "a window over the prefill too: %r %s" % (doubts, r.stderr))
    r = run("fusion", rec, "--decode-window", wide)
    check(r.returncode == 0 and r.stdout.count("\ncaution: ") == 2, "text cautions: %s" % r.stdout[:600])
    twice = engine_doc(p("twice.json"), "eager", 40.0, len(STEP), len(STEP), window=window, steps=2 * STEPS)
    r = run("fusion", rec, "--json", "--decode-window", twice, "--measured", "fused=" + fused)
    j = json.loads(r.stdout) if r.returncode == 0 else {}
    want = "holds %d GPU kernels where the run counted %d steps x %d = %d" % (
        STEPS * len(STEP), 2 * STEPS, len(STEP), 2 * STEPS * len(STEP))
    check(j and want in j["decode_window"]["doubts"][0] and "Caution: the window holds" in j["closed_loop"]["summary"],
          "a run document with twice the steps: %s %s" % (r.stdout[-500:], r.stderr))
    # --csv holds the table alone: the doubts go to stderr (review DG L2: lost before).
    r = run("fusion", rec, "--csv", "--decode-window", twice)
    check(r.returncode == 0 and "caution: the window holds" in r.stderr and "caution" not in r.stdout,
          "--csv with a doubtful window: %d %s" % (r.returncode, r.stderr))
    # A window holding only the first decode step's sync keeps none of the GPU work (review DW M3:
    # "no GPU activity in the trace", exit 0 before).
    sync_at = starts[0] + len(STEP) * EVERY + CALL
    only_sync = engine_doc(p("only_sync.json"), "eager", 40.0, len(STEP), len(STEP), window=(sync_at, sync_at + 10))
    r = run("fusion", rec, "--decode-window", only_sync)
    check(r.returncode == 1 and "holds none of the trace's" in r.stderr and "it keeps 1 API call but no GPU activity"
          in r.stderr, "a window of a sync alone: %d %s" % (r.returncode, r.stderr.strip()))
    # sweep says which window cut each point, its doubts and where the batch came from (review DW L2),
    # and refuses one file cut by one window twice (L5) and a name whose batch differs from n_seq.
    rec4 = p("eager_bs4.itrace")
    os.link(rec, rec4)
    r = run("sweep", rec, rec4, "--json", "--decode-window", recorded, "--decode-window", wide,
            "--label", "bs=1", "--label", "bs=4")
    pts = json.loads(r.stdout)["points"] if r.returncode == 0 else []
    check(len(pts) == 2 and pts[0]["decode_window"]["source"] == recorded and pts[0]["decode_window"]["doubts"] == []
          and pts[0]["decode_window"]["batch_from"] == "label" and pts[0]["decode_window"]["decode_steps"] == STEPS
          and len(pts[1]["decode_window"]["doubts"]) == 2,
          "sweep --json decode_window: %s %s" % (r.stdout[:800], r.stderr))
    r = run("sweep", rec, rec4, "--decode-window", recorded, "--decode-window", wide, "--label", "bs=1", "--label", "bs=4")
    check(r.returncode == 0 and "cut to the decode window of " + wide in r.stdout and "caution: the window starts" in
          r.stdout and "Caution: the decode window of batch 4 may not be" in r.stdout, "sweep text: %s" % r.stdout)
    r = run("sweep", rec, rec4, "--decode-window", recorded, "--decode-window", recorded,
            "--label", "bs=1", "--label", "bs=4")
    check(r.returncode == 2 and "are the same file cut by the same decode window" in r.stderr,
          "one file, one window, twice: %d %s" % (r.returncode, r.stderr.strip()))
    r = run("sweep", rec, rec4, "--decode-window", recorded, "--decode-window", wide)
    check(r.returncode == 2 and "the file name says batch 4" in r.stderr and "n_seq 1" in r.stderr,
          "a name's batch against n_seq: %d %s" % (r.returncode, r.stderr.strip()))
    # A name the name rule refuses (bs0) claims nothing: the run documents give the batches (review DG L5).
    rec0 = p("x_bs0.itrace")
    os.link(rec, rec0)
    four = engine_doc(p("four.json"), "eager", 40.0, len(STEP), len(STEP), window=window, n_seq=4)
    r = run("sweep", rec0, rec, "--json", "--decode-window", four, "--decode-window", wide)
    check(r.returncode == 0 and [pt["batch"] for pt in json.loads(r.stdout)["points"]] == [1, 4],
          "x_bs0 with run documents: %d %s" % (r.returncode, r.stderr.strip()))

if failures:
    print("FAILED:\n  " + "\n  ".join(failures))
    sys.exit(1)
print("ok")
