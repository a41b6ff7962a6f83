#!/usr/bin/env bash
# Differential check of infertrace's tokenizers against llama.cpp's (node-llama-cpp's prebuilt CPU
# build): trains small BPE vocabularies on multilingual text (bench/tokenizer_compare.py), writes
# them as tiny GGUF models (byte-level BPE under the llama-bpe, qwen2, gpt-2, default and smaug-bpe
# pre-tokenizers, with and without whole-word tokens no merge reaches; a trained SentencePiece one;
# `model synth --preset tiny`), then encodes N random strings with and without parse_special on
# both sides and compares the ids and the detokenized text; then every code point's class
# (letter/number/punctuation/other) through probe vocabularies. Prints one line per model and the
# first differences; exits 1 on any. Not run by CI (needs the npm registry).
# usage: bench/tokenizer_compare.sh [N_STRINGS=5000] [SEED=7]
# Installs node-llama-cpp@3.22.1 into $NLC_DIR (default: a temporary directory, removed after).
# Needs node/npm and Python 3 with the `regex` module (to list whole words for the bpex models).
set -euo pipefail
N=${1:-5000}; SEED=${2:-7}
HERE=$(cd "$(dirname "$0")" && pwd)
INFERTRACE=${INFERTRACE:-$HERE/../build/dev/src/infertrace}
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
NLC_DIR=${NLC_DIR:-$WORK/nlc}
source "$HERE/node_llama_cpp.sh" tokenizer_compare.mjs
python3 "$HERE/tokenizer_compare.py" vocabs "$WORK/models"
"$INFERTRACE" model synth --preset tiny -o "$WORK/models/spm_synth_tiny.gguf" >/dev/null
python3 "$HERE/tokenizer_compare.py" strings "$N" "$SEED" "$WORK/strings.json"
python3 "$HERE/tokenizer_compare.py" probe "$WORK/probe" "$WORK/probe/strings.json"
# run DIR STRINGS SPECIAL...: both sides on every model of DIR.
run() {
  local dir=$1 strings=$2; shift 2
  for model in "$dir"/*.gguf; do
    local name; name=$(basename "$model" .gguf)
    for sp in "$@"; do
      local flag=(); [[ $sp == 1 ]] && flag=(--special)
      (cd "$NLC_DIR" && node tokenizer_compare.mjs "$model" "$strings" "$sp") > "$dir/$name.$sp.ref.json"
      "$INFERTRACE" model tokenize -m "$model" --batch "$strings" --no-bos "${flag[@]}" > "$dir/$name.$sp.our.json"
    done
  done
}
run "$WORK/models" "$WORK/strings.json" 0 1
run "$WORK/probe" "$WORK/probe/strings.json" 0
status=0
# The BOS a prompt starts with (tokenizer.ggml.add_bos_token and its per-vocabulary default).
echo "BOS added to a prompt (llama.cpp / infertrace):"
for model in "$WORK"/models/*.gguf; do
  ref=$(cd "$NLC_DIR" && node tokenizer_compare.mjs "$model" --bos)
  our=$("$INFERTRACE" model tokenize -m "$model" -p "" --json |
        python3 -c "import json,sys; i=json.load(sys.stdin)['ids']; print(i[0] if i else 'null')")
  printf '  %-16s %s / %s%s\n' "$(basename "$model" .gguf)" "$ref" "$our" "$([[ $ref == "$our" ]] || echo "  DIFFERENT")"
  [[ $ref == "$our" ]] || status=1
done
python3 "$HERE/tokenizer_compare.py" compare "$WORK/models" "$WORK/strings.json" || status=1
echo "every code point U+0080..U+10FFFF (48 per string):"
python3 "$HERE/tokenizer_compare.py" compare "$WORK/probe" "$WORK/probe/strings.json" || status=1
exit $status
