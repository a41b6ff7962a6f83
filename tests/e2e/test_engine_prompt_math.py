"""engine run --prompt-math: a prompt's Q8_0, K-quant and Q4_0..Q5_1 products in F32 or int8 arithmetic (docs/engine.md).
Each choice gives the same greedy tokens whatever --ubatch cuts the prompt into (review BP H1: the
int8 path's pieces of 1-2 tokens once took the F32 kernels), the JSON names the choice and the
integer variant it runs (int8_kernels), and a bad
value or the CUDA backend is a usage error."""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import check, failures, refused, run  # noqa: E402


def cpu_flags():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    return set()


# int8_kernels names the integer variant of the run's level (review EN L4), null for f32: one of
# the level's two variants, and avx512-vnni wherever an avx512 run's CPU lists avx512_vnni (always
# built; AVX-VNNI's avx2 variant depends on the compiler, so only the pair is checked for avx2).
LEVEL_VARIANTS = {"scalar": ("scalar",), "avx2": ("avx2", "avx-vnni"), "avx512": ("avx512", "avx512-vnni")}


def check_int8_kernels(j, math, what):
    got = j.get("int8_kernels", "missing")
    if math == "f32":
        check(got is None, "%s --prompt-math f32: int8_kernels %r, expected null" % (what, got))
        return
    check(got in LEVEL_VARIANTS.get(j["isa"], ()), "%s: int8_kernels %r at isa %s" % (what, got, j["isa"]))
    if j["isa"] == "avx512" and "avx512_vnni" in cpu_flags():
        check(got == "avx512-vnni", "%s: int8_kernels %r on a CPU with avx512_vnni" % (what, got))


with tempfile.TemporaryDirectory() as tmp:
    for preset, dtype in (("tiny-llama", "q8_0"), ("tiny-qwen3-k", "q4_k_m"), ("tiny-llama", "q5_1")):
        model = os.path.join(tmp, preset + ".gguf")
        r = run("model", "synth", "--preset", preset, "--dtype", dtype, "--seed", "5", "-o", model)
        check(r.returncode == 0, "model synth %s: %s" % (preset, r.stderr))
        first = {}
        for math in ("f32", "int8", "auto"):
            outs = []
            for ubatch in ("64", "1", "2", "7"):
                r = run("engine", "run", "-m", model, "--prompt-tokens", "24", "-n", "12", "-t", "2", "--ignore-eos",
                        "--json", "--prompt-math", math, "--ubatch", ubatch)
                check(r.returncode == 0, "%s --prompt-math %s --ubatch %s: %s" % (preset, math, ubatch, r.stderr[-300:]))
                if r.returncode != 0:
                    continue
                j = json.loads(r.stdout)
                check(j["prompt_math"] == math, "%s: prompt_math %r" % (preset, j.get("prompt_math")))
                check_int8_kernels(j, math, preset)
                outs.append(j["output_ids"])
            check(all(o == outs[0] for o in outs), "%s --prompt-math %s: tokens depend on --ubatch: %s" % (preset, math, outs))
            first[math] = outs[0] if outs else None
        # The option is read: on these q4_k_m and q5_1 files (seed 5) the int8 and F32 prompts part
        # (int8 is the same on every ISA: integer sums); on q8_0 they happen to agree.
        if dtype in ("q4_k_m", "q5_1"):
            check(first["f32"] != first["int8"], "%s: --prompt-math f32 and int8 gave the same tokens %s" % (preset, first["f32"]))
        # --isa scalar: the scalar variant, whatever the CPU
        r = run("engine", "run", "-m", model, "--prompt-tokens", "4", "-n", "1", "-t", "1", "--json", "--isa", "scalar")
        check(r.returncode == 0 and json.loads(r.stdout).get("int8_kernels") == "scalar",
              "%s --isa scalar: %s" % (preset, r.stdout[-200:] if r.returncode == 0 else r.stderr[-300:]))
        refused(["engine", "run", "-m", model, "-n", "1", "--prompt-math", "int4"], "--prompt-math")
        refused(["engine", "run", "-m", model, "-n", "1", "--backend", "cuda", "--prompt-math", "f32"], "--prompt-math",
                "--backend cpu")

if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("ok")
