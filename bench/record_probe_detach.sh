#!/usr/bin/env bash
# How long `infertrace record` takes around a command that does nothing, with CUDA libraries
# probed: almost all of it is attaching and detaching the uprobes. Each library's probes in one
# uprobe_multi link (the default on Linux 6.6+) against one link per probe
# (INFERTRACE_UPROBE_MULTI=0), rounds interleaved (A B A B). Prints each run and the medians.
# Usage: bench/record_probe_detach.sh [ROUNDS] [--lib PATH]...   (run as root)
# Default libraries: CUDA's libcudart and its stub libcuda where /usr/local/cuda has them.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
exe="${INFERTRACE:-$here/build/dev/src/infertrace}"
rounds=3
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
  rounds="$1"
  shift
fi
libs=("$@")
if [ ${#libs[@]} -eq 0 ]; then
  for l in /usr/local/cuda/lib64/libcudart.so /usr/local/cuda/lib64/stubs/libcuda.so; do
    [ -e "$l" ] && libs+=(--lib "$(readlink -f "$l")")
  done
fi
[ ${#libs[@]} -gt 0 ] || { echo "no CUDA library found: give --lib PATH" >&2; exit 2; }
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
run() {  # $1: INFERTRACE_UPROBE_MULTI value; prints seconds
  local t0 t1
  t0=$(date +%s%N)
  INFERTRACE_UPROBE_MULTI="$1" "$exe" record -o "$out/r.itrace" "${libs[@]}" -- /bin/true > "$out/log" 2>&1 ||
    { cat "$out/log" >&2; exit 1; }
  t1=$(date +%s%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) / 1e9 }'
}
multi=() single=()
for r in $(seq "$rounds"); do
  m=$(run 1); s=$(run 0)
  multi+=("$m"); single+=("$s")
  echo "round $r: uprobe_multi ${m} s, per-function ${s} s"
done
grep -E "functions" "$out/log" | sed 's/^/  /'
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo "median: uprobe_multi $(median "${multi[@]}") s, per-function $(median "${single[@]}") s"
