#!/usr/bin/env bash
# The test command (README.md, .ci/run): unit + end-to-end tests on the default build, the same
# tests under ASan+UBSan, and the fuzz corpus replayed through the libFuzzer targets.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

echo "== tests (dev build)"
ctest --preset dev -j "$jobs"

echo "== tests under ASan+UBSan"
cmake --preset asan >/dev/null
cmake --build --preset asan
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --preset asan -j "$jobs"

echo "== fuzz corpus replay"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz --target fuzz_targets
# UBSan stops at its first report (the fuzz build also has -fno-sanitize-recover=undefined): left to
# recover, it prints "runtime error", libFuzzer carries on and exits 0, and the stage passes.
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# On a failure, the last 80 lines of the target's log (build/fuzz/<name>.log: the crash, its stack
# trace, the input saved); when it passes, one line a target.
fail() {
  echo "fuzz: $1 failed; the end of $2:" >&2
  tail -n 80 "$2" >&2
  exit 1
}
for target in build/fuzz/fuzz/fuzz_*; do
  [ -x "$target" ] || continue
  name=$(basename "$target")
  corpus="fuzz/corpus/${name#fuzz_}"
  [ -d "$corpus" ] || { echo "fuzz: $name has no seed corpus at $corpus" >&2; exit 1; }
  log="build/fuzz/$name.log"
  # libFuzzer's inputs are at most max(4096, largest seed) bytes unless told. fuzz_connection serves
  # up to 128 KiB (its kMaxInput): a head over the 64 KiB limit (431) needs more than 4096.
  opts=()
  if [ "$name" = fuzz_connection ]; then opts=(-max_len=131072); fi
  # Replay the checked-in corpus, then fuzz briefly from it (16 s each: ten targets, 160 s in all);
  # any crash fails the run. libFuzzer adds the inputs it finds to its first corpus folder: a build
  # folder, not the checked-in seeds.
  "$target" -runs=0 "${opts[@]}" -artifact_prefix=build/fuzz/ "$corpus" >"$log" 2>&1 || fail "$name (seed corpus)" "$log"
  work="build/fuzz/corpus/${name#fuzz_}"
  mkdir -p "$work"
  "$target" -max_total_time="${FUZZ_SECONDS:-16}" -rss_limit_mb=4096 "${opts[@]}" "$work" "$corpus" \
    -artifact_prefix=build/fuzz/ >>"$log" 2>&1 || fail "$name" "$log"
  echo "$name: $(tail -n 1 "$log")"
done
echo "all test stages passed"
