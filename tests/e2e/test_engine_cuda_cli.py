"""End-to-end: `infertrace engine run --backend cuda`, what runs on every machine.
Option checks (exit 2: an unknown mode or backend, --mode/--batch on the cpu backend, cpu-only
options on the cuda backend, --batch out of range), Q8_0 and Q4_K_M models and qwen2 (q/k/v biases)
refused with "not supported on the cuda backend" (exit 1, checked on the host before any device work) and, without a GPU, a clear
error (exit 1, nothing on stdout). The GPU checks are in test_engine_cuda_gpu.py."""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from _harness import EXE, check, failures, run  # noqa: E402,F401


has_gpu = os.path.exists("/proc/driver/nvidia/version") and os.path.exists("/dev/nvidiactl")
with tempfile.TemporaryDirectory() as tmp:
    models = {}
    for preset, dtype in [("tiny-qwen3", "f16"), ("tiny-llama", "q8_0"), ("tiny-llama-k", "q4_k_m"), ("tiny-qwen2", "f16")]:
        path = os.path.join(tmp, "%s-%s.gguf" % (preset, dtype))
        r = run("model", "synth", "--preset", preset, "--dtype", dtype, "--seed", "3", "-o", path)
        check(r.returncode == 0, "synth %s %s: %s" % (preset, dtype, r.stderr))
        models[(preset, dtype)] = path
    m = models[("tiny-qwen3", "f16")]
    base = ["engine", "run", "-m", m, "--prompt-tokens", "6", "-n", "8", "--ignore-eos", "--json"]

    # Usage errors: exit 2, before the model is even opened.
    for extra, want in [(["--backend", "cuda", "--mode", "turbo"], "--mode"),
                        (["--backend", "tpu"], "--backend"),
                        (["--mode", "fused"], "--backend cuda"),
                        (["--batch", "4"], "--backend cuda"),
                        (["--backend", "cuda", "--batch", "0"], "--batch"),
                        (["--backend", "cuda", "--numa"], "--backend cpu"),
                        (["--backend", "cuda", "-t", "2"], "--backend cpu"),
                        (["--roofline-gbs", "100"], "--backend cuda"),
                        (["--measure-roofline"], "--backend cuda"),
                        (["--backend", "cuda", "--roofline-gbs", "-1"], "--roofline-gbs must be > 0"),
                        (["--backend", "cuda", "--roofline-gbs", "100", "--measure-roofline"], "not both")]:
        r = run(*base, *extra)
        check(r.returncode == 2 and want in r.stderr, "%s: rc %d, stderr %r" % (extra, r.returncode, r.stderr))

    # Q8_0: refused by the cuda backend whatever the machine.
    r = run("engine", "run", "-m", models[("tiny-llama", "q8_0")], "--prompt-tokens", "4", "-n", "2", "--backend", "cuda")
    check(r.returncode == 1 and "not supported on the cuda backend" in r.stderr and r.stdout == "",
          "q8_0: rc %d, stderr %r" % (r.returncode, r.stderr))

    # Q4_K_M: refused naming the type (tied token_embd is Q6_K, the first tensor checked).
    r = run("engine", "run", "-m", models[("tiny-llama-k", "q4_k_m")], "--prompt-tokens", "4", "-n", "2",
            "--backend", "cuda")
    check(r.returncode == 1 and "weight type q6_K, not supported on the cuda backend" in r.stderr and r.stdout == "",
          "q4_k_m: rc %d, stderr %r" % (r.returncode, r.stderr))

    # qwen2 (q/k/v biases): refused naming the architecture, whatever the machine; the cpu backend runs it.
    q2 = models[("tiny-qwen2", "f16")]
    r = run("engine", "run", "-m", q2, "--prompt-tokens", "4", "-n", "2", "--backend", "cuda")
    check(r.returncode == 1 and "architecture qwen2 (biases on the q, k and v products) is not supported on the cuda "
          "backend" in r.stderr and r.stdout == "", "qwen2: rc %d, stderr %r" % (r.returncode, r.stderr))
    r = run("engine", "run", "-m", q2, "--prompt-tokens", "4", "-n", "2")
    check(r.returncode == 0, "qwen2 on the cpu backend: rc %d, stderr %r" % (r.returncode, r.stderr))

    r = run(*base, "--backend", "cuda")
    if r.returncode != 0:
        check(not has_gpu, "engine run --backend cuda failed on a machine with a GPU driver: %s" % r.stderr)
        check(r.returncode == 1, "no GPU: exit %d, expected 1" % r.returncode)
        check(r.stdout == "", "no GPU: something on stdout")
        check("no usable CUDA device" in r.stderr or "no CUDA part" in r.stderr, "no GPU: unclear message %r" % r.stderr)

if failures:
    sys.exit(1)
print("ok" + ("" if r.returncode == 0 else " (no GPU: checked the error path)"))
