# Part: batch sweep of the engine (fused mode, batch 1..64), each run recorded with --cuda cupti and cut to its decode steps, through `infertrace sweep`: where the engine turns from CPU-bound to GPU-bound. About 2 minutes.
# Sourced by scripts/gpu_checks.sh, which sets IT (the infertrace binary), B (the bundle), OUT (a scratch
# folder whose small files come back in results.tar.gz) and log().
# Fused mode (SWEEP_MODE=eager|graph to change it): its 227 launches per step are one launch per
# kernel, so TKLQT weighs real launches against real queueing. Graph mode has one graph launch per
# step (TKLQT's launch/queue split then rests on two or three calls per step) and eager mode's 1,851
# launches per step keep it launch-bound far longer (issue 8's straight port: the closed loop in part 50).
M=/tmp/qwen3-0.6b-f16.gguf
[ -f "$M" ] || timeout 120 "$IT" model synth --preset qwen3-0.6b --dtype f16 -o "$M" | tail -n 1
SW=$OUT/engine_sweep
mkdir -p "$SW"
SWEEP_MODE=${SWEEP_MODE:-fused}
uptime | tee "$SW/load.txt"
log "engine sweep: $SWEEP_MODE mode, batch 1 2 4 8 16 32 64 (16-token prompt, 32 decode steps), each under record --cuda cupti"
traces=() windows=()
for b in 1 2 4 8 16 32 64; do
  # The engine's JSON goes to its own file (record's summary is on stderr, merged into the log here).
  timeout 90 "$IT" record --cuda cupti -o "$SW/bs$b.itrace" -- \
    bash -c 'exec "$@" >"$0"' "$SW/bs$b.json" "$IT" engine run -m "$M" --backend cuda --mode "$SWEEP_MODE" --batch $b \
    --prompt-tokens 16 -n 33 --ignore-eos --json >"$SW/record_bs$b.txt" 2>&1
  rc=$?
  echo "batch $b: rc $rc, $(grep -o '"tg_tokens_per_second": [0-9.]*' "$SW/bs$b.json" 2>/dev/null)"
  if [ $rc -eq 0 ]; then
    traces+=("$SW/bs$b.itrace") windows+=(--decode-window "$SW/bs$b.json")
  else
    tail -n 5 "$SW/record_bs$b.txt"
  fi
done
log "engine sweep: infertrace sweep (batch from each run's n_seq, decode steps only)"
timeout 120 "$IT" sweep "${traces[@]}" "${windows[@]}" --plot "$SW/sweep.svg" 2>&1 | tee "$SW/sweep.txt"
timeout 120 "$IT" sweep "${traces[@]}" "${windows[@]}" --json >"$SW/sweep.json" 2>"$SW/sweep.err"; tail -n 3 "$SW/sweep.err"
python3 - "$SW" <<'PY'
import json, sys
sw = sys.argv[1]
try:
    s = json.load(open(f"{sw}/sweep.json"))
except Exception as e:
    sys.exit(f"sweep: no result ({e})")
print("batch  tg tok/s  steps  kernels/step  launch part/step us  queue part/step us  GPU idle  CPU idle  bound")
for p in s["points"]:
    run = json.load(open(f"{sw}/bs{p['batch']}.json"))
    n = run["n_decode_evals"]
    print(f"{p['batch']:5} {run['tg_tokens_per_second']:9.1f} {n:6} {p['kernels'] / n:13.1f} {p['tklqt_launch_ns'] / n / 1e3:20.1f}"
          f" {p['tklqt_queue_ns'] / n / 1e3:19.1f} {p['gpu_idle_share']:9.2f} {p['cpu_idle_share']:9.2f}  {p['bound']}")
print("transition batch:", s["transition_batch"], "| balanced:", s["balanced_batches"])
PY
