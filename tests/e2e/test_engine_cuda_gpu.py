"""End-to-end on a GPU: `infertrace engine run --backend cuda` against the CPU backend.
Every mode gives the CPU backend's greedy tokens (32 steps) on the tiny presets in F32, F16 and
BF16, reports the kernels per decode step that the launch model predicts (graph: 1 host launch),
and a batch of 4 sequences gives every sequence the tokens of a batch of one. Exits 77 (skipped)
where no GPU is usable (the no-GPU paths are test_engine_cuda_cli.py's)."""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from _harness import EXE, check, failures, run  # noqa: E402,F401


has_gpu = os.path.exists("/proc/driver/nvidia/version") and os.path.exists("/dev/nvidiactl")
gpu_ok = False
with tempfile.TemporaryDirectory() as tmp:
    models = {}
    for preset, dtype in [(p, d) for p in ["tiny-qwen3", "tiny-llama"] for d in ["f32", "f16", "bf16"]]:
        path = os.path.join(tmp, "%s-%s.gguf" % (preset, dtype))
        r = run("model", "synth", "--preset", preset, "--dtype", dtype, "--seed", "3", "-o", path)
        check(r.returncode == 0, "synth %s %s: %s" % (preset, dtype, r.stderr))
        models[(preset, dtype)] = path
    m = models[("tiny-qwen3", "f16")]
    base = ["engine", "run", "-m", m, "--prompt-tokens", "6", "-n", "8", "--ignore-eos", "--json"]

    r = run(*base, "--backend", "cuda")
    if r.returncode != 0:
        check(not has_gpu, "engine run --backend cuda failed on a machine with a GPU driver: %s" % r.stderr)
    else:
        gpu_ok = True
        for (preset, dtype), path in models.items():
            args = ["engine", "run", "-m", path, "--prompt-tokens", "6", "-n", "32", "--ignore-eos", "--json"]
            cpu = run(*args, "-t", "2")
            check(cpu.returncode == 0, "cpu %s %s: %s" % (preset, dtype, cpu.stderr))
            want = json.loads(cpu.stdout)["output_ids"]
            for mode in ["eager", "fused", "graph"]:
                g = run(*args, "--backend", "cuda", "--mode", mode)
                check(g.returncode == 0, "cuda %s %s %s: %s" % (mode, preset, dtype, g.stderr))
                if g.returncode != 0:
                    continue
                j = json.loads(g.stdout)
                check(j["backend"] == "cuda" and j["mode"] == mode, "json backend/mode")
                check(j["output_ids"] == want, "%s %s %s: cuda %s, cpu %s" % (mode, preset, dtype, j["output_ids"], want))
                check(j["kernels_per_decode_step"] == j["predicted_kernels_per_decode_step"],
                      "%s: kernels %s, model %s" % (mode, j["kernels_per_decode_step"],
                                                    j["predicted_kernels_per_decode_step"]))
                check(j["launches_per_decode_step"] == (1 if mode == "graph" else j["kernels_per_decode_step"]),
                      "%s: host launches %s" % (mode, j["launches_per_decode_step"]))
                check(j["tg_tokens_per_second"] > 0, "tg > 0")
        for mode in ["eager", "graph"]:
            b = run(*base, "--backend", "cuda", "--mode", mode, "--batch", "4")
            one = run(*base, "--backend", "cuda", "--mode", mode)
            check(b.returncode == 0 and one.returncode == 0, "batch 4 %s: %s" % (mode, b.stderr))
            if b.returncode == 0 and one.returncode == 0:
                jb, j1 = json.loads(b.stdout), json.loads(one.stdout)
                check(jb["n_seq"] == 4 and jb["sequences_identical"], "batch 4: sequences identical")
                check(jb["output_ids"] == j1["output_ids"], "batch 4 %s: %s vs %s" % (mode, jb["output_ids"],
                                                                                       j1["output_ids"]))
        t = run("engine", "run", "-m", m, "--prompt-tokens", "6", "-n", "4", "--backend", "cuda", "--mode", "eager")
        check(t.returncode == 0 and "launches per decode step" in t.stdout, "text output: %r" % t.stdout[-300:])

if failures:
    sys.exit(1)
if not gpu_ok:
    print("skipped: no usable GPU")
    sys.exit(77)
print("ok")
