#!/usr/bin/env bash
# Where infertrace's and llama.cpp's greedy tokens differ, is it a near tie or a real
# disagreement? Runs `infertrace engine run` (greedy), then llama.cpp (node-llama-cpp) teacher-
# forced on infertrace's tokens (bench/llama_cpp_probs.mjs) and prints, per step, llama.cpp's
# probability of infertrace's token against its own top token. A weight layout error shows as
# ratios far below 1 from the first step; float accumulation order and llama.cpp's int8
# activation quantization (Q8_0, K-quants) only flip near ties (ratio ~1).
# usage: bench/llama_cpp_probs.sh MODEL.gguf [N_PROMPT=16] [N_GEN=32]
# Installs node-llama-cpp@3.22.1 into $NLC_DIR (default: a temporary directory, removed after).
set -euo pipefail
MODEL=$(realpath "${1:?usage: see the comment at the top of this script}")  # the driver runs in $NLC_DIR
NP=${2:-16}; NG=${3:-32}
HERE=$(cd "$(dirname "$0")" && pwd)
INFERTRACE=${INFERTRACE:-$HERE/../build/dev/src/infertrace}
source "$HERE/node_llama_cpp.sh" llama_cpp_probs.mjs
J=$("$INFERTRACE" engine run -m "$MODEL" --prompt-tokens "$NP" -n "$NG" -t 1 --ignore-eos --json)
ids() { python3 -c "import json,sys; print(','.join(map(str, json.load(sys.stdin)['$1'])))"; }
P=$(ids prompt_ids <<< "$J"); O=$(ids output_ids <<< "$J")
(cd "$NLC_DIR" && node llama_cpp_probs.mjs "$MODEL" 1 "$P" "$O") | tail -1 | python3 -c '
import json, sys
j = json.load(sys.stdin)
d = [s for s in j["steps"] if s["ours"] != s["llama_top"]]
print("%s: %d steps, llama.cpp top token = infertrace token at %d; where not, p(infertrace) / p(top) = %s"
      % (sys.argv[1], len(j["steps"]), len(j["steps"]) - len(d), ", ".join("%.4f" % s["ratio"] for s in d) or "-"))
print("min ratio over all steps: %.4f" % j["min_ratio"])' "$(basename "$MODEL")"
