# Part: the noisy-neighbour matrix (bench interference, 7 scenarios x 3 runs) on a PyTorch decode. About 6 minutes (8 at most).
# Sourced by scripts/gpu_checks.sh, which sets IT (the infertrace binary), B (the bundle), OUT (a scratch
# folder whose small files come back in results.tar.gz) and log().
# The neighbours (stress-ng, iperf3, fio, taskset) come from the bundle's noise-tools.tar.xz
# (scripts/gpu_bundle.sh): unpacked to /tmp and put last on PATH; each is a wrapper that gives only
# that tool its own libraries (taskset, which execs the measured command, needs none and gets none).
# The workload is bench/decode_throughput.py (Qwen3-0.6B-shaped, random fp16 weights, 4 s of timed
# 64-token greedy decodes); its "decode tokens/s" line is the metric.
# Runs are not recorded (--record off, INTERFERENCE_RECORD=auto to record them): the figures are the
# decode's own throughput. fio writes with O_DIRECT, which tmpfs refuses: the scratch folder is
# /var/tmp unless that is tmpfs too, then the checkout.
log "bench interference: baseline,cpu,net,disk,heavy,pinned,isolated x 3 on a PyTorch decode"
NT=/tmp/noise-tools
if [ -f "$B/noise-tools.tar.xz" ]; then
  rm -rf "$NT" && mkdir -p "$NT"
  tar xJf "$B/noise-tools.tar.xz" -C "$NT" 2>/dev/null ||
    python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$B/noise-tools.tar.xz" "$NT"
  # Last on PATH: a tool the machine has itself (taskset, from util-linux) is used as it is.
  export PATH=$PATH:$NT/bin
else
  echo "(no noise-tools.tar.xz in the bundle: scenarios whose tools are missing are skipped)"
fi
for t in stress-ng iperf3 fio taskset nice; do
  printf '%-10s %s\n' "$t" "$(command -v $t >/dev/null && { $t --version 2>&1 || true; } | head -n 1 || echo MISSING)"
done | tee "$OUT/interference_tools.txt"
IF_DIR=/var/tmp/infertrace-interference
[ "$(stat -f -c %T /var/tmp 2>/dev/null)" = tmpfs ] && IF_DIR=$PWD/.interference-scratch
rm -rf "$IF_DIR"
timeout 480 "$IT" bench interference --scenarios baseline,cpu,net,disk,heavy,pinned,isolated -r 3 \
  --metric-regex 'decode tokens/s: ([0-9.]+)' --record "${INTERFERENCE_RECORD:-off}" --out-dir "$IF_DIR" \
  -- python3 bench/decode_throughput.py --seconds 4 2>&1 | tee "$OUT/interference.md"
echo "rc ${PIPESTATUS[0]}"
cp "$IF_DIR/interference.json" "$OUT/" 2>/dev/null
nproc | sed 's/^/cpus: /' >>"$OUT/interference.md"
rm -rf "$IF_DIR"
