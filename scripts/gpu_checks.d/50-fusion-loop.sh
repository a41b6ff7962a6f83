# Part: the closed loop of issue 8 (docs/fusion.md "Closed loop"): `infertrace fusion` on a CUPTI recording of the engine's eager decode steps, against the measured fused and graph modes; then the same through a Chrome (Kineto-format) export. About 2 minutes.
# Sourced by scripts/gpu_checks.sh, which sets IT (the infertrace binary), B (the bundle), OUT (a scratch
# folder whose small files come back in results.tar.gz) and log().
M=/tmp/qwen3-0.6b-f16.gguf
[ -f "$M" ] || timeout 120 "$IT" model synth --preset qwen3-0.6b --dtype f16 -o "$M" | tail -n 1
FL=$OUT/fusion_loop
mkdir -p "$FL"
# 32-token prompt, 64 decode steps, batch 1: the decode window is what tg measures.
RUN_ARGS=(engine run -m "$M" --backend cuda --prompt-tokens 32 -n 65 --ignore-eos --json)
uptime | tee "$FL/load.txt"

log "fusion loop: eager / fused / graph tokens/s, not recorded, 3 rounds interleaved (the median run of each mode is used)"
for round in 1 2 3; do
  for mode in eager fused graph; do
    timeout 60 "$IT" "${RUN_ARGS[@]}" --mode $mode >"$FL/${mode}_run$round.json" || echo "engine run $mode round $round: rc $?"
  done
done

log "fusion loop: each mode under record --cuda cupti (the eager recording is what the prediction reads)"
for mode in eager fused graph; do
  # The engine's JSON goes to its own file (record's summary is on stderr, merged into the log here).
  timeout 120 "$IT" record --cuda cupti -o "$FL/$mode.itrace" -- \
    bash -c 'exec "$@" >"$0"' "$FL/${mode}_rec.json" "$IT" "${RUN_ARGS[@]}" --mode $mode >"$FL/record_$mode.txt" 2>&1
  echo "record $mode: rc $?"; tail -n 6 "$FL/record_$mode.txt"
done

python3 - "$FL" <<'PY'
import json, shutil, sys
fl = sys.argv[1]
print("mode   tg tok/s per round (unrecorded)      median   recorded   host launches/step  kernels/step")
for mode in ("eager", "fused", "graph"):
    runs = []
    for r in (1, 2, 3):
        try:
            runs.append((json.load(open(f"{fl}/{mode}_run{r}.json")), r))
        except Exception as e:
            print(f"{mode} round {r}: no result ({e})")
    if not runs:
        continue
    runs.sort(key=lambda x: x[0]["tg_tokens_per_second"] or 0)
    med, r = runs[len(runs) // 2]
    shutil.copy(f"{fl}/{mode}_run{r}.json", f"{fl}/{mode}.json")
    try:
        rec = json.load(open(f"{fl}/{mode}_rec.json"))["tg_tokens_per_second"]
    except Exception:
        rec = None
    print(f"{mode:6} {' '.join('%9.1f' % (x[0]['tg_tokens_per_second'] or 0) for x in sorted(runs, key=lambda x: x[1])):30}"
          f" {med['tg_tokens_per_second']:8.1f} {rec if rec is None else '%9.1f' % rec:>9}"
          f" {med['launches_per_decode_step']:19} {med['kernels_per_decode_step']:13}")
PY

log "fusion loop: the table (fusion on the eager recording cut to its decode window, against the medians)"
K=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["kernels_per_decode_step"])' "$FL/eager_rec.json" 2>/dev/null)
LENGTHS=2,4,8,16,32,64,128,256,512,1024${K:+,$K}  # the last: one whole eager step
LOOP=(--lengths "$LENGTHS" --decode-window "$FL/eager_rec.json" --measured "eager=$FL/eager.json,fused=$FL/fused.json,graph=$FL/graph.json")
timeout 120 "$IT" fusion "$FL/eager.itrace" "${LOOP[@]}" >"$FL/fusion_loop.txt" 2>&1; echo "fusion: rc $?"
sed -n '/^decode window/p;/^Closed loop/,$p' "$FL/fusion_loop.txt"
timeout 120 "$IT" fusion "$FL/eager.itrace" "${LOOP[@]}" --json >"$FL/fusion_loop.json" 2>"$FL/fusion_loop.err"
timeout 120 "$IT" fusion "$FL/eager.itrace" "${LOOP[@]}" --threshold 0.5 --json >"$FL/fusion_loop_t05.json" 2>>"$FL/fusion_loop.err"
tail -n 3 "$FL/fusion_loop.err"

log "fusion loop: what the fused and graph recordings' decode steps cost (why measured and predicted differ)"
for mode in eager fused graph; do
  timeout 120 "$IT" fusion "$FL/$mode.itrace" --lengths 2 --decode-window "$FL/${mode}_rec.json" --json \
    >"$FL/steps_$mode.json" 2>>"$FL/fusion_loop.err"
done
python3 - "$FL" <<'PY'
import json, sys
fl = sys.argv[1]
print("mode   steps  kernels/step  IL/step us  GPU busy/step us  launch part/step us  bound  graph launches  recorded tok/s")
for mode in ("eager", "fused", "graph"):
    try:
        j = json.load(open(f"{fl}/steps_{mode}.json"))
        n = j["decode_window"]["decode_steps"]
        tg = json.load(open(f"{fl}/{mode}_rec.json"))["tg_tokens_per_second"]
    except Exception as e:
        print(f"{mode}: no figures ({e})")
        continue
    us = lambda v: "-" if v is None else "%.1f" % (v / n / 1e3)
    print(f"{mode:6} {n:5} {j['kernels'] / n:13.1f} {us(j['inference_latency_ns']):>11} {us(j['gpu_busy_ns']):>17}"
          f" {us(j['launch_part_total_ns']):>20} {str(j['bound']):>6} {j['graphs']['launches']:15} {tg:15.1f}")
# The launch-time saving itself: eager's launch part per step minus each mode's, measured from the
# recordings, beside what the closed loop predicted (best length, and with the mode's own launches).
try:
    loop = json.load(open(f"{fl}/fusion_loop.json"))["closed_loop"]
    steps = {m: json.load(open(f"{fl}/steps_{m}.json")) for m in ("eager", "fused", "graph")}
except Exception as e:
    sys.exit(f"launch-time saving: no figures ({e})")
per = lambda j: j["launch_part_total_ns"] / j["decode_window"]["decode_steps"] / 1e3
n = loop["eager"]["decode_steps"]
best = [p for p in loop["predictions"] if p["length"] == loop["best_length"]][0]
for m in loop["measured"]:
    print(f"launch time saved per step, {m['mode']}: measured {per(steps['eager']) - per(steps[m['mode']]):.1f} us "
          f"(recordings); predicted {best['launch_time_saved_ns'] / n / 1e3:.1f} us (best L={best['length']}), "
          f"{m['launch_matched']['launch_time_saved_ns'] / n / 1e3:.1f} us (launch-matched)")
PY

log "fusion loop: Kineto-format round trip (export --chrome of the eager recording, read back, same closed loop?)"
"$IT" export "$FL/eager.itrace" --chrome "$FL/eager_chrome.json" >/dev/null 2>>"$FL/fusion_loop.err"
timeout 120 "$IT" fusion "$FL/eager_chrome.json" "${LOOP[@]}" --json >"$FL/fusion_loop_chrome.json" 2>>"$FL/fusion_loop.err"
python3 - "$FL" <<'PY'
import json, sys
fl = sys.argv[1]
try:
    a = json.load(open(f"{fl}/fusion_loop.json"))
    b = json.load(open(f"{fl}/fusion_loop_chrome.json"))
except Exception as e:
    sys.exit(f"round trip: no result ({e})")
diff = sorted(k for k in set(a) | set(b) if k != "trace" and a.get(k) != b.get(k))
print("round trip: identical closed loop" if not diff else f"round trip: differs in {diff}")
PY
rm -f "$FL/eager_chrome.json"
