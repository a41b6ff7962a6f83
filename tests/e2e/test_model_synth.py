"""End-to-end: `infertrace model synth|info|tokenize` checked with an independent Python GGUF
parser (_gguf.py): exact tensor names and shapes per preset, alignment, weight statistics, the
--json output, and clean errors (exit 1 with file + byte offset, exit 2 for usage)."""
import json
import math
import re
import os
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import _gguf  # noqa: E402

from _harness import EXE, check, failures, run  # noqa: E402,F401


def expected_tensors(layers, d, q, kv, ff, vocab, qk_norm, head_dim, tied, qkv_bias=False):
    t = {"token_embd.weight": [d, vocab], "output_norm.weight": [d]}
    if not tied:
        t["output.weight"] = [d, vocab]
    for i in range(layers):
        p = "blk.%d." % i
        t.update({p + "attn_norm.weight": [d], p + "attn_q.weight": [d, q], p + "attn_k.weight": [d, kv],
                  p + "attn_v.weight": [d, kv], p + "attn_output.weight": [q, d], p + "ffn_norm.weight": [d],
                  p + "ffn_gate.weight": [d, ff], p + "ffn_up.weight": [d, ff], p + "ffn_down.weight": [ff, d]})
        if qk_norm:
            t[p + "attn_q_norm.weight"] = [head_dim]
            t[p + "attn_k_norm.weight"] = [head_dim]
        if qkv_bias:
            t.update({p + "attn_q.bias": [q], p + "attn_k.bias": [kv], p + "attn_v.bias": [kv]})
    return t



def same_tokens_as_f32_rewrite(src):
    """The quantized file and its F32 rewrite by the Python decoders (bench/gguf_to_f32.py) give
    `engine run` the same 16 greedy tokens. The prompt is computed in F32 (--prompt-math f32): int8
    activations, the default for Q8_0 and K-quant prompts on AVX-512 VNNI CPUs, would part the
    tokens by their own rounding, not by a decoder's fault."""
    to_f32 = os.path.join(os.environ["INFERTRACE_SOURCE_DIR"], "bench", "gguf_to_f32.py")
    dst = src + ".f32.gguf"
    c = subprocess.run([sys.executable, to_f32, src, dst], capture_output=True, text=True)
    check(c.returncode == 0, "gguf_to_f32 %s: %s" % (src, c.stderr))
    ids = []
    for f in (src, dst):
        r = run("engine", "run", "-m", f, "--prompt-tokens", "8", "-n", "16", "--ignore-eos", "--json",
                "--prompt-math", "f32")
        ids.append(json.loads(r.stdout)["output_ids"] if r.returncode == 0 else r.stderr)
    check(ids[0] == ids[1], "%s: quantized %s, decoded to f32 %s" % (os.path.basename(src), ids[0], ids[1]))

with tempfile.TemporaryDirectory() as tmp:
    # The tiny presets' shapes, restated here from docs/engine.md.
    cases = [("tiny-llama", "q8_0", 8, "llama", dict(layers=2, d=128, q=128, kv=64, ff=256, vocab=1024,
                                                    qk_norm=False, head_dim=32, tied=True)),
             ("tiny-qwen3", "f16", 1, "qwen3", dict(layers=2, d=128, q=256, kv=128, ff=384, vocab=1024,
                                                   qk_norm=True, head_dim=64, tied=False)),
             ("tiny-qwen2", "f16", 1, "qwen2", dict(layers=2, d=128, q=256, kv=128, ff=384, vocab=1024,
                                                   qk_norm=False, head_dim=64, tied=True, qkv_bias=True))]
    for preset, dtype, type_id, arch, shape in cases:
        path = os.path.join(tmp, preset + ".gguf")
        r = run("model", "synth", "--preset", preset, "--dtype", dtype, "--seed", "3", "-o", path, "--json")
        check(r.returncode == 0, "%s synth exit %d: %s" % (preset, r.returncode, r.stderr))
        res = json.loads(r.stdout)
        data = open(path, "rb").read()
        check(res["file_bytes"] == len(data), "%s: file_bytes %d vs %d on disk" % (preset, res["file_bytes"], len(data)))
        version, align, kv, tensors, data_off = _gguf.parse(data)
        # --json's counts and rate, recomputed from the file: every element of every tensor (the norm
        # vectors too), the tensors, the file's bytes over the seconds the command took.
        check(res["n_params"] == sum(math.prod(t["ne"]) for t in tensors) and res["n_tensors"] == len(tensors),
              "%s: n_params %d, n_tensors %d" % (preset, res["n_params"], res["n_tensors"]))
        check(abs(res["write_bytes_per_second"] * res["seconds"] - len(data)) <= 1e-6 * len(data),
              "%s: write rate %r over %r s" % (preset, res["write_bytes_per_second"], res["seconds"]))
        check(version == 3 and align == 64, "%s: version %d alignment %d" % (preset, version, align))
        check(kv["general.architecture"][1] == arch, preset + ": architecture")
        check(kv[arch + ".block_count"][1] == shape["layers"], preset + ": block_count")
        check(kv[arch + ".embedding_length"][1] == shape["d"], preset + ": embedding_length")
        check(kv[arch + ".feed_forward_length"][1] == shape["ff"], preset + ": feed_forward_length")
        check(kv[arch + ".attention.key_length"][1] == shape["head_dim"], preset + ": key_length")
        check(kv["tokenizer.ggml.model"][1] == "llama", preset + ": tokenizer model")
        toks = kv["tokenizer.ggml.tokens"][1][1]
        check(len(toks) == shape["vocab"] and len(set(toks)) == len(toks), preset + ": vocabulary size/uniqueness")
        check(toks[kv["tokenizer.ggml.bos_token_id"][1]] == "<s>", preset + ": bos is <s>")
        got = {t["name"]: t["ne"] for t in tensors}
        want = expected_tensors(**shape)
        check(got == want, "%s: tensors differ: %s" % (preset, sorted(set(got.items()) ^ set(want.items())) if False else
                                                        [k for k in set(got) | set(want) if got.get(k) != want.get(k)]))
        for t in tensors:
            check((data_off + t["offset"]) % 64 == 0, "%s: %s not 64-byte aligned" % (preset, t["name"]))
            want_type = 0 if len(t["ne"]) == 1 else type_id
            check(t["type"] == want_type, "%s: %s type %d" % (preset, t["name"], t["type"]))
            if t["name"].endswith(".bias"):
                # qwen2's biases: random (stddev 0.5, docs/engine.md), so a forward without them differs
                vals = struct.unpack("<%df" % t["ne"][0], t["data"])
                rms = math.sqrt(sum(v * v for v in vals) / len(vals))
                check(abs(rms - 0.5) < 0.1 and len(set(vals)) > len(vals) // 2, "%s: %s rms %.3f" % (preset, t["name"], rms))
            elif len(t["ne"]) == 1:
                vals = struct.unpack("<%df" % t["ne"][0], t["data"])
                check(all(v == 1.0 for v in vals), "%s: %s not all ones" % (preset, t["name"]))
        # Weight statistics of one matrix, decoded here: std close to 1/sqrt(fan_in), all finite,
        # bounded by the generator's +-sqrt(12)/sqrt(fan_in).
        t = next(t for t in tensors if t["name"] == "blk.0.ffn_up.weight")
        fan_in = t["ne"][0]
        if dtype == "q8_0":
            vals = []
            for b in range(0, len(t["data"]), 34):
                vals += _gguf.dequant_q8_0_block(t["data"][b:b + 34])
        else:
            vals = [_gguf.half(h) for h in struct.unpack("<%dH" % (len(t["data"]) // 2), t["data"])]
        n = len(vals)
        mean = sum(vals) / n
        sd = math.sqrt(sum((v - mean) ** 2 for v in vals) / n)
        check(abs(sd * math.sqrt(fan_in) - 1.0) < 0.03, "%s: weight std %.4f, want %.4f" % (preset, sd, 1 / math.sqrt(fan_in)))
        check(max(abs(v) for v in vals) <= math.sqrt(12) / math.sqrt(fan_in) * 1.01, preset + ": weights out of bounds")

        # model info --json agrees with the independent parse.
        r = run("model", "info", path, "--json")
        check(r.returncode == 0, preset + ": info exit %d %s" % (r.returncode, r.stderr))
        info = json.loads(r.stdout)
        check([t["name"] for t in info["tensors"]] == [t["name"] for t in tensors], preset + ": info tensor order")
        check([t["offset"] for t in info["tensors"]] == [data_off + t["offset"] for t in tensors], preset + ": info offsets")
        check(info["model"]["n_layer"] == shape["layers"] and info["model"]["tied_output"] == shape["tied"]
              and info["model"]["architecture"] == arch, preset + ": info model section")
        r = run("model", "info", path)
        check(r.returncode == 0 and ("\nmodel: %s, 2 layers" % arch) in r.stdout, preset + ": info text %r" % r.stdout[:300])
        check("model_error" not in info, preset + ": info reports an error: %s" % info.get("model_error"))
        check(info["tensor_bytes"] == sum(len(t["data"]) for t in tensors) and info["data_offset"] == data_off
              and info["file_bytes"] == len(data) and info["alignment"] == 64,
              "%s: info sizes %r" % (preset, {k: info[k] for k in ("tensor_bytes", "data_offset", "file_bytes", "alignment")}))

        # The file's own tokenizer round-trips text.
        text = "Hello world, the model is fast! ünïcode 123"
        r = run("model", "tokenize", "-m", path, "-p", text, "--json")
        tok = json.loads(r.stdout)
        check(tok["decoded"] == text, preset + ": tokenize round trip gave %r" % tok["decoded"])
        check(tok["ids"][0] == kv["tokenizer.ggml.bos_token_id"][1], preset + ": first token is bos")
        check([toks[i] for i in tok["ids"]] == tok["pieces"], preset + ": pieces match the vocabulary")
        # --batch: the same ids for each string of a JSON array, in one process.
        batch = os.path.join(tmp, "batch.json")
        with open(batch, "w") as f:
            json.dump([text, "", "a b"], f)
        r = run("model", "tokenize", "-m", path, "--batch", batch)
        out = json.loads(r.stdout)
        check(len(out) == 3 and out[0]["ids"] == tok["ids"], preset + ": --batch ids %r" % out[:1])
        check(out[0]["detokenized"] == tok["detokenized"], preset + ": --batch detokenized")
        check(out[1]["ids"] == [kv["tokenizer.ggml.bos_token_id"][1]], preset + ": --batch empty string")
        r = run("model", "synth", "--preset", preset, "-t", "-1", "-o", os.path.join(tmp, "neg.gguf"))
        check(r.returncode == 2 and "-t must be" in r.stderr and not os.path.exists(os.path.join(tmp, "neg.gguf")),
              preset + ": synth -t -1 is a usage error (it meant all CPUs): %d %s" % (r.returncode, r.stderr))
        r = run("model", "tokenize", "-m", path)
        check(r.returncode == 2 and "--batch" in r.stderr, preset + ": tokenize without text: %d %s" % (r.returncode, r.stderr))
        # A --batch file that is missing or a directory is an input error naming it (exit 1, as a
        # missing -m): it was a usage error, and a directory "basic_filebuf::underflow error".
        for bad, says in ((os.path.join(tmp, "absent.json"), "cannot open"), (tmp, "is a directory")):
            r = run("model", "tokenize", "-m", path, "--batch", bad)
            check(r.returncode == 1 and (bad + ": --batch: " + says) in r.stderr,
                  preset + ": --batch %s: %d %s" % (bad, r.returncode, r.stderr.strip()))

    # Q4_K_M: llama.cpp's tensor types (Q6_K for the tied output/token_embd and for attn_v and
    # ffn_down of layer 1 = use_more_bits(1, 2); Q4_K elsewhere), file_type 15, and the weights
    # decoded here from the K-quant layouts have the generator's statistics.
    path = os.path.join(tmp, "k.gguf")
    r = run("model", "synth", "--preset", "tiny-llama-k", "--dtype", "q4_k_m", "--seed", "3", "-o", path)
    check(r.returncode == 0, "q4_k_m synth: %s" % r.stderr)
    # The time in the unit that fits, as every verb prints a duration (review UX L8: "in 0.0548408 s").
    check(re.search(r" in [0-9.]+ (ns|us|ms|s) \(", r.stdout) is not None and not re.search(r" in \d\.\d{5,} s", r.stdout),
          "synth time %r" % r.stdout)
    version, align, kv, tensors, data_off = _gguf.parse(open(path, "rb").read())
    check(kv["general.file_type"][1] == 15, "q4_k_m file_type %r" % (kv["general.file_type"],))
    for t in tensors:
        if len(t["ne"]) == 1:
            want = 0
        elif t["name"] in ("token_embd.weight", "blk.1.attn_v.weight", "blk.1.ffn_down.weight"):
            want = 14
        else:
            want = 12
        check(t["type"] == want, "q4_k_m: %s type %d, want %d" % (t["name"], t["type"], want))
    for name, decode, nb in [("blk.0.ffn_up.weight", _gguf.dequant_q4_k_block, 144),
                             ("blk.1.ffn_down.weight", _gguf.dequant_q6_k_block, 210)]:
        t = next(t for t in tensors if t["name"] == name)
        vals = [v for b in range(0, len(t["data"]), nb) for v in decode(t["data"][b:b + nb])]
        fan_in = t["ne"][0]
        sd = math.sqrt(sum(v * v for v in vals) / len(vals))
        check(abs(sd * math.sqrt(fan_in) - 1.0) < 0.05, "%s: weight std %.4f, want %.4f" % (name, sd, 1 / math.sqrt(fan_in)))
        check(max(abs(v) for v in vals) <= math.sqrt(12) / math.sqrt(fan_in) * 1.1, name + ": weights out of bounds")
    # Q5_K_M: Q5_K where Q4_K_M has Q4_K; its fifth bits decoded here too.
    path5 = os.path.join(tmp, "k5.gguf")
    r = run("model", "synth", "--preset", "tiny-llama-k", "--dtype", "q5_k_m", "--seed", "3", "-o", path5)
    check(r.returncode == 0, "q5_k_m synth: %s" % r.stderr)
    if r.returncode == 0:
        version, align, kv5, tensors5, data_off5 = _gguf.parse(open(path5, "rb").read())
        t = next(t for t in tensors5 if t["name"] == "blk.0.ffn_up.weight")
        check(t["type"] == 13 and kv5["general.file_type"][1] == 17, "q5_k_m: ffn_up type %d" % t["type"])
        vals = [v for b in range(0, len(t["data"]), 176) for v in _gguf.dequant_q5_k_block(t["data"][b:b + 176])]
        fan_in = t["ne"][0]
        sd = math.sqrt(sum(v * v for v in vals) / len(vals))
        check(abs(sd * math.sqrt(fan_in) - 1.0) < 0.05, "q5_k ffn_up: weight std %.4f, want %.4f" % (sd, 1 / math.sqrt(fan_in)))
        check(max(abs(v) for v in vals) <= math.sqrt(12) / math.sqrt(fan_in) * 1.1, "q5_k ffn_up: weights out of bounds")
    # The whole files against the Python decoders: every quantized tensor decoded to F32 here
    # (bench/gguf_to_f32.py) gives the engine the same 16 greedy tokens as the quantized file (a
    # wrong bit in any decoder changes them: checked by flipping Q5_K's fifth-bit order).
    for src in (path, path5):
        same_tokens_as_f32_rewrite(src)
    # ggml's 32-value block types: uniform files (tiny-llama, tied: its token_embd is the output,
    # Q6_K whose 128-wide rows fall back to Q8_0) with llama.cpp's file_type, and q4_k_m/q5_k_m
    # on tiny-qwen3, whose 128- and 384-wide rows take llama.cpp's fallbacks (Q4_K -> Q5_0,
    # Q5_K -> Q5_1, Q6_K -> Q8_0) next to Q4_K/Q5_K for the 256-wide attn_output: the expected
    # type of every tensor is worked out here from those rules. Each file decoded to F32 by the
    # Python decoders gives the engine the same greedy tokens as the quantized file.
    legacy = {"q4_0": (2, 2), "q4_1": (3, 3), "q5_0": (6, 8), "q5_1": (7, 9)}  # type id, file_type
    files = []
    for dtype, (tid, ftype) in legacy.items():
        p = os.path.join(tmp, dtype + ".gguf")
        r = run("model", "synth", "--preset", "tiny-llama", "--dtype", dtype, "--seed", "5", "-o", p)
        check(r.returncode == 0, "%s synth: %s" % (dtype, r.stderr))
        if r.returncode:
            continue
        _, _, kvl, tl, _ = _gguf.parse(open(p, "rb").read())
        check(kvl["general.file_type"][1] == ftype, "%s file_type %r" % (dtype, kvl["general.file_type"]))
        for t in tl:
            want = 0 if len(t["ne"]) == 1 else 8 if t["name"] == "token_embd.weight" else tid
            check(t["type"] == want, "%s: %s type %d, want %d" % (dtype, t["name"], t["type"], want))
        t = next(t for t in tl if t["name"] == "blk.0.ffn_up.weight")
        vals = [v for b in range(0, len(t["data"]), _gguf.GGML[tid][2])
                for v in _gguf.dequant_legacy_block(t["data"][b:b + _gguf.GGML[tid][2]], tid)]
        sd = math.sqrt(sum(v * v for v in vals) / len(vals))
        check(abs(sd * math.sqrt(t["ne"][0]) - 1.0) < 0.06, "%s ffn_up: weight std %.4f" % (dtype, sd))
        files.append(p)
    for dtype, base, fb in (("q4_k_m", 12, 6), ("q5_k_m", 13, 7)):
        p = os.path.join(tmp, "qwen3-" + dtype + ".gguf")
        r = run("model", "synth", "--preset", "tiny-qwen3", "--dtype", dtype, "--seed", "5", "-o", p)
        check(r.returncode == 0, "tiny-qwen3 %s synth: %s" % (dtype, r.stderr))
        if r.returncode:
            continue
        _, _, kvq, tq, _ = _gguf.parse(open(p, "rb").read())
        for t in tq:
            n, cols = t["name"], t["ne"][0]
            six = n == "output.weight" or n in ("blk.1.attn_v.weight", "blk.1.ffn_down.weight")  # use_more_bits(1, 2)
            want = 0 if len(t["ne"]) == 1 else (14 if six else base) if cols % 256 == 0 else (8 if six else fb)
            check(t["type"] == want, "tiny-qwen3 %s: %s (%d wide) type %d, want %d" % (dtype, n, cols, t["type"], want))
        files.append(p)
    # Counted by hand for tiny-qwen3 q4_k_m: Q5_0 = token_embd + 6 matrices of layer 0 + q, k,
    # gate, up of layer 1; Q8_0 = output + layer 1's attn_v, ffn_down; Q4_K = the two attn_output;
    # F32 = output_norm + 4 norms per layer.
    r = run("model", "info", os.path.join(tmp, "qwen3-q4_k_m.gguf"))
    check("tensor types: 11 q5_0, 9 f32, 3 q8_0, 2 q4_K\n" in r.stdout, "model info type counts: %s" % r.stdout[:400])
    for src in files:
        same_tokens_as_f32_rewrite(src)

    r = run("model", "info", path, "--json")
    info = json.loads(r.stdout)
    check(r.returncode == 0 and "model_error" not in info, "q4_k_m info: %d %s" % (r.returncode, info.get("model_error")))
    check(sorted({t["type"] for t in info["tensors"]}) == ["f32", "q4_K", "q6_K"], "q4_k_m info types")
    r = run("engine", "run", "-m", path, "--prompt-tokens", "4", "-n", "4", "--ignore-eos", "--json")
    check(r.returncode == 0 and len(json.loads(r.stdout)["output_ids"]) == 4, "q4_k_m engine run: %s" % r.stderr)

    # Same seed, same bytes; the file never depends on the thread count.
    a, b = os.path.join(tmp, "a.gguf"), os.path.join(tmp, "b.gguf")
    run("model", "synth", "--preset", "tiny", "--dtype", "bf16", "-t", "1", "-o", a)
    run("model", "synth", "--preset", "tiny", "--dtype", "bf16", "-t", "2", "-o", b)
    check(open(a, "rb").read() == open(b, "rb").read(), "synth output depends on the thread count")

    # Bad input: truncated file -> exit 1 naming file and byte offset.
    trunc = os.path.join(tmp, "trunc.gguf")
    with open(trunc, "wb") as f:
        f.write(open(a, "rb").read()[:5000])
    r = run("model", "info", trunc)
    check(r.returncode == 1 and trunc in r.stderr and "byte" in r.stderr, "truncated: %d %s" % (r.returncode, r.stderr))
    # A model with a wrong tensor shape: info shows why the engine cannot run it.
    w = _gguf.mini_llama(16, 32, 2, 270)
    w.tensors = [(n, [16, 8] if n == "blk.0.attn_k.weight" else ne, t, d[:16 * 8 * 4] if n == "blk.0.attn_k.weight" else d)
                 for n, ne, t, d in w.tensors]
    bad = os.path.join(tmp, "badshape.gguf")
    open(bad, "wb").write(w.bytes())
    r = run("model", "info", bad, "--json")
    err = json.loads(r.stdout).get("model_error", "")
    check("blk.0.attn_k.weight: shape [16, 8], expected [16, 16]" in err, "bad shape message: %r" % err)
    # No tokenizer -> exit 1 saying which key is missing.
    notok = os.path.join(tmp, "notok.gguf")
    w = _gguf.Writer()
    w.add("general.architecture", _gguf.STR, "llama")
    open(notok, "wb").write(w.bytes())
    r = run("model", "tokenize", "-m", notok, "-p", "x")
    check(r.returncode == 1 and "tokenizer.ggml.model" in r.stderr, "no tokenizer: %d %s" % (r.returncode, r.stderr))
    # Usage errors -> exit 2.
    r = run("model", "synth", "--preset", "gpt-9", "-o", os.path.join(tmp, "x.gguf"))
    check(r.returncode == 2 and "tiny" in r.stderr, "unknown preset: %d %s" % (r.returncode, r.stderr))
    r = run("model", "synth", "--preset", "tiny", "--dtype", "q4_k", "-o", os.path.join(tmp, "x.gguf"))
    check(r.returncode == 2, "bad dtype: %d %s" % (r.returncode, r.stderr))

print("%d failures" % len(failures))
sys.exit(1 if failures else 0)
