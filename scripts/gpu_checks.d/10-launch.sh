# Part: bench launch (null-kernel launch cost per API). About 1 minute.
# Sourced by scripts/gpu_checks.sh, which sets IT (the infertrace binary), B (the bundle), OUT (a scratch
# folder whose small files come back in results.tar.gz) and log().
log "bench launch"
timeout 120 "$IT" bench launch -o json >"$OUT/bench_launch.json" && timeout 60 "$IT" bench launch -n 500 | tee "$OUT/bench_launch.md"

