"""Writes a Kineto-format trace shaped like the reference engine's eager decode of qwen3-0.6b
(a prefill, then STEPS decode steps of 1,851 kernels each with the engine's eager kernel order:
28 layers of 66 kernels plus embedding, final norm and output product; a logits copy and a
stream sync after each step) as OUT_DIR/eager_trace.json, plus the `engine run --json`-like documents `fusion --decode-window
--measured` reads. Synthetic: every launch costs the same and the tokens/s in the documents are
placeholders, so the outputs of the analysis mean nothing; the file exists to time GPU check
part 50's analysis on the CPU (docs/benchmarks.md, "Fusion closed loop").
Usage: python3 bench/eager_decode_trace.py OUT_DIR [STEPS]"""
import json
import os
import sys

EVERY, CALL, START = 3_000, 2_000, 2_500  # ns: launch period, call duration, call entry -> kernel start
N_LAYER, N_HEAD, N_HEAD_KV = 28, 16, 8


def step_kernels():
    heads = N_HEAD + N_HEAD_KV
    layer = (["rms_norm", "matvec", "matvec", "matvec"] + ["qk_norm_head"] * heads + ["rope_head"] * heads +
             ["kv_store", "kv_store", "attn_scores", "softmax", "attn_values", "matvec", "add", "rms_norm", "matvec",
              "matvec", "silu", "mul", "matvec", "add"])
    assert len(layer) == 18 + 2 * heads
    return ["embedding"] + layer * N_LAYER + ["rms_norm", "matvec"]


def main():
    # Without a directory, or with an option, print the usage: `--help` was taken for OUT_DIR and
    # a directory of that name was written with a 32 MB trace.
    if len(sys.argv) not in (2, 3) or sys.argv[1].startswith("-") or (len(sys.argv) == 3 and not sys.argv[2].isdigit()):
        print(__doc__.split("Usage: ")[1], file=sys.stderr)
        sys.exit(0 if len(sys.argv) > 1 and sys.argv[1] in ("-h", "--help") else 2)
    out, steps = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 64
    os.makedirs(out, exist_ok=True)
    ev, corr, t = [], [1], 1_000_000_000

    def us(ns):
        return "%d.%03d" % (ns // 1000, ns % 1000)

    def call(name, start, end, c=None):
        args = {} if c is None else {"correlation": c}
        ev.append('{"ph":"X","cat":"cuda_runtime","name":"%s","pid":1,"tid":1,"ts":%s,"dur":%s,"args":%s}'
                  % (name, us(start), us(end - start), json.dumps(args)))

    def gpu(cat, name, start, dur, c):
        ev.append('{"ph":"X","cat":"%s","name":"%s","pid":0,"tid":7,"ts":%s,"dur":%s,'
                  '"args":{"correlation":%d,"device":0,"stream":7}}' % (cat, name, us(start), us(dur), c))

    def launch(name):
        nonlocal t
        c = corr[0]
        corr[0] += 1
        call("cudaLaunchKernel", t, t + CALL, c)
        gpu("kernel", name, t + START, 2_000 if name == "matvec" else 1_000, c)
        t += EVERY

    def copy_and_sync():
        nonlocal t
        c = corr[0]
        corr[0] += 1
        call("cudaMemcpyAsync", t, t + CALL, c)
        gpu("gpu_memcpy", "Memcpy DtoH", t + START, 50_000, c)
        call("cudaStreamSynchronize", t + CALL, t + START + 50_500)
        t += START + 50_500 + 100_000  # then sampling on the host

    for _ in range(8):
        launch("gemm_prefill")
    copy_and_sync()
    start = t - 500
    kernels = step_kernels()
    for _ in range(steps):
        for k in kernels:
            launch(k)
        copy_and_sync()
    with open(os.path.join(out, "eager_trace.json"), "w") as f:
        f.write('{"traceEvents":[\n' + ",\n".join(ev) + "\n]}\n")
    n = len(kernels)
    for mode, launches, k in (("eager_rec", n, n), ("eager", n, n), ("fused", 227, 227), ("graph", 1, 227)):
        doc = {"schema_version": 1, "backend": "cuda", "mode": mode.replace("_rec", ""), "n_seq": 1,
               "n_decode_evals": steps, "tg_tokens_per_second": 1.0, "launches_per_decode_step": launches,
               "kernels_per_decode_step": k, "decode_window_ns": {"start": start, "end": t}}
        with open(os.path.join(out, mode + ".json"), "w") as f:
            json.dump(doc, f)
    print("%d steps x %d kernels -> %s" % (steps, n, out))


main()
