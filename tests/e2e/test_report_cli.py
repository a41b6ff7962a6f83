"""`infertrace report` end to end: saved JSON results of every kind (written here) and, when this
build has the trace reader, the shipped H100 traces; the page is checked in headless Chromium and
its findings against a plain reading of the inputs. Bad input exits 1 naming file and byte."""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _browser  # noqa: E402
import _kineto_plain  # noqa: E402

exe = os.environ["INFERTRACE"]
traces_dir = os.path.join(os.environ["INFERTRACE_SOURCE_DIR"], "examples", "traces")
out_dir = os.path.join(os.environ["INFERTRACE_BINARY_DIR"], "report-samples")
os.makedirs(out_dir, exist_ok=True)
failures = []


def run(*args):
    return subprocess.run([exe] + list(args), capture_output=True, text=True, timeout=300)


with tempfile.TemporaryDirectory() as tmp:
    def write(name, doc):
        path = os.path.join(tmp, name)
        with open(path, "w") as f:
            json.dump(doc, f)
        return path

    batches = [1, 2, 4, 8, 16, 32, 64]
    sweep = write("sweep.json", {"points": [
        {"batch": b, "kernels": 1000, "tklqt_ns": 5000000, "tklqt_launch_ns": 4000000 if b < 16 else 1000000,
         "tklqt_queue_ns": 1000000 if b < 16 else 4000000, "inference_latency_ns": 9000000,
         "gpu_idle_ns": 5000000 if b < 16 else 500000, "cpu_idle_ns": 1000000 if b < 16 else 6000000,
         "bound": "cpu" if b < 16 else "gpu"} for b in batches], "transition_batch": 16, "balanced_region": None})
    fusion = write("fusion.json", {"lengths": [
        {"length": L, "unique_chains": 5, "chain_instances": 50, "deterministic_chains": 3, "fused_chains": 10,
         "kernels_eager": 200, "kernels_fused": 200 - 10 * (L - 1), "ideal_speedup": 200 / (200 - 10 * (L - 1)),
         "launch_time_saved_ns": 10 * (L - 1) * 4000} for L in (2, 4, 8)], "candidates": []})
    bad = os.path.join(tmp, "bad.json")
    with open(bad, "w") as f:
        f.write('{"points": [1, 2,, 3]}')

    # Bad input: exit 1, file and byte offset named; no output written.
    r = run("report", bad, "-o", os.path.join(tmp, "bad.html"))
    if r.returncode != 1 or "bad.json: byte 17" not in r.stderr:
        failures.append("bad JSON: want exit 1 naming 'bad.json: byte 17', got %d: %s" % (r.returncode, r.stderr))
    if run("report").returncode != 2:
        failures.append("report without inputs should be a usage error (2)")

    # Saved results only.
    html = os.path.join(out_dir, "cli_docs_report.html")
    r = run("report", sweep, fusion, "-o", html)
    if r.returncode != 0:
        failures.append("report of JSON results failed: %s" % r.stderr)
    else:
        if "GPU-bound from batch 16" not in r.stdout:
            failures.append("sweep finding missing from stdout:\n" + r.stdout)
        best = max((2, 4, 8), key=lambda L: 200 / (200 - 10 * (L - 1)))
        if "length %d" % best not in r.stdout:
            failures.append("fusion finding should name length %d:\n%s" % (best, r.stdout))
        _, problems = _browser.check_report(html, os.path.join(out_dir, "cli_docs_report.png"), expect_charts=4)
        failures += ["cli_docs_report.html: " + p for p in problems]

    # Traces (when this build can read them).
    gz = sorted(f for f in os.listdir(traces_dir) if f.startswith("gpt2_prefill_bs"))
    paths = [os.path.join(traces_dir, f) for f in gz]
    html = os.path.join(out_dir, "cli_trace_report.html")
    r = run("report", *paths, sweep, "-o", html)
    if r.returncode != 0:
        failures.append("report of traces failed: %s" % r.stderr)
    else:
        for f, p in zip(gz, paths):
            gpu, api, _ = _kineto_plain.read(p)
            want = "CPU-bound" if _kineto_plain.bound(gpu, api) == "cpu" else "GPU-bound"
            line = [l for l in r.stdout.splitlines() if l.startswith("- " + f + ":") and "-bound" in l]
            if not line or want not in line[0]:
                failures.append("%s: want a '%s' finding, got %s" % (f, want, line))
        _, problems = _browser.check_report(html, os.path.join(out_dir, "cli_trace_report.png"),
                                            expect_charts=len(paths) * 2 + 2)
        failures += ["cli_trace_report.html: " + p for p in problems]

    # The page may not replace one of its inputs: exit 1, the input untouched, no partial file.
    with open(sweep, "rb") as f:
        before = f.read()
    r = run("report", sweep, "-o", sweep)
    with open(sweep, "rb") as f:
        after = f.read()
    if r.returncode != 1 or "input" not in r.stderr or after != before or os.path.exists(sweep + ".partial"):
        failures.append("report -o INPUT: rc %d, input changed %s: %s" % (r.returncode, after != before, r.stderr))

if failures:
    print("FAIL\n" + "\n".join(failures))
    sys.exit(1)
print("ok: screenshots in " + out_dir)
