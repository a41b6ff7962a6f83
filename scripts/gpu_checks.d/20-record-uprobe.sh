# Part: the eBPF recorder against the PyTorch profiler on the same run (launch counts). About 1 minute.
# Its overhead is measured in part 35, side by side with the other tracers.
# Sourced by scripts/gpu_checks.sh, which sets IT (the infertrace binary), B (the bundle), OUT (a scratch
# folder whose small files come back in results.tar.gz) and log().
log "record vs the PyTorch profiler: null-kernel loop (2 warm-ups + 1 profiled iteration of 2000 launches)"
timeout 180 "$IT" record --cuda uprobe -o "$OUT/null.itrace" -- python3 "$B/tools/kineto_capture.py" "$OUT/k" --mode null --launches 2000 \
  >"$OUT/record_null.txt" 2>&1
echo "record rc $?"; tail -n 25 "$OUT/record_null.txt"
"$IT" analyze "$OUT/k/nullkernel_2000.json.gz" --json >"$OUT/kineto_null.json" 2>/dev/null
"$IT" export "$OUT/null.itrace" --csv "$OUT/null_csv" >/dev/null
python3 - "$OUT" <<'PY'
import csv, json, sys, collections
out = sys.argv[1]
rows = list(csv.DictReader(open(f"{out}/null_csv/launches.csv")))
per_api = collections.Counter(r["api"] for r in rows)
k = json.load(open(f"{out}/kineto_null.json"))
print("recorded launch-type calls per API:", dict(per_api))
print("kineto kernels in the profiled iteration:", k["kernels"], " (the recording also holds 2 warm-up iterations)")
print("kineto apis:", [(a["name"], a["calls"], a["mean_launch_ns"], a["mean_latency_ns"]) for a in k["apis"]])
print("kineto kernels (top 3):", [(x["short_name"][:60], x["count"], x["mean_ns"]) for x in k["kernel_stats"][:3]])
PY
