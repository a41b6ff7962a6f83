#!/usr/bin/env python3
"""Rewrites a GGUF with every Q4_0/Q4_1/Q5_0/Q5_1/Q8_0/Q4_K/Q5_K/Q6_K tensor decoded to F32 by the independent pure-Python
decoders of tests/e2e/_gguf.py (ggml's layouts written out again; slow: for the tiny presets).
llama.cpp runs an F32 file with plain F32 arithmetic (no int8 activations), so
`bench/llama_cpp_compare.sh OUT.gguf` against `engine run` on the quantized file tells whether the
engine computes the model the layouts define, without llama.cpp's own quantized arithmetic in the way.
usage: bench/gguf_to_f32.py IN.gguf OUT.gguf"""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
import _gguf  # noqa: E402

DECODERS = {8: (34, _gguf.dequant_q8_0_block), 12: (144, _gguf.dequant_q4_k_block), 13: (176, _gguf.dequant_q5_k_block),
            14: (210, _gguf.dequant_q6_k_block)}
for _typ, _nb in ((2, 18), (3, 20), (6, 22), (7, 24)):
    DECODERS[_typ] = (_nb, lambda b, t=_typ: _gguf.dequant_legacy_block(b, t))

src, dst = sys.argv[1], sys.argv[2]
version, align, kv, tensors, data_off = _gguf.parse(open(src, "rb").read())
w = _gguf.Writer(align=align)
for k, (t, v) in kv.items():
    if k == "general.alignment":
        continue
    if k == "general.file_type":
        v = 0  # all F32
    w.add(k, t, v)
for t in tensors:
    if t["type"] in DECODERS:
        nb, dec = DECODERS[t["type"]]
        vals = [x for b in range(0, len(t["data"]), nb) for x in dec(t["data"][b:b + nb])]
        w.tensor(t["name"], t["ne"], 0, struct.pack("<%df" % len(vals), *vals))
    elif t["type"] == 0:
        w.tensor(t["name"], t["ne"], 0, t["data"])
    else:
        sys.exit("%s: type %d not handled" % (t["name"], t["type"]))
open(dst, "wb").write(w.bytes())
print("wrote", dst)
