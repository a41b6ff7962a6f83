# Part: record --cuda cupti (CUPTI injection) on a null-kernel loop, then analyze; then a --duration stop
# of an endless loop (the periodic flush). About 1 minute.
# Its overhead is measured in part 35, its per-kernel agreement with the PyTorch profiler in part 32.
# Sourced by scripts/gpu_checks.sh, which sets IT (the infertrace binary), B (the bundle), OUT (a scratch
# folder whose small files come back in results.tar.gz) and log().
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
# Every launch recorded once, each with its kernel: a runtime that fired CUPTI callbacks for both
# CUDA 13's __cudaLaunchKernel (not enabled, src/cupti_inject/inject_api.cpp) and cudaLaunchKernel
# would show orphan launch calls here; lost ones, fewer linked launch calls than kernels.
ok = (j.get("orphan_launch_calls") == 0 and j.get("orphan_activities") == 0
      and j.get("linked_launch_calls") == j.get("launch_calls") and (j.get("kernels") or 0) >= 2001)
print("CHECK launches once each, all linked (orphans 0, kernels >= 2001):", "ok" if ok else "FAILED")
PY

log "record --cuda cupti --duration 4 on an endless loop (one add per 10 ms), stopped by SIGTERM: the periodic flush"
# Python's default SIGTERM runs no atexit handler, so without the injection library's periodic flush
# (src/cupti_inject/inject_flush.cpp) the kernels of a command the --duration stop ends never reach
# the ring: the API records (pushed at once) would have no GPU work. Kernels within 5% of the launch
# calls (those of the last ~100 ms, or still queued, may be missing).
ENDLESS='import time, torch; x = torch.zeros(1, device="cuda"); torch.cuda.synchronize()
while True:
    x.add_(1); time.sleep(0.01)'
timeout 60 "$IT" record --cuda cupti --duration 4 -o "$OUT/endless_cupti.itrace" -- python3 -c "$ENDLESS" \
  >"$OUT/record_cupti_endless.txt" 2>&1
echo "rc $?"; tail -n 8 "$OUT/record_cupti_endless.txt"
"$IT" analyze "$OUT/endless_cupti.itrace" --json >"$OUT/cupti_endless.json" 2>"$OUT/cupti_endless.err"
tail -n 3 "$OUT/cupti_endless.err"
python3 - "$OUT" <<'PY'
import json, sys
try:
    j = json.load(open(f"{sys.argv[1]}/cupti_endless.json"))
except Exception as e:
    sys.exit(f"no analysis of the --duration cupti recording: {e}")
k, calls = j.get("kernels") or 0, j.get("launch_calls") or 0
print({"kernels": k, "launch_calls": calls, "linked_launch_calls": j.get("linked_launch_calls")})
ok = calls >= 200 and k >= 0.95 * calls
print("CHECK periodic flush: kernels >= 95% of launch calls (>= 200) after a SIGTERM stop:", "ok" if ok else "FAILED")
PY
