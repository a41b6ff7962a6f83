"""`infertrace sweep REC... --decode-window RUN.json...`: recordings of engine runs at several batch
sizes, each cut to its run's decode steps, with the batch size read from the run's n_seq. The
recordings are CUPTI-mode recordings made without a GPU by tests/support/cupti_synth/
cupti_synth_decode, whose kernel run time stands in for the batch: longer kernels than the launch
period make the GPU fall behind (GPU-bound). The expected launch and queue parts, bounds and the
transition are computed here by replaying the script's timeline in Python (mirrored constants)."""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from _harness import check, failures, run  # noqa: E402

bindir = os.environ["INFERTRACE_BINARY_DIR"]
synth = os.path.join(bindir, "tests", "support", "cupti_synth", "cupti_synth_decode")

# Mirrors tests/support/cupti_synth/cupti_synth_decode.cpp.
BASE, EVERY, CALL, START = 1_000_000_000, 8_000, 4_000, 6_000
COPY_RUN, SYNC_TAIL, HOST_GAP, PREFILL, STEP_KERNELS = 2_000, 500, 20_000, 4, 17
STEPS = 5
RUNS = {1: 1_500, 2: 7_000, 4: 9_000, 8: 30_000}  # batch -> kernel run time (ns)


def replay(kernel_ns):
    """The script's launch-type calls as (call start, call end, GPU start, GPU end), the first
    decode launch's start and the host's time after the last step."""
    calls, gpu_free, t = [], 0, BASE

    def work(ready, dur):
        nonlocal gpu_free
        s = max(ready, gpu_free)
        gpu_free = s + dur
        return s, s + dur

    def step(kernels):
        nonlocal t
        for _ in range(kernels):
            calls.append((t, t + CALL) + work(t + START, kernel_ns))
            t += EVERY
        calls.append((t, t + CALL) + work(t + START, COPY_RUN))  # the logits copy
        t = calls[-1][3] + SYNC_TAIL + HOST_GAP                  # the sync returns after it

    step(PREFILL)
    first = t
    for _ in range(STEPS):
        step(STEP_KERNELS)
    return calls, first, t


def expected_point(kernel_ns, window):
    calls, _, _ = replay(kernel_ns)
    inside = [c for c in calls if window[0] <= c[0] <= window[1]]
    launch = sum((g0 - c0) - max(0, g0 - c1) for c0, c1, g0, _ in inside)
    queue = sum(max(0, g0 - c1) for c0, c1, g0, _ in inside)
    il = max(g1 for *_, g1 in inside) - min(c0 for c0, *_ in inside)
    return {"tklqt_launch_ns": launch, "tklqt_queue_ns": queue, "inference_latency_ns": il,
            "bound": "gpu" if queue > launch else "cpu", "kernels": STEPS * STEP_KERNELS}


with tempfile.TemporaryDirectory() as d:
    recs, runs, want = [], [], {}
    for batch, kernel_ns in RUNS.items():
        rec = os.path.join(d, "fused_%d.itrace" % batch)  # no bs<N> in the name: the run says the batch
        r = subprocess.run([synth, rec, str(STEPS), str(kernel_ns)], capture_output=True, text=True)
        check(r.returncode == 0, "cupti_synth_decode %d: %s" % (kernel_ns, r.stderr))
        _, first, done = replay(kernel_ns)
        window = (first - 500, done)
        doc = os.path.join(d, "run_%d.json" % batch)
        with open(doc, "w") as f:
            json.dump({"schema_version": 1, "backend": "cuda", "mode": "fused", "n_seq": batch, "n_decode_evals": STEPS,
                       "tg_tokens_per_second": 1.0, "launches_per_decode_step": STEP_KERNELS,
                       "kernels_per_decode_step": STEP_KERNELS, "decode_window_ns": {"start": window[0], "end": window[1]}}, f)
        recs.append(rec)
        runs += ["--decode-window", doc]
        want[batch] = expected_point(kernel_ns, window)

    r = run("sweep", *recs, *runs, "--json")
    check(r.returncode == 0, "sweep --decode-window: %s" % r.stderr)
    if r.returncode == 0:
        j = json.loads(r.stdout)
        check([p["batch"] for p in j["points"]] == sorted(RUNS), "batches %r" % [p["batch"] for p in j["points"]])
        for p in j["points"]:
            for k, v in want[p["batch"]].items():
                check(p[k] == v, "batch %d: %s %r, expected %r" % (p["batch"], k, p[k], v))
        gpu_from = [b for b in sorted(RUNS) if all(want[x]["bound"] == "gpu" for x in sorted(RUNS) if x >= b)]
        check(j["transition_batch"] == (gpu_from[0] if gpu_from else None),
              "transition %r, expected %r" % (j["transition_batch"], gpu_from[:1]))
        print("bounds:", {b: want[b]["bound"] for b in sorted(RUNS)}, "transition:", j["transition_batch"])
        print(j["summary"])

    # Without the windows the prefill's kernels count (labels then give the batches).
    labels = sum((["--label", "bs=%d" % b] for b in RUNS), [])
    r = run("sweep", *recs, *labels, "--json")
    check(r.returncode == 0 and all(p["kernels"] == PREFILL + STEPS * STEP_KERNELS for p in json.loads(r.stdout)["points"]),
          "sweep without windows: %s" % r.stderr)
    # One run per trace, in order.
    r = run("sweep", *recs, *runs[:2])
    check(r.returncode == 2, "one --decode-window for four traces: exit %d" % r.returncode)

if failures:
    print("FAILED:\n  " + "\n  ".join(failures))
    sys.exit(1)
print("ok")
