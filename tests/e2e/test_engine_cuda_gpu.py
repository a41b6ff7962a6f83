"""End-to-end on a GPU: `infertrace engine run --backend cuda` against the CPU backend.
Every mode gives the CPU backend's greedy tokens (32 steps) on the tiny presets in F32, F16 and
BF16, reports the kernels per decode step that the launch model predicts (graph: 1 host launch),
and a batch of 4 sequences gives every sequence the tokens of a batch of one. The roofline fields
(--roofline-gbs, --measure-roofline) are recomputed from the file's tensor sizes (`model info`) and
the definition in docs/engine-cuda.md. Exits 77 (skipped)
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

        # Roofline: weights from the file's tensor table (tied tiny-llama: the whole table; untied
        # tiny-qwen3: the embedding replaced by one row per sequence), KV F32 over the mean positions.
        for preset, n_seq in [("tiny-llama", 1), ("tiny-qwen3", 3)]:
            info = json.loads(run("model", "info", models[(preset, "f16")], "--json").stdout)
            mc = info["model"]
            weights = 0
            for tt in info["tensors"]:
                untied_embd = tt["name"] == "token_embd.weight" and not mc["tied_output"]
                weights += n_seq * tt["bytes"] // tt["ne"][1] if untied_embd else tt["bytes"]
            g = run("engine", "run", "-m", models[(preset, "f16")], "--prompt-tokens", "6", "-n", "9", "--ignore-eos",
                    "--json", "--backend", "cuda", "--mode", "graph", "--batch", str(n_seq), "--roofline-gbs", "1000")
            check(g.returncode == 0, "roofline %s: %s" % (preset, g.stderr))
            if g.returncode == 0:
                j = json.loads(g.stdout)
                positions = 6 + (8 + 1) / 2  # 8 decode evals after a 6-token prompt
                kv = positions * mc["n_layer"] * 2 * mc["n_head_kv"] * mc["head_dim"] * 4
                per_token = (weights + n_seq * kv) / n_seq
                check(j["decode_weight_bytes_per_step"] == weights, "%s: weights %s vs %s from the file" %
                      (preset, j["decode_weight_bytes_per_step"], weights))
                check(abs(j["decode_bytes_per_token"] - per_token) < 1e-6 * per_token, "%s: bytes per token" % preset)
                rf = j["roofline"]
                check(rf and rf["read_gbs"] == 1000 and rf["source"] == "given", "%s: roofline %s" % (preset, rf))
                if rf:
                    check(abs(rf["tg_fraction"] - j["tg_tokens_per_second"] * per_token / 1e12) < 1e-6, "tg_fraction")
        mr = run("engine", "run", "-m", m, "--prompt-tokens", "6", "-n", "4", "--backend", "cuda", "--ignore-eos",
                 "--measure-roofline")
        check(mr.returncode == 0 and "roofline:" in mr.stdout and "measured" in mr.stdout, "--measure-roofline: %r %r" %
              (mr.stdout[-300:], mr.stderr[-300:]))

if failures:
    sys.exit(1)
if not gpu_ok:
    print("skipped: no usable GPU")
    sys.exit(77)
print("ok")
