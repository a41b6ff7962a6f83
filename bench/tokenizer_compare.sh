#!/usr/bin/env bash
# Differential check of infertrace's tokenizers against llama.cpp's (node-llama-cpp's prebuilt CPU
# build): trains small BPE vocabularies on multilingual text (bench/tokenizer_compare.py), writes
# them as tiny GGUF models (byte-level BPE under the llama-bpe, qwen2, gpt-2, default and smaug-bpe
# pre-tokenizers, with and without whole-word tokens no merge reaches; a trained SentencePiece one;
# `model synth --preset tiny`), then encodes N random strings with and without parse_special on
# both sides and compares the ids and the detokenized text. Prints one line per model and the first
# differences. Not run by CI (needs the npm registry).
# usage: bench/tokenizer_compare.sh [N_STRINGS=5000] [SEED=7]
# Installs node-llama-cpp@3.22.1 into $NLC_DIR (default: a temporary directory, removed after).
set -euo pipefail
N=${1:-5000}; SEED=${2:-7}
HERE=$(cd "$(dirname "$0")" && pwd)
INFERTRACE=${INFERTRACE:-$HERE/../build/dev/src/infertrace}
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
if [[ -z "${NLC_DIR:-}" ]]; then NLC_DIR=$WORK/nlc; mkdir -p "$NLC_DIR"; fi
if [[ ! -d "$NLC_DIR/node_modules/node-llama-cpp" ]]; then
  (cd "$NLC_DIR" && npm install --no-audit --no-fund --silent node-llama-cpp@3.22.1 >/dev/null)
fi
cp "$HERE/tokenizer_compare.mjs" "$NLC_DIR/"
python3 "$HERE/tokenizer_compare.py" vocabs "$WORK/models"
"$INFERTRACE" model synth --preset tiny -o "$WORK/models/spm_synth_tiny.gguf" >/dev/null
python3 "$HERE/tokenizer_compare.py" strings "$N" "$SEED" "$WORK/strings.json"
for model in "$WORK"/models/*.gguf; do
  name=$(basename "$model" .gguf)
  for sp in 0 1; do
    flag=(); [[ $sp == 1 ]] && flag=(--special)
    (cd "$NLC_DIR" && node tokenizer_compare.mjs "$model" "$WORK/strings.json" "$sp") > "$WORK/$name.$sp.ref.json"
    "$INFERTRACE" model tokenize -m "$model" --batch "$WORK/strings.json" --no-bos "${flag[@]}" > "$WORK/$name.$sp.our.json"
  done
done
python3 "$HERE/tokenizer_compare.py" compare "$WORK" "$WORK/strings.json"
