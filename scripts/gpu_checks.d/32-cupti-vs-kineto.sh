# Part: record --cuda cupti against the PyTorch profiler: per-kernel counts, median durations and launch latencies (null loop and a decode). About 3 minutes.
# Sourced by scripts/gpu_checks.sh, which sets IT (the infertrace binary), B (the bundle), OUT (a scratch
# folder whose small files come back in results.tar.gz) and log().
# One process cannot host both CUPTI clients on CUPTI 13.0-13.2 (one subscriber per process; the
# injection library subscribes at CUDA initialization, so Kineto's later subscribe is refused and its
# trace has no GPU side: docs/record.md, "Another CUPTI client in the same process"). So each workload
# runs twice, deterministically (fixed seed, greedy decode with min = max new tokens): once under
# `record --cuda cupti` (its Kineto trace is kept to show what the profiler got in that process) and
# once alone under the profiler. scripts/gpu_tools/kernel_agreement.py compares the recording's
# profiled iteration (the last stretch between two device syncs with launches) with the Kineto trace.
for spec in "null:--mode null --launches 2000:nullkernel_2000" "decode:--model qwen3-0.6b --mode decode --new-tokens 16:qwen3-0.6b_decode_bs1"; do
  IFS=: read -r k32 k32_args k32_file <<<"$spec"
  log "cupti vs kineto: $k32 ($k32_args)"
  # shellcheck disable=SC2086
  timeout 150 "$IT" record --cuda cupti -o "$OUT/k32_$k32.itrace" -- python3 "$B/tools/kineto_capture.py" "$OUT/k32_${k32}_same" $k32_args \
    >"$OUT/k32_${k32}_record.txt" 2>&1
  echo "record rc $?"; grep -E 'cupti|dropped|CUPTI|infertrace-cupti' "$OUT/k32_${k32}_record.txt" | head -n 12
  # shellcheck disable=SC2086
  timeout 120 python3 "$B/tools/kineto_capture.py" "$OUT/k32_${k32}_alone" $k32_args >"$OUT/k32_${k32}_alone.txt" 2>&1
  echo "profiler-alone rc $?"
  "$IT" export "$OUT/k32_$k32.itrace" --csv "$OUT/k32_${k32}_csv" >/dev/null || { echo "export failed"; continue; }
  if python3 - "$OUT/k32_${k32}_same/$k32_file.json.gz" <<'PY'
import gzip, json, sys
try:
    ev = json.load(gzip.open(sys.argv[1], "rt"))["traceEvents"]
    kernels = sum(e.get("cat") == "kernel" for e in ev)
    print("Kineto trace of the recorded process: %d GPU kernels, %d CPU ops (0 kernels: its CUPTI subscribe was refused)"
          % (kernels, sum(e.get("cat") == "cpu_op" for e in ev)))
    sys.exit(0 if kernels else 3)
except Exception as e:
    print("no Kineto trace from the recorded process:", e)
    sys.exit(3)
PY
  then  # both CUPTI clients got GPU activity in one process (CUPTI 13.3 or later?): compare that too
    python3 scripts/gpu_tools/kernel_agreement.py "$OUT/k32_${k32}_csv" "$OUT/k32_${k32}_same/$k32_file.json.gz" |
      tee "$OUT/k32_${k32}_agreement_same_process.md"
  fi
  python3 scripts/gpu_tools/kernel_agreement.py "$OUT/k32_${k32}_csv" "$OUT/k32_${k32}_alone/$k32_file.json.gz" | tee "$OUT/k32_${k32}_agreement.md"
  echo "agreement rc ${PIPESTATUS[0]}"
  rm -rf "$OUT/k32_${k32}_csv"
done
