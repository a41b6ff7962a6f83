#!/usr/bin/env bash
# Side-by-side: `infertrace engine run` and llama.cpp (node-llama-cpp's prebuilt CPU build) on the
# same GGUF, the same prompt token ids, the same thread counts, alternating runs; prints pp/tg
# tokens/s of each (median of REPS) and whether the greedy tokens are identical.
# usage: bench/llama_cpp_compare.sh MODEL.gguf [THREADS=1,2] [N_PROMPT=64] [N_GEN=32] [REPS=3]
# Installs node-llama-cpp@3.22.1 into $NLC_DIR (default: a temporary directory, removed after).
# INFERTRACE_BEFORE=path: a second infertrace build (e.g. before a change) run in the same
# alternation, reported as "infertrace (before)", so before/after/llama.cpp share the conditions.
set -euo pipefail
MODEL=$(realpath "${1:?usage: see the comment at the top of this script}")  # the driver runs in $NLC_DIR
THREADS=${2:-1,2}; NP=${3:-64}; NG=${4:-32}; REPS=${5:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
INFERTRACE=${INFERTRACE:-$HERE/../build/dev/src/infertrace}
source "$HERE/node_llama_cpp.sh" llama_cpp_compare.mjs
IDS=$("$INFERTRACE" engine run -m "$MODEL" --prompt-tokens "$NP" -n 0 --json |
      python3 -c "import json,sys; print(','.join(map(str, json.load(sys.stdin)['prompt_ids'])))")
OUT=$(mktemp)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
for t in ${THREADS//,/ }; do
  for ((r = 0; r < REPS; r++)); do
    if [[ -n "${INFERTRACE_BEFORE:-}" ]]; then
      "$INFERTRACE_BEFORE" engine run -m "$MODEL" --prompt-tokens "$NP" -n "$NG" -t "$t" --ignore-eos --json |
        python3 -c "import json,sys; j=json.load(sys.stdin); j['engine']='infertrace (before)'; print(json.dumps(j))" >> "$OUT"
    fi
    # --no-warmup: llama_cpp_compare.mjs times node-llama-cpp's first evaluation of a fresh context,
    # so infertrace's first evaluation is timed too (engine run warms up by default since 2026-12-05).
    "$INFERTRACE" engine run -m "$MODEL" --prompt-tokens "$NP" -n "$NG" -t "$t" --ignore-eos --json --no-warmup |
      python3 -c "import json,sys; j=json.load(sys.stdin); j['engine']='infertrace'; print(json.dumps(j))" >> "$OUT"
    (cd "$NLC_DIR" && node llama_cpp_compare.mjs "$MODEL" "$t" "$NG" "$IDS") | tail -1 >> "$OUT"
  done
done
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
python3 - "$OUT" "$MODEL" "$LOAD_START" "$LOAD_END" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print("model: %s, %d prompt tokens, %d generated (median of runs)" % (sys.argv[2], rows[0]["n_prompt"], rows[0]["n_generated"]))
print("| threads | engine | pp tok/s | tg tok/s | runs |\n| ---: | --- | ---: | ---: | ---: |")
for t in sorted({r["threads"] for r in rows}):
    for e in ("infertrace (before)", "infertrace", "llama.cpp (node-llama-cpp)"):
        sel = [r for r in rows if r["threads"] == t and r["engine"] == e]
        if not sel:
            continue
        print("| %d | %s | %.2f | %.2f | %d |" % (t, e, statistics.median(r["pp_tokens_per_second"] for r in sel),
              statistics.median(r["tg_tokens_per_second"] for r in sel), len(sel)))
for t in sorted({r["threads"] for r in rows}):
    tg = {e: statistics.median(r["tg_tokens_per_second"] for r in rows if r["threads"] == t and r["engine"] == e)
          for e in {r["engine"] for r in rows if r["threads"] == t}}
    print("%d threads: tg infertrace / llama.cpp = %.2f" % (t, tg["infertrace"] / tg["llama.cpp (node-llama-cpp)"]))
print("load average (1/5/15 min) at start: %s, at end: %s" % (sys.argv[3], sys.argv[4]))
a = [r["output_ids"] for r in rows if r["engine"] == "infertrace"]
b = [r["output_ids"] for r in rows if r["engine"] != "infertrace"]  # llama.cpp and "before"
same = all(x == a[0] for x in a + b)
print("greedy tokens identical across engines and runs: %s (%d tokens)" % ("yes" if same else "NO", len(a[0])))
if not same:
    print("infertrace:", a[0]); print("llama.cpp: ", b[0])
PY
rm -f "$OUT"
