"""End-to-end: bench/transformers_decode.py's parts that need no torch (the GPU run is
scripts/gpu_checks.d/45-engine-roofline.sh's). --help works without torch; the transformers config
built from `infertrace model preset qwen3-0.6b --json` has Qwen3-0.6B's published shapes; the
script's parameter count equals the element count of a synthesized GGUF's tensors (tiny presets,
tied and untied) and its config is the same from `model info --json` of that file as from the
preset; bad options exit 2; without torch the run itself says what is missing."""
import importlib.util
import json
import math
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from _harness import EXE, check, failures, run  # noqa: E402,F401

SCRIPT = os.path.join(os.environ.get("INFERTRACE_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", "..")),
                      "bench", "transformers_decode.py")


def script(*args, stdin=None):
    return subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True, input=stdin,
                          env=dict(os.environ, INFERTRACE=EXE), timeout=300)


h = script("--help")
check(h.returncode == 0 and "--print-config" in h.stdout and "--cache" in h.stdout, "--help: %r" % h.stderr)

p = script("--preset", "qwen3-0.6b", "--print-config")
check(p.returncode == 0, "print-config: %s" % p.stderr)
if p.returncode == 0:
    j = json.loads(p.stdout)
    want = {"model_type": "qwen3", "vocab_size": 151936, "hidden_size": 1024, "intermediate_size": 3072,
            "num_hidden_layers": 28, "num_attention_heads": 16, "num_key_value_heads": 8, "head_dim": 128,
            "max_position_embeddings": 40960, "rms_norm_eps": 1e-6, "rope_theta": 1e6, "tie_word_embeddings": True}
    for k, v in want.items():
        check(j["config"].get(k) == v, "config %s: %r, want %r" % (k, j["config"].get(k), v))
    check(j["n_params"] == 596049920, "n_params %s" % j["n_params"])
    # 64-token prompt, 128 generated: 127 evals over 128 positions on average; F16 weights and KV.
    kv = 128 * 28 * 2 * 8 * 128 * 2
    check(j["decode_bytes_per_token"] == 596049920 * 2 + kv, "bytes per token %s" % j["decode_bytes_per_token"])

with tempfile.TemporaryDirectory() as tmp:
    for preset in ["tiny-qwen3", "tiny-llama"]:
        path = os.path.join(tmp, preset + ".gguf")
        r = run("model", "synth", "--preset", preset, "--dtype", "f16", "-o", path)
        check(r.returncode == 0, "synth %s: %s" % (preset, r.stderr))
        info = run("model", "info", path, "--json").stdout
        elements = sum(math.prod(t["ne"]) for t in json.loads(info)["tensors"])
        from_file = script("--model-json", "-", "--print-config", stdin=info)
        from_preset = script("--preset", preset, "--print-config")
        check(from_file.returncode == 0 and from_preset.returncode == 0, "%s: %s %s" % (preset, from_file.stderr,
                                                                                   from_preset.stderr))
        if from_file.returncode == 0 and from_preset.returncode == 0:
            jf, jp = json.loads(from_file.stdout), json.loads(from_preset.stdout)
            check(jf == jp, "%s: config from the file differs from the preset's: %s vs %s" % (preset, jf, jp))
            check(jf["n_params"] == elements, "%s: %d parameters, the file's tensors hold %d" % (preset, jf["n_params"],
                                                                                                 elements))

for args, want in [(["--preset", "qwen3-0.6b", "--cache", "paged"], "--cache"),
                   (["--preset", "qwen3-0.6b", "--compile"], "--compile needs --cache static"),
                   (["--preset", "qwen3-0.6b", "--new-tokens", "1"], "--new-tokens >= 2"),
                   (["--print-config"], "required")]:
    u = script(*args)
    check(u.returncode == 2 and want in u.stderr, "%s: rc %d %r" % (args, u.returncode, u.stderr[-200:]))
u = script("--preset", "no-such-model", "--print-config")
check(u.returncode != 0 and "unknown model preset" in u.stderr, "unknown preset: %r" % u.stderr)

if importlib.util.find_spec("torch") is None:
    r = script("--preset", "tiny-qwen3", "--reps", "1")
    check(r.returncode != 0 and "needs torch" in r.stderr, "without torch: rc %d %r" % (r.returncode, r.stderr))

if failures:
    sys.exit(1)
print("ok")
