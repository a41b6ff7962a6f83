#!/usr/bin/env bash
# The GPU checks, as one script for the device machine (run from the repository root after
# scripts/gpu_bundle.sh here, carrying build/gpu-bundle). Everything it measures goes to $OUT
# (default out/gpu-checks): bench launch, the recorder's launch count against the PyTorch
# profiler's for the same run, the recorder's overhead on launch-bound PyTorch workloads, and the
# reference engine's CUDA backend (tests against the CPU backend, then qwen3-0.6b F16 per mode).
# Sized to finish in about 8 minutes on an H100/H200 host (the engine section about 2).
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
log "engine --backend cuda: unit tests (CUDA vs CPU logits and greedy tokens, launch counts, batches)"
timeout 180 "$B/infertrace_tests" --gtest_filter='Cuda*:*CudaVsCpu*' >"$OUT/engine_cuda_unit.txt" 2>&1
echo "rc $?"; grep -E '^\[  (PASSED|FAILED|SKIPPED)|FAILED  \]|tests ran' "$OUT/engine_cuda_unit.txt" | tail -n 25
log "engine --backend cuda: e2e (every mode against the cpu backend on the tiny presets, batch 4)"
INFERTRACE=$IT timeout 240 python3 tests/e2e/test_engine_cuda_gpu.py 2>&1 | tail -n 20 | tee "$OUT/engine_cuda_e2e.txt"

log "engine run --backend cuda: synthetic qwen3-0.6b F16, 64-token prompt, 128 generated, per mode, then graph batches"
M=/tmp/qwen3-0.6b-f16.gguf
timeout 120 "$IT" model synth --preset qwen3-0.6b --dtype f16 -o "$M" | tail -n 1
for mode in eager fused graph eager fused graph; do  # twice, interleaved
  timeout 60 "$IT" engine run -m "$M" --backend cuda --mode $mode --prompt-tokens 64 -n 128 --ignore-eos --json \
    >>"$OUT/engine_cuda_modes.jsonl.tmp"
done
for b in 1 8 32; do
  timeout 60 "$IT" engine run -m "$M" --backend cuda --mode graph --batch $b --prompt-tokens 64 -n 64 --ignore-eos \
    --json >>"$OUT/engine_cuda_modes.jsonl.tmp"
done
python3 - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
text = open(f"{out}/engine_cuda_modes.jsonl.tmp").read()
dec, i, rows = json.JSONDecoder(), 0, []
while i < len(text):
    if text[i].isspace():
        i += 1
        continue
    j, i = dec.raw_decode(text, i)
    rows.append(j)
with open(f"{out}/engine_cuda_modes.jsonl", "w") as f:
    for j in rows:
        f.write(json.dumps({k: v for k, v in j.items() if k not in ("prompt_ids", "output_ids", "text")}) + "\n")
print("mode  batch  pp tok/s  tg tok/s  host launches/step  kernels/step (model)  weight GB  device")
for j in rows:
    print(f'{j["mode"]:5} {j["n_seq"]:6} {j["pp_tokens_per_second"]:9.1f} {j["tg_tokens_per_second"]:9.1f} '
          f'{j["launches_per_decode_step"]:19} {j["kernels_per_decode_step"]:6} ({j["predicted_kernels_per_decode_step"]})'
          f'{j["weight_bytes"] / 1e9:14.3f}  {j["device"]}')
PY
rm -f "$OUT/engine_cuda_modes.jsonl.tmp" "$M"
log "done"
