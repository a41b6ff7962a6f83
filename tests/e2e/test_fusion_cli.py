"""`infertrace fusion` end to end on the shipped H100 traces: every per-length figure and the top
candidates recomputed in Python from the JSON trace (tests/e2e/_fusion_plain.py), at two
thresholds; CSV agrees with JSON; bad input exits 1 naming the file, bad options exit 2."""
import csv
import io
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _fusion_plain  # noqa: E402

exe = os.environ["INFERTRACE"]
traces_dir = os.path.join(os.environ["INFERTRACE_SOURCE_DIR"], "examples", "traces")
failures = []


def run(*args):
    return subprocess.run([exe] + list(args), capture_output=True, text=True, timeout=300)


bs1 = os.path.join(traces_dir, "gpt2_prefill_bs1.json.gz")

if run("fusion", "--help").returncode != 0:
    failures.append("fusion --help should exit 0")

lengths = [2, 3, 4, 8, 16, 32]
for name in ("gpt2_prefill_bs1.json.gz", "gpt2_prefill_bs64.json.gz", "nullkernel_2000.json.gz"):
    path = os.path.join(traces_dir, name)
    gpu, api, ops = _fusion_plain.read(path)
    segs = _fusion_plain.segments(gpu, api)
    summary = _fusion_plain.launch_summary(gpu, api, ops)
    for T in (1.0, 0.5):
        r = run("fusion", path, "--json", "--lengths", ",".join(map(str, lengths)), "--threshold", str(T), "--top", "5")
        if r.returncode != 0:
            failures.append("%s T=%s: exit %d: %s" % (name, T, r.returncode, r.stderr))
            continue
        doc = json.loads(r.stdout)
        where = "%s T=%s" % (name, T)
        if doc.get("schema_version") != 1 or doc.get("kind") != "fusion":
            failures.append(where + ": schema_version/kind missing")
        if doc["kernels"] != sum(len(s[0]) for s in segs) or doc["segments"] != len(segs):
            failures.append(where + ": kernels/segments %d/%d, want %d/%d" % (
                doc["kernels"], doc["segments"], sum(len(s[0]) for s in segs), len(segs)))
        if doc["bound"] != summary["bound"]:
            failures.append(where + ": bound %s, want %s" % (doc["bound"], summary["bound"]))
        got_lengths = [l["length"] for l in doc["lengths"]]
        if got_lengths != lengths:
            failures.append(where + ": lengths %s" % got_lengths)
        counts = {}
        for got in doc["lengths"]:
            want, fc, fk = _fusion_plain.fusion(segs, got["length"], T)
            counts[got["length"]] = (fc, fk)
            for key, value in want.items():
                if got[key] != value:
                    failures.append("%s L=%d: %s = %s, want %s" % (where, got["length"], key, got[key], value))
            if abs(got["ideal_speedup"] - want["kernels_eager"] / want["kernels_fused"]) > 1e-9:
                failures.append("%s L=%d: ideal_speedup %s" % (where, got["length"], got["ideal_speedup"]))
            # Predicted IL: only for a CPU-bound trace, the saving off IL, never below GPU busy.
            if doc["bound"] == "cpu":
                busy = doc["gpu_busy_ns"]
                want_il = max(busy, doc["inference_latency_ns"] - want["launch_time_saved_ns"])
                if got["predicted_il_ns"] != want_il:
                    failures.append("%s L=%d: predicted_il_ns %s, want %s" % (where, got["length"], got["predicted_il_ns"], want_il))
            elif got["predicted_il_ns"] is not None:
                failures.append(where + ": a GPU-bound trace must not predict an IL")
        if doc["bound"] == "gpu" and "GPU-bound" not in doc["verdict"]:
            failures.append(where + ": verdict should say the trace is GPU-bound: " + doc["verdict"])
        # Candidates: real chains of the trace with their counts and PS, best first.
        removed = [c["kernels_removed"] for c in doc["candidates"]]
        if removed != sorted(removed, reverse=True):
            failures.append(where + ": candidates not sorted by kernels removed")
        for c in doc["candidates"]:
            fc, fk = counts[c["length"]]
            chain = tuple(c["kernels"])
            if fc.get(chain) != c["occurrences"] or fk[chain[0]] != c["first_kernel_occurrences"]:
                failures.append("%s: candidate %s counts %s/%s, want %s/%s" % (
                    where, c["chain"][:60], c["occurrences"], c["first_kernel_occurrences"], fc.get(chain), fk[chain[0]]))
            elif abs(c["ps"] - fc[chain] / fk[chain[0]]) > 1e-12 or c["ps"] < T:
                failures.append("%s: candidate PS %s" % (where, c["ps"]))
            if c["kernels_removed"] != c["fused"] * (c["length"] - 1):
                failures.append(where + ": kernels_removed != fused * (L - 1)")
        if T == 1.0 and name.startswith("gpt2"):
            # The transformer layers repeat: short deterministic chains must exist and be fused.
            if doc["lengths"][0]["fused_chains"] == 0 or not doc["candidates"]:
                failures.append(where + ": expected fused chains of length 2 in a 12-layer model")

# CSV carries the same per-length figures as JSON.
r_json = json.loads(run("fusion", bs1, "--json").stdout)
r_csv = run("fusion", bs1, "--csv")
rows = list(csv.DictReader(io.StringIO(r_csv.stdout)))
if len(rows) != len(r_json["lengths"]):
    failures.append("csv rows %d, json lengths %d" % (len(rows), len(r_json["lengths"])))
for row, l in zip(rows, r_json["lengths"]):
    if int(row["L"]) != l["length"] or int(row["fused"]) != l["fused_chains"] or \
            int(row["launch_time_saved_ns"]) != l["launch_time_saved_ns"] or int(row["K_fused"]) != l["kernels_fused"] or \
            row["predicted_il_ns"] != ("" if l["predicted_il_ns"] is None else str(l["predicted_il_ns"])):
        failures.append("csv row %s disagrees with json %s" % (row, l))
# One CSV header for every trace (FMT L5): a GPU-bound trace's has predicted_il_ns too.
headers = {run("fusion", os.path.join(traces_dir, f), "--csv").stdout.split("\n", 1)[0]
           for f in ("gpt2_prefill_bs1.json.gz", "gpt2_prefill_bs64.json.gz", "nullkernel_2000.json.gz")}
if len(headers) != 1 or not next(iter(headers)).endswith(",predicted_il_ns"):
    failures.append("fusion --csv headers differ between traces: %s" % headers)

# Terminal output names the table, a candidate and the verdict.
r = run("fusion", bs1)
if r.returncode != 0 or "Top fusion candidates" not in r.stdout or "ideal speedup" not in r.stdout:
    failures.append("terminal output incomplete:\n" + r.stdout + r.stderr)

with tempfile.TemporaryDirectory() as tmp:
    bad = os.path.join(tmp, "broken.json")
    with open(bad, "w") as f:
        f.write('{"traceEvents": [{"ph": "X", "cat": "kernel", "ts": 1,, }]}')
    r = run("fusion", bad)
    if r.returncode != 1 or "broken.json" not in r.stderr:
        failures.append("corrupt trace: want exit 1 naming the file, got %d: %s" % (r.returncode, r.stderr))
for args in (["--lengths", "1"], ["--lengths", "2,x"], ["--lengths", "2,4x"], ["--lengths", "2.5"], ["--threshold", "1.5"], ["--threshold", "0"], ["--json", "--csv"]):
    r = run("fusion", bs1, *args)
    if r.returncode != 2:
        failures.append("fusion %s: want usage error 2, got %d: %s" % (" ".join(args), r.returncode, r.stderr))
r = run("fusion", os.path.join(traces_dir, "missing.json"))
if r.returncode != 1 or "missing.json" not in r.stderr:
    failures.append("missing file should be exit 1 naming it, got %d: %s" % (r.returncode, r.stderr))

# --csv is a flag (the table on standard output), where analyze and export take --csv DIR (audit
# EW L1): a file or directory given to it is a usage error that says what --csv takes, and nothing
# is written there; the error used to blame the trace.
h = run("fusion", "--help")
if "standard output" not in h.stdout or "takes no file or directory" not in h.stdout:
    failures.append("fusion --help does not say what --csv takes: %s" % h.stdout)
with tempfile.TemporaryDirectory() as tmp:
    out_csv, out_dir = os.path.join(tmp, "lengths.csv"), os.path.join(tmp, "dir")
    os.mkdir(out_dir)
    for args in ([bs1, "--csv", out_csv], ["--csv", out_csv, bs1], [bs1, "--csv", out_dir], ["--csv", out_dir, bs1],
                 ["--csv", out_dir], [bs1, "--csv=" + out_csv], [bs1, "--csv=" + out_dir],
                 # any value, even one CLI11 reads as the flag's own (review FG L6: =true was taken)
                 [bs1, "--csv=true"], [bs1, "--csv=false"], [bs1, "--csv", "--csv=1"]):
        r = run("fusion", *args)
        last = r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ""
        if r.returncode != 2 or "--csv takes no" not in last or "standard output" not in last or r.stdout:
            failures.append("fusion %s: want exit 2 saying what --csv takes, got %d: %r %r"
                            % (" ".join(args), r.returncode, r.stdout[:200], r.stderr))
    # `--csv=` with no value (an unset variable, `--csv=$OUT`): CLI11 took it for the flag alone and
    # printed the CSV; refused as any empty value is (cli/empty_values.h), naming the word.
    r = run("fusion", bs1, "--csv=")
    last = r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ""
    if r.returncode != 2 or "--csv=: empty value" not in last or "takes none" not in last or r.stdout:
        failures.append("fusion T --csv=: want exit 2 saying --csv takes no value, got %d: %r %r"
                        % (r.returncode, r.stdout[:200], r.stderr))
    # `--csv={}`: "{}" is CLI11's empty list, which it also took for the flag alone (the CSV printed,
    # exit 0); refused before CLI11 reads it, as `--csv=` is. A value-taking option still gets "{}"
    # as typed (analyze --csv={} names a directory {}): --lengths={} is said as a bad length.
    for args in ([bs1, "--csv={}"], ["--csv={}", bs1]):
        r = run("fusion", *args)
        last = r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ""
        if r.returncode != 2 or "--csv={}: empty value" not in last or "takes none" not in last or r.stdout:
            failures.append("fusion %s: want exit 2 saying --csv takes no value, got %d: %r %r"
                            % (" ".join(args), r.returncode, r.stdout[:200], r.stderr))
    r = run("fusion", bs1, "--lengths={}")
    if r.returncode != 2 or "--lengths: '{}' is not a whole number" not in r.stderr:
        failures.append("fusion T --lengths={}: want fusion's own length error, got %d: %r" % (r.returncode, r.stderr))
    if os.path.exists(out_csv) or os.listdir(out_dir):
        failures.append("fusion --csv FILE/DIR wrote there: %s" % os.listdir(tmp))
    # Without --csv a second word is refused too, naming both words.
    r = run("fusion", bs1, out_csv)
    if r.returncode != 2 or "reads one trace" not in r.stderr or "lengths.csv" not in r.stderr or "--csv" in r.stderr:
        failures.append("fusion T EXTRA: want exit 2 naming the words, got %d: %s" % (r.returncode, r.stderr))

for f in failures:
    print("FAIL:", f)
sys.exit(1 if failures else 0)
