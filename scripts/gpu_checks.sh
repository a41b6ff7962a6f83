#!/usr/bin/env bash
# The GPU checks for the device machine (run from the repository root after scripts/gpu_bundle.sh
# here, carrying build/gpu-bundle). Usage: bash scripts/gpu_checks.sh [PART...]
# Each part is a file in scripts/gpu_checks.d/ (named by its number or name, e.g. `10` or `launch`);
# without arguments every part runs in order. Each part's header says what it measures and about how
# long it takes, so a session with little device time left can pick the parts that fit one command
# (the device tool allows 10 minutes a command). Everything measured goes to $OUT (default
# out/gpu-checks): the full log plus one tarball of the small result files.
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
# No LD_LIBRARY_PATH: the bundle's binaries find their libraries through RUNPATH $ORIGIN/lib
# (gpu_bundle.sh), so the traced Python programs load only their own.
export PYTHONUNBUFFERED=1
IT=$B/infertrace
log() { echo "== $*"; }
mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true

PARTS_DIR=scripts/gpu_checks.d
selected=()
if [ $# -eq 0 ]; then
  selected=("$PARTS_DIR"/*.sh)
else
  for want in "$@"; do
    match=("$PARTS_DIR"/"$want"*.sh "$PARTS_DIR"/[0-9][0-9]-"$want"*.sh)
    found=""
    for f in "${match[@]}"; do [ -f "$f" ] && { found=$f; break; }; done
    [ -n "$found" ] || { echo "gpu_checks: no part matches '$want' (parts: $(cd $PARTS_DIR && echo *.sh))" >&2; exit 2; }
    selected+=("$found")
  done
fi

log "machine"; nvidia-smi -L; uname -r; nproc; python3 -c 'import torch; print("torch", torch.__version__)'
for part in "${selected[@]}"; do
  log "part $(basename "$part" .sh) (started $(date -u +%T))"
  # shellcheck source=/dev/null
  source "$part"
done
tar czf "$FINAL_OUT/results.tar.gz" -C "$W" --exclude='*.itrace' --exclude='*.gguf' . && ls -la "$FINAL_OUT"
log "done"
