# Part: the reference engine's CUDA backend: tests against the CPU backend, then tokens/s per mode. About 2 minutes.
# Sourced by scripts/gpu_checks.sh, which sets IT (the infertrace binary), B (the bundle), OUT (a scratch
# folder whose small files come back in results.tar.gz) and log().
log "engine --backend cuda: unit tests (CUDA vs CPU logits and greedy tokens, launch counts, batches)"
timeout 180 "$B/infertrace_tests" --gtest_filter='Cuda*:*CudaVsCpu*' >"$OUT/engine_cuda_unit.txt" 2>&1
echo "rc $? (77: every selected test skipped: no usable GPU)"
# The summary lines; if there are none the binary did not get that far (a missing library, a crash):
# show how its output ends instead.
grep -E '^\[  (PASSED|FAILED|SKIPPED)|FAILED  \]|tests ran' "$OUT/engine_cuda_unit.txt" | tail -n 25 ||
  tail -n 10 "$OUT/engine_cuda_unit.txt"
log "engine --backend cuda: e2e (every mode against the cpu backend on the tiny presets, batch 4)"
INFERTRACE=$IT timeout 240 python3 tests/e2e/test_engine_cuda_gpu.py 2>&1 | tail -n 20 | tee "$OUT/engine_cuda_e2e.txt"
echo "e2e rc ${PIPESTATUS[0]} (77: skipped, no usable GPU)"

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
import sys
sys.path.insert(0, "scripts/gpu_tools")
from run_docs import read_run_docs, write_jsonl
out = sys.argv[1]
rows = read_run_docs(f"{out}/engine_cuda_modes.jsonl.tmp")
write_jsonl(rows, f"{out}/engine_cuda_modes.jsonl")
print("mode  batch  pp tok/s  tg tok/s  host launches/step  kernels/step (model)  weight GB  device")
for j in rows:
    print(f'{j["mode"]:5} {j["n_seq"]:6} {j["pp_tokens_per_second"]:9.1f} {j["tg_tokens_per_second"]:9.1f} '
          f'{j["launches_per_decode_step"]:19} {j["kernels_per_decode_step"]:6} ({j["predicted_kernels_per_decode_step"]})'
          f'{j["weight_bytes"] / 1e9:14.3f}  {j["device"]}')
PY
rm -f "$OUT/engine_cuda_modes.jsonl.tmp" "$M"
