# Part: bench launch (null-kernel launch cost per API), then its e2e test's GPU checks. About 1 minute.
# Sourced by scripts/gpu_checks.sh, which sets IT (the infertrace binary), B (the bundle), OUT (a scratch
# folder whose small files come back in results.tar.gz) and log().
log "bench launch"
timeout 120 "$IT" bench launch -o json >"$OUT/bench_launch.json" 2>"$OUT/bench_launch.err"
echo "bench launch -o json: rc $?"; tail -n 5 "$OUT/bench_launch.err"
timeout 60 "$IT" bench launch -n 500 2>&1 | tee "$OUT/bench_launch.md"
# The e2e test checks the JSON where a GPU is (every API, latencies positive, under 1 ms and above
# the clock error): run as a script, it needs only INFERTRACE (tests/e2e/_harness.py).
log "bench launch: e2e checks (tests/e2e/test_bench_launch.py)"
INFERTRACE=$IT timeout 120 python3 tests/e2e/test_bench_launch.py 2>&1 | tail -n 15 | tee "$OUT/bench_launch_e2e.txt"
echo "e2e rc ${PIPESTATUS[0]}"
