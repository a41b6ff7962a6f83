# Sourced by the llama.cpp comparison scripts (llama_cpp_compare.sh, llama_cpp_probs.sh,
# tokenizer_compare.sh): makes node-llama-cpp (llama.cpp's prebuilt CPU build on the npm registry)
# available in $NLC_DIR and copies the driver script $1 (a .mjs beside this file) there.
# NLC_DIR unset: a temporary directory, removed when the calling script exits (a script that
# wants another default sets NLC_DIR before sourcing this). One pinned version for every script.
NLC_VERSION=3.22.1
if [[ -z "${NLC_DIR:-}" ]]; then NLC_DIR=$(mktemp -d); trap 'rm -rf "$NLC_DIR"' EXIT; fi
mkdir -p "$NLC_DIR"
if [[ ! -d "$NLC_DIR/node_modules/node-llama-cpp" ]]; then
  (cd "$NLC_DIR" && npm install --no-audit --no-fund --silent "node-llama-cpp@$NLC_VERSION" >/dev/null)
fi
cp "$(dirname "${BASH_SOURCE[0]}")/$1" "$NLC_DIR/"
