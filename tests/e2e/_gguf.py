"""A small, independent GGUF reader/writer in plain Python, used by the end-to-end tests to check
what `infertrace model synth` writes (and to write files infertrace must read or reject) without
trusting the C++ code under test. Run as a script to regenerate the fuzz corpus:
    python3 tests/e2e/_gguf.py fuzz/corpus/gguf
"""
import os
import struct
import sys

# value type ids and their struct formats (gguf_type)
U8, I8, U16, I16, U32, I32, F32, BOOL, STR, ARR, U64, I64, F64 = range(13)
FMT = {U8: "<B", I8: "<b", U16: "<H", I16: "<h", U32: "<I", I32: "<i", F32: "<f", BOOL: "<?",
       U64: "<Q", I64: "<q", F64: "<d"}
# ggml type id -> (name, block size, block bytes)
GGML = {0: ("f32", 1, 4), 1: ("f16", 1, 2), 8: ("q8_0", 32, 34), 30: ("bf16", 1, 2), 2: ("q4_0", 32, 18),
        3: ("q4_1", 32, 20), 6: ("q5_0", 32, 22), 7: ("q5_1", 32, 24), 12: ("q4_K", 256, 144), 13: ("q5_K", 256, 176), 14: ("q6_K", 256, 210)}


class Reader:
    def __init__(self, data):
        self.d, self.p = data, 0

    def take(self, fmt):
        v = struct.unpack_from(fmt, self.d, self.p)[0]
        self.p += struct.calcsize(fmt)
        return v

    def string(self):
        n = self.take("<Q")
        s = self.d[self.p:self.p + n]
        if len(s) != n:
            raise ValueError("truncated string")
        self.p += n
        return s.decode("utf-8", "surrogateescape")

    def value(self, t):
        if t == STR:
            return self.string()
        if t == ARR:
            et, n = self.take("<I"), self.take("<Q")
            return (et, [self.value(et) for _ in range(n)])
        return self.take(FMT[t])


def parse(data):
    """Returns (version, alignment, {key: (type, value)}, [tensor dicts], data_offset)."""
    r = Reader(data)
    assert data[:4] == b"GGUF", "bad magic"
    r.p = 4
    version, nt, nkv = r.take("<I"), r.take("<Q"), r.take("<Q")
    kv = {}
    for _ in range(nkv):
        k = r.string()
        t = r.take("<I")
        kv[k] = (t, r.value(t))
    align = kv.get("general.alignment", (U32, 32))[1]
    tensors = []
    for _ in range(nt):
        name = r.string()
        nd = r.take("<I")
        ne = [r.take("<q") for _ in range(nd)]
        typ, off = r.take("<I"), r.take("<Q")
        tensors.append({"name": name, "ne": ne, "type": typ, "offset": off})
    data_off = (r.p + align - 1) // align * align
    for t in tensors:
        name, bs, bb = GGML[t["type"]]
        n = 1
        for x in t["ne"]:
            n *= x
        t["nbytes"] = n // bs * bb
        t["data"] = data[data_off + t["offset"]: data_off + t["offset"] + t["nbytes"]]
    return version, align, kv, tensors, data_off


def half(h):
    return struct.unpack("<e", struct.pack("<H", h))[0]


def dequant_q8_0_block(b):
    d = half(struct.unpack_from("<H", b, 0)[0])
    return [d * q for q in struct.unpack_from("<32b", b, 2)]


def dequant_legacy_block(b, typ):
    """32 values of a Q4_0 (2), Q4_1 (3), Q5_0 (6) or Q5_1 (7) block: fp16 d, [fp16 m], [Q5: a
    little-endian u32 whose bit v is value v's fifth bit], 16 bytes whose low nibbles are values
    0..15 and high nibbles values 16..31. Q4_0/Q5_0: d * (q - 8 or 16); Q4_1/Q5_1: d * q + m."""
    with_min, fifth = typ in (3, 7), typ in (6, 7)
    d = half(struct.unpack_from("<H", b, 0)[0])
    m = half(struct.unpack_from("<H", b, 2)[0]) if with_min else 0.0
    p = 4 if with_min else 2
    qh = struct.unpack_from("<I", b, p)[0] if fifth else 0
    qs = b[p + 4:p + 20] if fifth else b[p:p + 16]
    out = []
    for v in range(32):
        q = (qs[v] & 15 if v < 16 else qs[v - 16] >> 4) | (((qh >> v) & 1) << 4)
        out.append(d * q + m if with_min else d * (q - (16 if fifth else 8)))
    return out


def _k_scale_min(sc, s):
    """6-bit scale and min of sub-block s from the 12 packed bytes (ggml's Q4_K/Q5_K layout)."""
    if s < 4:
        return sc[s] & 63, sc[s + 4] & 63
    return (sc[s + 4] & 15) | ((sc[s - 4] >> 6) << 4), (sc[s + 4] >> 4) | ((sc[s] >> 6) << 4)


def dequant_q4_k_block(b):
    """256 values of a 144-byte Q4_K block: d, dmin, 12 scale bytes, 128 nibble bytes; byte l of
    group g holds value 64g+l (low nibble) and 64g+32+l (high nibble)."""
    d, dmin = half(struct.unpack_from("<H", b, 0)[0]), half(struct.unpack_from("<H", b, 2)[0])
    sc, qs = b[4:16], b[16:144]
    out = []
    for v in range(256):
        g, r = divmod(v, 64)
        byte = qs[32 * g + r % 32]
        s, m = _k_scale_min(sc, v // 32)
        out.append(d * s * (byte & 15 if r < 32 else byte >> 4) - dmin * m)
    return out


def dequant_q5_k_block(b):
    """256 values of a 176-byte Q5_K block: d, dmin, 12 scale bytes, qh[32], qs[128]; the low four
    bits as in Q4_K, the fifth bit of value v is bit v//32 (its sub-block) of qh[v % 32]."""
    d, dmin = half(struct.unpack_from("<H", b, 0)[0]), half(struct.unpack_from("<H", b, 2)[0])
    sc, qh, qs = b[4:16], b[16:48], b[48:176]
    out = []
    for v in range(256):
        g, r = divmod(v, 64)
        byte = qs[32 * g + r % 32]
        q = (byte & 15 if r < 32 else byte >> 4) | (((qh[v % 32] >> (v // 32)) & 1) << 4)
        s, m = _k_scale_min(sc, v // 32)
        out.append(d * s * q - dmin * m)
    return out


def dequant_q6_k_block(b):
    """256 values of a 210-byte Q6_K block: ql[128], qh[64], int8 scales[16], d."""
    ql, qh = b[0:128], b[128:192]
    scales = struct.unpack_from("<16b", b, 192)
    d = half(struct.unpack_from("<H", b, 208)[0])
    out = []
    for v in range(256):
        h, k, l = v // 128, (v % 128) // 32, v % 32
        lo = ql[64 * h + l + 32 * (k & 1)]
        q = (lo & 15 if k < 2 else lo >> 4) | (((qh[32 * h + l] >> (2 * k)) & 3) << 4)
        out.append(d * scales[v // 16] * (q - 32))
    return out


class Writer:
    def __init__(self, align=32):
        self.kv, self.tensors, self.align = [], [], align
        if align != 32:
            self.kv.append(("general.alignment", U32, align))

    def add(self, key, t, v):
        self.kv.append((key, t, v))

    def tensor(self, name, ne, typ, data):
        self.tensors.append((name, ne, typ, data))

    def _value(self, t, v):
        if t == STR:
            b = v.encode() if isinstance(v, str) else v
            return struct.pack("<Q", len(b)) + b
        if t == ARR:
            et, items = v
            return struct.pack("<IQ", et, len(items)) + b"".join(self._value(et, x) for x in items)
        return struct.pack(FMT[t], v)

    def bytes(self):
        out = b"GGUF" + struct.pack("<IQQ", 3, len(self.tensors), len(self.kv))
        for k, t, v in self.kv:
            out += self._value(STR, k) + struct.pack("<I", t) + self._value(t, v)
        off, offs = 0, []
        for name, ne, typ, data in self.tensors:
            offs.append(off)
            off = (off + len(data) + self.align - 1) // self.align * self.align
        for (name, ne, typ, data), o in zip(self.tensors, offs):
            out += self._value(STR, name) + struct.pack("<I", len(ne)) + b"".join(struct.pack("<q", x) for x in ne)
            out += struct.pack("<IQ", typ, o)
        out += b"\0" * ((-len(out)) % self.align)
        for name, ne, typ, data in self.tensors:
            out += data + b"\0" * ((-len(data)) % self.align)
        return out


def f32s(vals):
    return struct.pack("<%df" % len(vals), *vals)


def mini_llama(n_embd=32, n_ff=64, n_head=2, n_vocab=300, n_layer=1, arch="llama", n_ctx=64):
    """A complete tiny model (SentencePiece vocabulary, F32 weights) the engine can load."""
    w = Writer()
    w.add("general.architecture", STR, arch)
    for k, v in [("block_count", n_layer), ("embedding_length", n_embd), ("feed_forward_length", n_ff),
                 ("attention.head_count", n_head), ("attention.head_count_kv", n_head), ("context_length", n_ctx)]:
        w.add(arch + "." + k, U32, v)
    w.add(arch + ".attention.layer_norm_rms_epsilon", F32, 1e-5)
    toks = ["<unk>", "<s>", "</s>"] + ["<0x%02X>" % b for b in range(256)]
    toks += ["\u2581", "a", "b", "\u2581a", "ab"] + ["t%d" % i for i in range(n_vocab - len(toks) - 5)]
    w.add("tokenizer.ggml.model", STR, "llama")
    w.add("tokenizer.ggml.tokens", ARR, (STR, toks))
    w.add("tokenizer.ggml.scores", ARR, (F32, [-float(i) for i in range(len(toks))]))
    w.add("tokenizer.ggml.token_type", ARR, (I32, [2, 3, 3] + [6] * 256 + [1] * (len(toks) - 259)))
    hd = n_embd // n_head

    def mat(name, cols, rows):
        w.tensor(name, [cols, rows], 0, f32s([((i * 7) % 13 - 6) / 50.0 for i in range(cols * rows)]))

    mat("token_embd.weight", n_embd, len(toks))
    w.tensor("output_norm.weight", [n_embd], 0, f32s([1.0] * n_embd))
    for i in range(n_layer):
        p = "blk.%d." % i
        w.tensor(p + "attn_norm.weight", [n_embd], 0, f32s([1.0] * n_embd))
        mat(p + "attn_q.weight", n_embd, n_head * hd)
        mat(p + "attn_k.weight", n_embd, n_head * hd)
        mat(p + "attn_v.weight", n_embd, n_head * hd)
        mat(p + "attn_output.weight", n_head * hd, n_embd)
        if arch == "qwen3":
            w.tensor(p + "attn_q_norm.weight", [hd], 0, f32s([1.0] * hd))
            w.tensor(p + "attn_k_norm.weight", [hd], 0, f32s([1.0] * hd))
        w.tensor(p + "ffn_norm.weight", [n_embd], 0, f32s([1.0] * n_embd))
        mat(p + "ffn_gate.weight", n_embd, n_ff)
        mat(p + "ffn_up.weight", n_embd, n_ff)
        mat(p + "ffn_down.weight", n_ff, n_embd)
    return w


def every_type():
    """Metadata of every value type and a tensor of each engine weight type."""
    w = Writer(align=64)
    for i, (t, v) in enumerate([(U8, 200), (I8, -5), (U16, 60000), (I16, -300), (U32, 4000000000), (I32, -7),
                                (F32, 0.5), (BOOL, True), (STR, "héllo"), (U64, 2 ** 63), (I64, -2 ** 40),
                                (F64, 2.5), (ARR, (STR, ["a", "bc"])), (ARR, (ARR, [(U8, [1, 2]), (F32, [1.0])]))]):
        w.add("k%d" % i, t, v)
    w.tensor("a.f32", [4, 2], 0, f32s([1, 2, 3, 4, 5, 6, 7, 8]))
    w.tensor("a.f16", [4], 1, struct.pack("<4e", 1.0, -2.0, 0.5, 65504.0))
    w.tensor("a.bf16", [2], 30, struct.pack("<2H", 0x3F80, 0xC000))
    w.tensor("a.q8_0", [32], 8, struct.pack("<e", 0.25) + bytes(range(32)))
    w.tensor("a.q4_k", [256], 12, struct.pack("<2e", 0.25, 0.125) + bytes((7 * i) % 256 for i in range(140)))
    w.tensor("a.q5_k", [256], 13, struct.pack("<2e", 0.25, 0.125) + bytes((5 * i) % 256 for i in range(172)))
    w.tensor("a.q6_k", [256], 14, bytes((3 * i) % 256 for i in range(208)) + struct.pack("<e", 0.5))
    w.tensor("a.q4_0", [32], 2, struct.pack("<e", -0.25) + bytes((11 * i) % 256 for i in range(16)))
    w.tensor("a.q4_1", [32], 3, struct.pack("<2e", 0.25, -1.0) + bytes((13 * i) % 256 for i in range(16)))
    w.tensor("a.q5_0", [32], 6, struct.pack("<e", 0.5) + bytes((17 * i) % 256 for i in range(20)))
    w.tensor("a.q5_1", [32], 7, struct.pack("<2e", 0.5, 2.0) + bytes((19 * i) % 256 for i in range(20)))
    return w


if __name__ == "__main__":
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    files = {"every_type.gguf": every_type().bytes(), "mini_llama.gguf": mini_llama(16, 32, 2, 270).bytes(),
             "mini_qwen3.gguf": mini_llama(16, 32, 2, 265, arch="qwen3").bytes(),
             "empty.gguf": Writer().bytes()}
    for name, data in files.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
        print(name, len(data))
