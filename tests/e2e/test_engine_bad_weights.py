"""End-to-end: weights the engine cannot compute with (review EG L1, L2).
- A tensor of a real ggml type the engine does not compute (importance-matrix, ternary and FP4
  quants): `model info` lists the file with the type's name, and `engine run` refuses naming it
  ("weight type iq4_xs is not supported"), not "unknown ggml type 23". The bytes each type takes
  are worked out here from ggml-common.h's block structs, field by field.
- Weights holding NaN: `engine run` fails (exit 1) saying the logits are not finite, where greedy
  used to emit token 0 as if nothing were wrong; the same for a temperature draw."""
import json
import math
import os
import struct
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import _gguf  # noqa: E402

from _harness import check, failures, run  # noqa: E402

QK_K = 256
HALF = 2  # ggml_half
# ggml type id -> (name, values per block, bytes per block from the struct's fields)
TYPES = {
    16: ("iq2_xxs", QK_K, HALF + QK_K // 8 * 2),                       # d, uint16 qs[QK_K/8]
    17: ("iq2_xs", QK_K, HALF + QK_K // 8 * 2 + QK_K // 32),           # d, qs, scales
    18: ("iq3_xxs", QK_K, HALF + 3 * QK_K // 8),                       # d, qs[3*QK_K/8]
    19: ("iq1_s", QK_K, HALF + QK_K // 8 + QK_K // 32 * 2),            # d, qs, uint16 qh[QK_K/32]
    20: ("iq4_nl", 32, HALF + 32 // 2),                                # d, qs[QK4_NL/2]
    21: ("iq3_s", QK_K, HALF + QK_K // 4 + QK_K // 32 + QK_K // 8 + QK_K // 64),  # d, qs, qh, signs, scales
    22: ("iq2_s", QK_K, HALF + QK_K // 4 + QK_K // 32 + QK_K // 32),   # d, qs, qh, scales
    23: ("iq4_xs", QK_K, HALF + 2 + QK_K // 64 + QK_K // 2),           # d, scales_h, scales_l, qs
    29: ("iq1_m", QK_K, QK_K // 8 + QK_K // 16 + QK_K // 32),          # qs, qh, scales (no d)
    34: ("tq1_0", QK_K, (QK_K - 4 * QK_K // 64) // 5 + QK_K // 64 + HALF),  # qs, qh, d
    35: ("tq2_0", QK_K, QK_K // 4 + HALF),                             # qs, d
    39: ("mxfp4", 32, 1 + 32 // 2),                                    # e8m0 exponent, qs
    40: ("nvfp4", 64, 4 + 64 // 2),                                    # four e4m3 scales, qs
}

N_EMBD, N_FF = 256, 64  # every row a whole number of blocks of every type above

with tempfile.TemporaryDirectory() as tmp:
    for tid, (name, block, block_bytes) in sorted(TYPES.items()):
        w = _gguf.mini_llama(n_embd=N_EMBD, n_ff=N_FF, n_head=2, n_vocab=300)
        w.tensors = [(n, ne, tid, bytes((7 * i) % 251 for i in range(N_FF * N_EMBD // block * block_bytes)))
                     if n == "blk.0.ffn_up.weight" else (n, ne, t, d) for n, ne, t, d in w.tensors]
        path = os.path.join(tmp, name + ".gguf")
        with open(path, "wb") as f:
            f.write(w.bytes())
        r = run("model", "info", path, "--json")
        info = {}
        try:
            info = json.loads(r.stdout) if r.returncode == 0 else {}
        except ValueError:
            pass
        check(r.returncode == 0, "model info %s: exit %d %s" % (name, r.returncode, r.stderr.strip()[-300:]))
        tensors = {t.get("name"): t for t in info.get("tensors", [])}
        up = tensors.get("blk.0.ffn_up.weight", {})
        check(up.get("type") == name, "model info %s: ffn_up type %r" % (name, up.get("type")))
        r = run("engine", "run", "-m", path, "--prompt-tokens", "3", "-n", "2", "-t", "1", "--json")
        last = r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ""
        check(r.returncode == 1 and ("weight type %s is not supported" % name) in last,
              "engine run %s: exit %d, %r" % (name, r.returncode, last))

    # NaN weights: every matrix of the model NaN, or only the output's last rows (some logits NaN).
    nan_all = _gguf.mini_llama(n_embd=32, n_ff=64, n_head=2, n_vocab=300)
    nan_all.tensors = [(n, ne, t, struct.pack("<%df" % (len(d) // 4), *([math.nan] * (len(d) // 4))))
                       if n.endswith(".weight") and len(ne) == 2 else (n, ne, t, d) for n, ne, t, d in nan_all.tensors]
    path = os.path.join(tmp, "nan.gguf")
    with open(path, "wb") as f:
        f.write(nan_all.bytes())
    for temp in ("0", "0.8"):
        r = run("engine", "run", "-m", path, "--prompt-tokens", "3", "-n", "3", "-t", "1", "--ignore-eos", "--json",
                "--temp", temp)
        last = r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ""
        check(r.returncode == 1 and "logits are not finite" in last and "300 values" in last,
              "NaN weights, --temp %s: exit %d, %r, stdout %r" % (temp, r.returncode, last, r.stdout[-200:]))
    # The control: the same file with finite weights runs.
    path = os.path.join(tmp, "finite.gguf")
    with open(path, "wb") as f:
        f.write(_gguf.mini_llama(n_embd=32, n_ff=64, n_head=2, n_vocab=300).bytes())
    r = run("engine", "run", "-m", path, "--prompt-tokens", "3", "-n", "3", "-t", "1", "--ignore-eos", "--json")
    check(r.returncode == 0 and len(json.loads(r.stdout or "{}").get("output_ids", [])) == 3,
          "finite weights: exit %d %s" % (r.returncode, r.stderr[-300:]))

if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("ok")
