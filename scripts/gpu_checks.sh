#!/usr/bin/env bash
# The GPU checks for the device machine (run from the repository root after scripts/gpu_bundle.sh
# here, carrying build/gpu-bundle). Usage: bash scripts/gpu_checks.sh [PART...]
# Each part is a file in scripts/gpu_checks.d/ (named by its number or name, e.g. `10` or `launch`);
# without arguments every part runs in order. Each part's header says what it measures and about how
# long it takes, so a session with little device time left can pick the parts that fit one command
# (the device tool allows 10 minutes a command). Everything measured goes to $OUT (default
# out/gpu-checks): the full log plus one tarball of the small result files.
#
# Runs once on a machine nobody can debug, so: each part runs in its own bash (a `set -u` slip, an
# `exit` or a crash ends that part only; the next one still runs); the whole run keeps to
# GPU_CHECKS_BUDGET seconds (default 540, under the tool's 600 s timeout_s): a part still running
# at the deadline is stopped with everything it started, later parts are skipped, and the log and
# the tarball are written anyway. The tarball is rewritten after every part, so even a command the
# tool kills returns what the finished parts measured. A name matching no part is reported and
# skipped (exit status 2 at the end), not fatal.
# A part is also capped at twice the minutes its first line states ("About N minutes") plus 60 s
# (GPU_CHECKS_CAP_FACTOR, GPU_CHECKS_CAP_SLACK), so one hung part (a GPU kernel that never ends)
# cannot take the time of every part after it.
# Test hooks (tests/e2e/test_gpu_checks_driver.py): GPU_BUNDLE (default build/gpu-bundle),
# GPU_CHECKS_PARTS_DIR (default scripts/gpu_checks.d).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
start=$SECONDS
run_id=gpu-checks-$$
BUDGET=${GPU_CHECKS_BUDGET:-540}
MIN_LEFT=${GPU_CHECKS_MIN_LEFT:-30}  # a part is not started with less than this many seconds left
CAP_FACTOR=${GPU_CHECKS_CAP_FACTOR:-2}
CAP_SLACK=${GPU_CHECKS_CAP_SLACK:-60}
# The device tool returns at most 8 files from $OUT: the work happens in $W, and $OUT gets the full
# log plus one tarball of the small result files (recordings excluded; they stay on the machine).
OUT=${OUT:-out/gpu-checks}
FINAL_OUT=$OUT
mkdir -p "$FINAL_OUT"
W=$(mktemp -d /tmp/gpu-checks.XXXX)
exec > >(tee "$FINAL_OUT/log.txt") 2>&1
TEE_PID=$!
B=${GPU_BUNDLE:-$PWD/build/gpu-bundle}
# No LD_LIBRARY_PATH: the bundle's binaries find their libraries through RUNPATH $ORIGIN/lib
# (gpu_bundle.sh), so the traced Python programs load only their own.
export PYTHONUNBUFFERED=1
IT=$B/infertrace
OUT=$W
log() { echo "== $*"; }
export IT B OUT
export -f log
mountpoint -q /sys/kernel/tracing 2>/dev/null || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true

PARTS_DIR=${GPU_CHECKS_PARTS_DIR:-scripts/gpu_checks.d}
selected=()
status=0
if [ $# -eq 0 ]; then
  selected=("$PARTS_DIR"/*.sh)
else
  for want in "$@"; do
    match=("$PARTS_DIR"/"$want"*.sh "$PARTS_DIR"/[0-9][0-9]-"$want"*.sh)
    found=""
    for f in "${match[@]}"; do [ -f "$f" ] && { found=$f; break; }; done
    if [ -z "$found" ]; then
      echo "gpu_checks: no part matches '$want' (parts: $(cd "$PARTS_DIR" && echo *.sh)): skipped"
      status=2
      continue
    fi
    selected+=("$found")
  done
fi

# Every descendant of a process, found through /proc (no procps needed): a stopped part's own
# `timeout`s put their commands in process groups of their own, which a group kill would miss.
children_of() {
  local s line ppid p
  for s in /proc/[0-9]*/stat; do
    read -r line <"$s" 2>/dev/null || continue
    read -r _ ppid _ <<<"${line##*) }"
    [ "$ppid" = "$1" ] || continue
    p=${s#/proc/}
    echo "${p%/stat}"
  done
}
tree_of() { local c; echo "$1"; for c in $(children_of "$1"); do tree_of "$c"; done; }
stop_tree() {  # $1 = pid: TERM to the whole tree, KILL to what is left 10 s later
  local pids
  pids=$(tree_of "$1")
  # shellcheck disable=SC2086
  kill -TERM $pids 2>/dev/null
  for _ in $(seq 20); do
    kill -0 "$1" 2>/dev/null || break
    sleep 0.5
  done
  # shellcheck disable=SC2086,SC2046
  kill -KILL $pids $(for p in $pids; do children_of "$p"; done) 2>/dev/null
}

stop_leftovers() {  # $1 = part name: what the part left running after it ended (reparented, so no
  # longer below the driver) still holds its marker in the environment; stop it before the next part
  local pids
  pids=$(grep -l -z -x "GPU_CHECKS_PART=$run_id-$1" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3)
  [ -n "$pids" ] || return 0
  echo "(part $1 left $(echo "$pids" | wc -w) process(es) running: stopped)"
  # shellcheck disable=SC2086
  kill -TERM $pids 2>/dev/null
  sleep 2
  # shellcheck disable=SC2086
  kill -KILL $pids 2>/dev/null
  return 0
}

pack() {  # the tarball of $W as it is now; files over 1 MiB are left out if the whole is over 15 MiB
  tar czf "$FINAL_OUT/results.tar.gz.tmp" -C "$W" --exclude='*.itrace' --exclude='*.gguf' . 2>/dev/null
  if [ "$(stat -c %s "$FINAL_OUT/results.tar.gz.tmp" 2>/dev/null || echo 0)" -gt $((15 << 20)) ]; then
    (cd "$W" && find . -type f -size +1M ! -name '*.itrace' ! -name '*.gguf') >"$W/left_out_of_tarball.txt"
    tar czf "$FINAL_OUT/results.tar.gz.tmp" -C "$W" --exclude='*.itrace' --exclude='*.gguf' \
      --exclude-from="$W/left_out_of_tarball.txt" . 2>/dev/null
    echo "(results.tar.gz over 15 MiB: files over 1 MiB left out, listed in left_out_of_tarball.txt)"
  fi
  mv -f "$FINAL_OUT/results.tar.gz.tmp" "$FINAL_OUT/results.tar.gz"
}

log "machine (budget ${BUDGET} s)"
timeout 20 nvidia-smi -L 2>&1
timeout 20 nvidia-smi --query-gpu=driver_version,clocks.sm,clocks.mem,memory.used,memory.total --format=csv,noheader 2>&1
echo "$(ldd --version 2>&1 | head -n 1) (the bundle needs GLIBC_2.34, stress-ng in noise-tools 2.36)"
echo "kernel $(uname -r), $(nproc) CPUs, $(awk '/MemTotal/ {print $2 " kB"}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "btf: $([ -e /sys/kernel/btf/vmlinux ] && echo yes || echo no), tracefs: $(mountpoint -q /sys/kernel/tracing 2>/dev/null && echo mounted || echo no)"
timeout 60 python3 -c 'import torch, transformers; print("torch", torch.__version__, "cuda", torch.version.cuda, "transformers", transformers.__version__, "gpu", torch.cuda.is_available())' 2>&1 | tail -n 1
timeout 20 "$IT" --version 2>&1 | head -n 2
ldd "$IT" 2>&1 | grep -E 'not found|GLIBC' || true
# shellcheck disable=SC2012
echo "bundle: $(cd "$B" 2>/dev/null && ls -d ./* tools/* bin/* 2>/dev/null | tr '\n' ' ')"

summary=()
for part in "${selected[@]}"; do
  name=$(basename "$part" .sh)
  left=$((BUDGET - (SECONDS - start)))
  if [ "$left" -lt "$MIN_LEFT" ]; then
    log "part $name skipped: ${left} s of the ${BUDGET} s budget left"
    summary+=("$name skipped (no time left)")
    status=1
    continue
  fi
  t0=$SECONDS
  stop_at=$((start + BUDGET))
  est=$(sed -n '1s/.*About \([0-9][0-9]*\) minute.*/\1/p' "$part")
  if [ -n "$est" ] && [ $((t0 + est * 60 * CAP_FACTOR + CAP_SLACK)) -lt "$stop_at" ]; then
    stop_at=$((t0 + est * 60 * CAP_FACTOR + CAP_SLACK))
  fi
  log "part $name (started $(date -u +%T), ${left} s left, stopped after $((stop_at - t0)) s at most)"
  GPU_CHECKS_PART=$run_id-$name bash -c 'set -uo pipefail; source "$1"' "part-$name" "$part" &
  pid=$!
  killed=""
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$SECONDS" -ge "$stop_at" ]; then
      log "part $name: its time is up ($((SECONDS - t0)) s; the run's budget ends in $((start + BUDGET - SECONDS)) s): stopping it"
      stop_tree "$pid"
      killed=1
      break
    fi
    sleep 0.5
  done
  wait "$pid"
  rc=$?
  stop_leftovers "$name"
  if [ -n "$killed" ]; then
    summary+=("$name stopped at its time limit after $((SECONDS - t0)) s")
    status=1
  else
    summary+=("$name exit $rc after $((SECONDS - t0)) s")
    [ "$rc" -eq 0 ] || status=1
  fi
  printf '%s\n' "${summary[@]}" >"$W/parts.txt"
  pack
done
log "parts (the exit status is the part's last command's)"
printf '  %s\n' "${summary[@]}"
printf '%s\n' "${summary[@]}" >"$W/parts.txt"
pack
ls -la "$FINAL_OUT"
log "done after $((SECONDS - start)) s"
# Let tee write the last lines before the command returns (the tool ends what is left running).
exec >&- 2>&-
for _ in $(seq 20); do kill -0 "$TEE_PID" 2>/dev/null || break; sleep 0.5; done
exit "$status"
