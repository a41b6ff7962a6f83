#!/usr/bin/env bash
# The GPU checks, as one script for the device machine (run from the repository root after
# scripts/gpu_bundle.sh here, carrying build/gpu-bundle). Everything it measures goes to $OUT
# (default out/gpu-checks): bench launch, the recorder's launch count against the PyTorch
# profiler's for the same run, the recorder's overhead on launch-bound PyTorch workloads, and the
# reference engine's CUDA backend (tests against the CPU backend, then qwen3-0.6b F16 per mode).
# Sized to finish in about 8 minutes on an H100/H200 host (the engine section about 2).
set -uo pipefail
cd "$(dirname "$0")/.."
# The device tool returns at most 8 files from $OUT: the work happens in $W, and $OUT gets the full
# log plus one tarball of the small result files (recordings excluded; they stay on the machine).
OUT=${OUT:-out/gpu-checks}
FINAL_OUT=$OUT
mkdir -p "$FINAL_OUT"
W=$(mktemp -d /tmp/gpu-checks.XXXX)
OUT=$W
exec > >(tee "$FINAL_OUT/log.txt") 2>&1
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
timeout 180 "$IT" record --cuda uprobe -o "$OUT/null.itrace" -- python3 "$B/tools/kineto_capture.py" "$OUT/k" --mode null --launches 2000 \
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
print("kineto kernels in the profiled iteration:", k["kernels"], " (the recording also holds 2 warm-up iterations)")
print("kineto apis:", [(a["name"], a["calls"], a["mean_launch_ns"], a["mean_latency_ns"]) for a in k["apis"]])
print("kineto kernels (top 3):", [(x["short_name"][:60], x["count"], x["mean_ns"]) for x in k["kernel_stats"][:3]])
PY

log "overhead: launch_workloads.py without and with infertrace record (interleaved, 2 rounds, 5 reps each)"
for round in 1 2; do
  TRACER=none timeout 150 python3 "$B/tools/launch_workloads.py" 5 2>/dev/null | grep RESULT
  TRACER=infertrace-uprobe timeout 150 "$IT" record --cuda uprobe -o /tmp/overhead.itrace -- python3 "$B/tools/launch_workloads.py" 5 2>/dev/null | grep RESULT
done | tee "$OUT/overhead.txt"
log "record --cuda cupti: 2000 one-element adds (expect 2000 add kernels + 1 fill), then analyze"
NULLS='import torch; x = torch.zeros(1, device="cuda"); torch.cuda.synchronize()
for _ in range(2000): x.add_(1)
torch.cuda.synchronize()'
timeout 180 "$IT" record --cuda cupti -o "$OUT/null_cupti.itrace" -- python3 -c "$NULLS" >"$OUT/record_cupti.txt" 2>&1
echo "rc $?"; tail -n 20 "$OUT/record_cupti.txt"
"$IT" analyze "$OUT/null_cupti.itrace" --json >"$OUT/cupti_null.json" 2>"$OUT/cupti_null.err"; tail -n 3 "$OUT/cupti_null.err"
python3 - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
try:
    j = json.load(open(f"{out}/cupti_null.json"))
except Exception as e:
    sys.exit(f"no analysis of the cupti recording: {e}")
keys = ["kernels", "launch_calls", "linked_launch_calls", "tklqt_ns", "tklqt_launch_ns", "tklqt_queue_ns", "akd_ns",
        "gpu_idle_ns", "orphan_launch_calls", "orphan_activities", "clock_skew_clamped", "bound"]
print({k: j.get(k) for k in keys})
print("kernels by name (top 5):", [(k["short_name"][:60], k["count"], k["mean_ns"]) for k in j["kernel_stats"][:5]])
print("apis:", [(a["name"], a["calls"], a["mean_launch_ns"], a["mean_latency_ns"]) for a in j["apis"]])
print("sched gpu_starved_by_scheduler:", (j.get("sched") or {}).get("gpu_starved_by_scheduler"))
PY
log "overhead with --cuda cupti (interleaved with none, 2 rounds)"
for round in 1 2; do
  TRACER=none timeout 150 python3 "$B/tools/launch_workloads.py" 5 2>/dev/null | grep RESULT
  TRACER=infertrace-cupti timeout 150 "$IT" record --cuda cupti -o /tmp/overhead_cupti.itrace -- python3 "$B/tools/launch_workloads.py" 5 2>/dev/null | grep RESULT
done | tee "$OUT/overhead_cupti.txt"

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
tar czf "$FINAL_OUT/results.tar.gz" -C "$W" --exclude='*.itrace' --exclude='*.gguf' . && ls -la "$FINAL_OUT"
log "done"
