"""The GPU check part 50's pipeline end to end without a GPU: `infertrace record --cuda cupti` of a
program (tests/support/cupti_synth/cupti_synth_decode --app) that writes an eager-decode-shaped
workload into the recorder's ring exactly as the injection library would, with times from
CLOCK_MONOTONIC now, and prints an `engine run --json`-like document with its decode window; the
document goes to its own file through the same `bash -c 'exec "$@" >"$0"'` wrapper the part uses.
Then `fusion --decode-window` on the recording keeps exactly the decode steps (the prefill and
the recorder's own events around them are cut), the closed loop runs, and the Chrome export reads
back to the same result. Skips (77) where record cannot run (not root, no eBPF, no CUPTI part)."""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from _harness import EXE, check, failures, run, skip  # noqa: E402

bindir = os.environ["INFERTRACE_BINARY_DIR"]
app = os.path.join(bindir, "tests", "support", "cupti_synth", "cupti_synth_decode")
STEPS, STEP_KERNELS, PREFILL = 6, 17, 4


if os.geteuid() != 0:
    skip("needs root for eBPF")

with tempfile.TemporaryDirectory() as d:
    rec, doc = os.path.join(d, "eager.itrace"), os.path.join(d, "eager_rec.json")
    r = subprocess.run([EXE, "record", "--cuda", "cupti", "-o", rec, "--", "bash", "-c", 'exec "$@" >"$0"', doc, app,
                        "--app", str(STEPS)], capture_output=True, text=True, timeout=120)
    if r.returncode != 0 and "not available in this build" in r.stderr:
        skip("build without the CUPTI injection library")
    if r.returncode != 0 and ("no eBPF recorder" in r.stderr or "CAP_BPF" in r.stderr or "BTF" in r.stderr):
        skip("no eBPF here: " + r.stderr.strip())
    check(r.returncode == 0 and "command exit status: 0" in r.stderr, "record failed: %s %s" % (r.stdout, r.stderr))
    check("{" not in r.stdout, "the program's JSON leaked into record's output: %r" % r.stdout)
    with open(doc) as f:
        run_doc = json.load(f)
    w = run_doc["decode_window_ns"]
    check(w["start"] < w["end"], "decode window %r" % w)

    whole = run("fusion", rec, "--json", "--lengths", "2")
    check(whole.returncode == 0 and json.loads(whole.stdout)["kernels"] == PREFILL + STEPS * STEP_KERNELS,
          "whole recording: %s" % whole.stderr)
    fused = os.path.join(d, "fused.json")
    with open(fused, "w") as f:
        json.dump(dict(run_doc, mode="fused", launches_per_decode_step=9, kernels_per_decode_step=9,
                       tg_tokens_per_second=2 * run_doc["tg_tokens_per_second"]), f)
    args = ["--json", "--lengths", "2,4,%d" % STEP_KERNELS, "--decode-window", doc, "--measured", "fused=" + fused]
    r = run("fusion", rec, *args)
    check(r.returncode == 0, "fusion --decode-window: %s" % r.stderr)
    if r.returncode == 0:
        j = json.loads(r.stdout)
        check(j["kernels"] == STEPS * STEP_KERNELS and j["segments"] == STEPS and j["unlinked_kernels"] == 0,
              "window: %d kernels, %d segments, %d unlinked" % (j["kernels"], j["segments"], j["unlinked_kernels"]))
        loop = j["closed_loop"]
        check(loop["eager"]["kernels_per_step"] == STEP_KERNELS and loop["eager"]["engine_kernels_per_step"] == STEP_KERNELS,
              "kernels per step %r" % loop["eager"])
        check(loop["eager"]["bound"] == "cpu" and loop["best_length"] == STEP_KERNELS, "bound / best %r" % loop)
        check(abs(loop["measured"][0]["measured_speedup"] - 2.0) < 1e-9, "measured speedup %r" % loop["measured"])

        chrome = os.path.join(d, "eager.json")
        e = run("export", rec, "--chrome", chrome)
        check(e.returncode == 0, "export --chrome: %s" % e.stderr)
        b = run("fusion", chrome, *args)
        check(b.returncode == 0, "fusion on the Chrome export: %s" % b.stderr)
        if b.returncode == 0:
            jb = json.loads(b.stdout)
            diff = sorted(k for k in set(j) | set(jb) if k != "trace" and j.get(k) != jb.get(k))
            check(not diff, "the Chrome export's closed loop differs in %r" % diff)

if failures:
    print("FAILED:\n  " + "\n  ".join(failures))
    sys.exit(1)
print("ok")
