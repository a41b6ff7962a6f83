# Part: tracer overhead side by side (none / record --cuda uprobe / record --cuda cupti / cuda_sched_trace) on launch_workloads.py. About 5 minutes.
# Sourced by scripts/gpu_checks.sh, which sets IT (the infertrace binary), B (the bundle), OUT (a scratch
# folder whose small files come back in results.tar.gz) and log().
# Interleaved rounds (the order reversed every other round, so a drift over the part does not favour one
# tracer); a run that would start past the part's time budget is skipped, and the table is made from
# the runs that finished (scripts/gpu_tools/overhead_table.py). cuda_sched_trace runs only when the
# bundle has it (CUDA_SCHED_TRACE=... scripts/gpu_bundle.sh); it attaches to the libcuda and libcudart
# that PyTorch really maps, found at run time, and its CSV goes to a file, as a user would keep it.
log "overhead: launch_workloads.py (null20k, decode64) under none / uprobe / cupti / cuda_sched_trace"
OV_BUDGET=${OV_BUDGET:-290}  # seconds for the whole part
OV_REPS=${OV_REPS:-5}
ov_start=$SECONDS
read -r OV_LIBCUDA OV_LIBCUDART < <(timeout 60 python3 - <<'PY'
import glob, os, torch
torch.zeros(1, device="cuda"); torch.cuda.synchronize()
found = {}
for line in open("/proc/self/maps"):
    path = line.split()[-1] if "/" in line else ""
    base = os.path.basename(path)
    for key, prefix in (("cuda", "libcuda.so"), ("cudart", "libcudart.so")):
        if base.startswith(prefix) and key not in found:
            found[key] = path
if "cudart" not in found:  # statically linked runtime: fall back to the wheel's copy
    hits = glob.glob(os.path.join(os.path.dirname(torch.__file__), "..", "nvidia", "*", "lib", "libcudart.so*"))
    found["cudart"] = os.path.realpath(hits[0]) if hits else "-"
print(found.get("cuda", "/usr/local/nvidia/lib64/libcuda.so"), found["cudart"])
PY
)
echo "libcuda: ${OV_LIBCUDA:-?}  libcudart: ${OV_LIBCUDART:-?}" | tee "$OUT/overhead_libs.txt"
ov_tracers=(none infertrace-uprobe infertrace-cupti)
[ -x "$B/bin/cuda_sched_trace" ] && ov_tracers+=(cuda_sched_trace) || echo "(no bin/cuda_sched_trace in the bundle: its column is left out)"

ov_run() {  # $1 = tracer label; prints the workload's RESULT lines (or, on stderr, why there are none)
  local t=$1 w="$B/tools/launch_workloads.py" res=/tmp/ov_run.out err=/tmp/ov_run.err
  : >"$res"
  case $t in
    none) TRACER=none timeout 150 python3 "$w" "$OV_REPS" >"$res" 2>"$err" ;;
    infertrace-uprobe) TRACER=$t timeout 150 "$IT" record --cuda uprobe -o /tmp/ov_uprobe.itrace -- python3 "$w" "$OV_REPS" >"$res" 2>"$err"
      rm -f /tmp/ov_uprobe.itrace ;;
    infertrace-cupti) TRACER=$t timeout 150 "$IT" record --cuda cupti -o /tmp/ov_cupti.itrace -- python3 "$w" "$OV_REPS" >"$res" 2>"$err"
      rm -f /tmp/ov_cupti.itrace ;;
    cuda_sched_trace)
      # Without both paths it searches the usual places itself (which may miss PyTorch's libcudart).
      local args=()
      [ -n "${OV_LIBCUDA:-}" ] && [ -n "${OV_LIBCUDART:-}" ] && [ "$OV_LIBCUDART" != - ] && args=("$OV_LIBCUDA" "$OV_LIBCUDART")
      "$B/bin/cuda_sched_trace" "${args[@]}" >/tmp/ov_cst.csv 2>/tmp/ov_cst.err &
      local cst=$! attached=""
      for _ in $(seq 50); do grep -q 'Tracing CUDA' /tmp/ov_cst.err 2>/dev/null && { attached=1; break; }; sleep 0.2; done
      if [ -n "$attached" ]; then
        TRACER=$t timeout 150 python3 "$w" "$OV_REPS" >"$res" 2>"$err"
      else  # an untraced run labelled cuda_sched_trace would show a false 0% overhead
        echo "(cuda_sched_trace did not start tracing within 10 s: run skipped)" >&2; tail -n 5 /tmp/ov_cst.err >&2
      fi
      kill -INT "$cst" 2>/dev/null; wait "$cst" 2>/dev/null
      grep -E '^(Using|Attached uprobe|Warning)' /tmp/ov_cst.err | sort -u >>"$OUT/overhead_cst_attach.txt"
      grep -E '^(cuLaunchKernel|cudaLaunchKernel|Sched Switches)' /tmp/ov_cst.err | tr -s ' ' | paste -sd ';' >>"$OUT/overhead_cst_counts.txt"
      rm -f /tmp/ov_cst.csv
      [ -n "$attached" ] || return 0 ;;
  esac
  # A run that printed no RESULT (a tracer that failed, a timeout) is left out of the table: say why.
  grep RESULT "$res" || { echo "($t: no RESULT lines; its stderr ends:)" >&2; tail -n 5 "$err" >&2; }
}

: >"$OUT/overhead_compare.txt"
for round in 1 2 3; do
  order=("${ov_tracers[@]}")
  if [ $((round % 2)) -eq 0 ]; then order=(); for ((i=${#ov_tracers[@]}-1; i>=0; i--)); do order+=("${ov_tracers[i]}"); done; fi
  for t in "${order[@]}"; do
    if [ $((SECONDS - ov_start)) -gt $((OV_BUDGET - 45)) ]; then echo "(time budget reached: round $round, $t skipped)"; break 2; fi
    ov_run "$t" | tee -a "$OUT/overhead_compare.txt"
  done
done
python3 scripts/gpu_tools/overhead_table.py "$OUT/overhead_compare.txt" | tee "$OUT/overhead_compare.md"
[ -s "$OUT/overhead_cst_counts.txt" ] && { echo "cuda_sched_trace counters per run:"; cat "$OUT/overhead_cst_counts.txt"; }
