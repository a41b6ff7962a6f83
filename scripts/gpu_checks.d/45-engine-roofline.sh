# Part: issue 8's goal: GPU bandwidth, engine graph/fused/eager decode vs the roofline and vs transformers generate. About 3 minutes.
# Sourced by scripts/gpu_checks.sh, which sets IT (the infertrace binary), B (the bundle), OUT (a scratch
# folder whose small files come back in results.tar.gz) and log().
# Same run, same GPU: `bench membw --device cuda` (read bandwidth = the roofline's denominator), then
# the engine's three modes on a synthetic qwen3-0.6b F16 (batch 1, 64-token prompt, 128 generated),
# transformers' generate on the same shapes (dynamic and static cache, no compile), the engine's modes
# again, and the bandwidth again; one table at the end (docs/engine-cuda.md, "Roofline").
log "roofline: bench membw --device cuda"
M=${ROOFLINE_MODEL:-/tmp/qwen3-0.6b-f16.gguf}  # overridable for the dry-run test
[ -f "$M" ] || timeout 120 "$IT" model synth --preset qwen3-0.6b --dtype f16 -o "$M" | tail -n 1
timeout 60 "$IT" bench membw --device cuda -o json >"$OUT/membw_before.json"
timeout 60 "$IT" bench membw --device cuda -r 5 | tee "$OUT/membw.md"
# The e2e test recomputes best and median from the samples and checks no figure beats the nominal
# bandwidth by more than 5%: the roofline's denominator, checked before it is used.
INFERTRACE=$IT timeout 90 python3 tests/e2e/test_bench_membw_gpu.py 2>&1 | tail -n 8 | tee "$OUT/membw_e2e.txt"
BW=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["read"]["best_gbs"])' "$OUT/membw_before.json" 2>/dev/null)
if [ -z "$BW" ]; then
  echo "roofline: no bandwidth measured; the engine runs report no share"
  BW_ARGS=()
else
  BW_ARGS=(--roofline-gbs "$BW")
fi

engine_round() {
  for mode in graph fused eager; do
    timeout 90 "$IT" engine run -m "$M" --backend cuda --mode $mode --prompt-tokens 64 -n 128 --ignore-eos --json \
      "${BW_ARGS[@]}" >>"$OUT/roofline_engine.jsonl.tmp" || echo "engine $mode failed (rc $?)"
  done
}
log "roofline: engine round 1"
engine_round
log "roofline: transformers generate (dynamic and static cache, interleaved; 1 warm-up + 3 runs each; then launches counted)"
timeout 300 python3 bench/transformers_decode.py --preset qwen3-0.6b --infertrace "$IT" --cache dynamic,static \
  --prompt-tokens 64 --new-tokens 128 --reps 3 --warmup 1 --count-launches ${BW:+--roofline-gbs "$BW"} --json \
  >"$OUT/roofline_transformers.json" 2>"$OUT/roofline_transformers.err"
echo "transformers rc $?"; tail -n 5 "$OUT/roofline_transformers.err"
log "roofline: engine round 2"
engine_round
timeout 60 "$IT" bench membw --device cuda -o json >"$OUT/membw_after.json"

python3 - "$OUT" <<'PY'
import json, statistics, sys
sys.path.insert(0, "scripts/gpu_tools")
from run_docs import read_run_docs, write_jsonl
out = sys.argv[1]
rows = read_run_docs(f"{out}/roofline_engine.jsonl.tmp")
write_jsonl(rows, f"{out}/roofline_engine.jsonl")
bw = {}
for when in ("before", "after"):
    try:
        m = json.load(open(f"{out}/membw_{when}.json"))
        bw[when] = (m["read"]["best_gbs"], m["copy"]["best_gbs"], m["gpu"])
    except Exception as e:  # noqa: BLE001
        bw[when] = None
        print(f"membw {when}: {e}")
for when, v in bw.items():
    if v:
        print(f"bandwidth {when}: read {v[0]:.0f} GB/s, copy (read + write) {v[1]:.0f} GB/s best, {v[2]}")
try:
    hf = json.load(open(f"{out}/roofline_transformers.json"))
except Exception as e:  # noqa: BLE001
    hf = None
    print(f"transformers: no result ({e}); see roofline_transformers.err")
base = None
if hf:
    for r in hf["runs"]:
        if r.get("cache") == "dynamic" and "error" not in r:
            base = r["tg_tokens_per_second"]
med = lambda xs: statistics.median(xs) if xs else float("nan")  # noqa: E731
vs = lambda tg: f"{tg / base:.2f}x" if base else "n/a"  # noqa: E731
print("\n| engine | mode / cache | runs | pp tok/s | tg tok/s (median) | GB read / token | roofline share | "
      "host launches / token | kernels / token | tg vs transformers (dynamic) |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for mode in ("graph", "fused", "eager"):
    rs = [j for j in rows if j.get("mode") == mode]
    if not rs:
        print(f"| infertrace | {mode} | 0 | failed | | | | | | |")
        continue
    tg = med([j["tg_tokens_per_second"] for j in rs])
    share = med([j["roofline"]["tg_fraction"] for j in rs if j.get("roofline")])
    print(f"| infertrace | {mode} | {len(rs)} | {med([j['pp_tokens_per_second'] for j in rs]):.0f} | {tg:.1f} | "
          f"{rs[0]['decode_bytes_per_token'] / 1e9:.3f} | {100 * share:.1f}% | {rs[0]['launches_per_decode_step']} | "
          f"{rs[0]['kernels_per_decode_step']} | {vs(tg)} |")
for r in (hf or {}).get("runs", []):
    name = f"transformers {hf['transformers_version']}"
    if "error" in r:
        print(f"| {name} | {r['cache']} | 0 | failed: {r['error'][:80]} | | | | | | |")
        continue
    share = r["roofline"]["tg_fraction"] if "roofline" in r else float("nan")
    lpt = r.get("launches_per_decode_token")
    lpt = f"{lpt:.0f} (profiler)" if isinstance(lpt, (int, float)) else "n/a"
    print(f"| {name} | {r['cache']} | {len(r['tg_samples'])} | {r['pp_tokens_per_second']:.0f} | "
          f"{r['tg_tokens_per_second']:.1f} | {hf['decode_bytes_per_token'] / 1e9:.3f} | {100 * share:.1f}% | {lpt} | n/a | "
          f"{vs(r['tg_tokens_per_second'])} |")
graph = [j["roofline"]["tg_fraction"] for j in rows if j.get("mode") == "graph" and j.get("roofline")]
if graph:
    print(f"\nissue 8 goal (graph mode >= 50% of the roofline): {100 * med(graph):.1f}% -> "
          f"{'met' if med(graph) >= 0.5 else 'not met'}")
print("roofline share = decode bytes per token x tg / read bandwidth (bench membw --device cuda read best, before); "
      "engine KV cache F32, transformers F16")
PY
rm -f "$OUT/roofline_engine.jsonl.tmp" "$M"
