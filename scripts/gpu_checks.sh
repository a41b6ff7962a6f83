#!/usr/bin/env bash
# The GPU checks, as one script for the device machine (run from the repository root after
# scripts/gpu_bundle.sh here, carrying build/gpu-bundle). Everything it measures goes to $OUT
# (default out/gpu-checks): bench launch, the recorder's launch count against the PyTorch
# profiler's for the same run, and the recorder's overhead on launch-bound PyTorch workloads.
# Sized to finish in about 6 minutes on an H100/H200 host.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-out/gpu-checks}
mkdir -p "$OUT"
B=$PWD/build/gpu-bundle
export LD_LIBRARY_PATH=$B/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export PYTHONUNBUFFERED=1
IT=$B/infertrace
log() { echo "== $*"; }
mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true

log "machine"; nvidia-smi -L; uname -r; nproc; python3 -c 'import torch; print("torch", torch.__version__)'

log "bench launch"
timeout 120 "$IT" bench launch -o json >"$OUT/bench_launch.json" && timeout 60 "$IT" bench launch -n 500 | tee "$OUT/bench_launch.md"

log "record vs the PyTorch profiler: null-kernel loop (2 warm-ups + 1 profiled iteration of 2000 launches)"
timeout 180 "$IT" record -o "$OUT/null.itrace" -- python3 "$B/tools/kineto_capture.py" "$OUT/k" --mode null --launches 2000 \
  >"$OUT/record_null.txt" 2>&1; tail -n 25 "$OUT/record_null.txt"
"$IT" analyze "$OUT/k/nullkernel_2000.json.gz" --json >"$OUT/kineto_null.json" 2>/dev/null
"$IT" export "$OUT/null.itrace" --csv "$OUT/null_csv" >/dev/null
python3 - "$OUT" <<'PY'
import csv, json, sys, collections
out = sys.argv[1]
rows = list(csv.DictReader(open(f"{out}/null_csv/launches.csv")))
per_api = collections.Counter(r["api"] for r in rows)
k = json.load(open(f"{out}/kineto_null.json"))
print("recorded launch-type calls per API:", dict(per_api))
print("kineto kernels in the profiled iteration:", k.get("kernels"), " (the recording also holds 2 warm-up iterations)")
PY

log "overhead: launch_workloads.py without and with infertrace record (interleaved, 2 rounds, 5 reps each)"
for round in 1 2; do
  TRACER=none timeout 150 python3 "$B/tools/launch_workloads.py" 5 2>/dev/null | grep RESULT
  TRACER=infertrace timeout 150 "$IT" record -o /tmp/overhead.itrace -- python3 "$B/tools/launch_workloads.py" 5 2>/dev/null | grep RESULT
done | tee "$OUT/overhead.txt"
log "done"
