"""End-to-end: the fixes of review EB (docs/engine.md, docs/serve.md).
M3: a model file holding tensors its architecture does not use (a qwen3 or qwen2 file whose
    architecture key was rewritten to llama) is refused by `engine run` and reported as
    `model_error` by `model info --json`; the untouched files still run.
M1: `engine run -n 0` with a prompt of 1..9 tokens (and --ctx equal to the prompt) runs: the
    untimed warm-up fits the context.
The expectations are computed here from the file's bytes (tests/e2e/_gguf.py), not by the binary."""
import json
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import _gguf  # noqa: E402

from _harness import EXE, check, failures, run  # noqa: E402,F401

# The tensors a llama layer computes with (docs/engine.md's table), and the optional global ones.
LLAMA_LAYER = ["attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm", "ffn_gate", "ffn_up", "ffn_down"]
LLAMA_GLOBAL = ["token_embd.weight", "output_norm.weight", "output.weight", "rope_freqs.weight"]


def synth(d, preset):
    path = os.path.join(d, preset + ".gguf")
    r = run("model", "synth", "--preset", preset, "-o", path)
    check(r.returncode == 0, "model synth %s: %s" % (preset, r.stderr))
    return path


def last_line(s):
    lines = s.strip().splitlines()
    return lines[-1] if lines else ""


def unused_by_llama(data):
    """The tensor names, in file order, that a llama loader of the file's block_count never binds."""
    _, _, kv, tensors, _ = _gguf.parse(data)
    arch = kv["general.architecture"][1]
    n_layer = kv[arch + ".block_count"][1]
    used = set(LLAMA_GLOBAL) | {"blk.%d.%s.weight" % (i, n) for i in range(n_layer) for n in LLAMA_LAYER}
    return [t["name"] for t in tensors if t["name"] not in used]


def m3_relabelled(d):
    for preset, extra in (("tiny-qwen3", ("attn_q_norm", "attn_k_norm")), ("tiny-qwen2", ("attn_q.bias", "attn_k.bias", "attn_v.bias"))):
        path = synth(d, preset)
        arch = preset[len("tiny-"):]
        with open(path, "rb") as f:
            data = f.read()
        # The untouched file runs.
        r = run("engine", "run", "-m", path, "-p", "Hello world", "-n", "3", "-t", "1", "--json")
        check(r.returncode == 0, "%s untouched: exit %d %s" % (preset, r.returncode, r.stderr))
        info = json.loads(run("model", "info", path, "--json").stdout or "{}")
        check("model_error" not in info and info.get("model", {}).get("architecture", arch) == arch,
              "%s untouched: model info %s" % (preset, info.get("model_error")))
        # Every occurrence of the architecture's name (the key's value and every "<arch>." key) is
        # rewritten; the names have the same length, so every offset stays right.
        bad = data.replace(arch.encode(), b"llama")
        unused = unused_by_llama(bad)
        check(len(unused) > 0 and all(any(x in n for x in extra) for n in unused),
              "%s relabelled: the test's own list of unused tensors %s" % (preset, unused))
        bad_path = os.path.join(d, preset + "-as-llama.gguf")
        with open(bad_path, "wb") as f:
            f.write(bad)
        r = run("engine", "run", "-m", bad_path, "-p", "Hello world", "-n", "3", "-t", "1", "--json")
        msg = last_line(r.stderr)
        want = [bad_path, "llama", "%d tensors" % len(unused)] + unused[:4]
        check(r.returncode == 1 and all(w in msg for w in want) and r.stdout == "",
              "%s relabelled llama: engine run exit %d, %r (want exit 1 naming %s)" % (preset, r.returncode, msg, want))
        for extra_name in unused[4:]:
            check(extra_name not in msg, "%s relabelled: only the first 4 unused tensors named: %r" % (preset, msg))
        r = run("model", "info", bad_path, "--json")
        info = json.loads(r.stdout or "{}")
        err = info.get("model_error", "")
        check(r.returncode == 0 and all(w in err for w in want[1:]),
              "%s relabelled llama: model info model_error %r (want %s)" % (preset, err, want[1:]))
        r = run("model", "info", bad_path)
        check(r.returncode == 0 and "not runnable by the engine: " in r.stdout and unused[0] in r.stdout,
              "%s relabelled llama: model info text says why it cannot run" % preset)
        print("%s relabelled llama: refused: %s" % (preset, msg))


def m1_no_generation(d):
    """`engine run -n 0` with prompts of 1..9 tokens, the default context (prompt + n = the prompt)
    and --ctx equal to the prompt: the untimed warm-up (docs/engine.md: the prompt's first 8 tokens,
    at most the context less one, then one decode step unless the context is one token) must fit."""
    path = synth(d, "tiny-qwen3")
    for k in range(1, 10):
        for ctx in ([], ["--ctx", str(k)]):
            r = run("engine", "run", "-m", path, "--prompt-tokens", str(k), "-n", "0", "-t", "1", "--json", *ctx)
            j = json.loads(r.stdout) if r.returncode == 0 else {}
            want_warmup = min(k, 8, max(k - 1, 1))
            check(r.returncode == 0 and j.get("n_prompt") == k and j.get("n_generated") == 0
                  and j.get("output_ids") == [] and j.get("warmup_tokens") == want_warmup,
                  "-n 0, %d prompt tokens %s: exit %d, %s, warmup %s (want %d) %s"
                  % (k, ctx, r.returncode, {x: j.get(x) for x in ("n_prompt", "n_generated")},
                     j.get("warmup_tokens"), want_warmup, last_line(r.stderr)))
        # One generated token in a context of exactly prompt + 1 (the warm-up's decode step fits).
        r = run("engine", "run", "-m", path, "--prompt-tokens", str(k), "-n", "1", "-t", "1", "--json",
                "--ctx", str(k + 1))
        check(r.returncode == 0 and json.loads(r.stdout or "{}").get("n_generated") == 1,
              "-n 1 --ctx %d, %d prompt tokens: exit %d %s" % (k + 1, k, r.returncode, last_line(r.stderr)))
    # A text prompt (the review's reproducer) and the text output.
    r = run("engine", "run", "-m", path, "-p", "hi", "-n", "0", "-t", "1")
    check(r.returncode == 0 and "untimed warm-up" in r.stdout + r.stderr,
          "-p hi -n 0 (text): exit %d %s" % (r.returncode, last_line(r.stderr)))
    # The timed run's tokens do not depend on the warm-up, however short it was.
    for k in (1, 2, 5):
        a = run("engine", "run", "-m", path, "--prompt-tokens", str(k), "-n", "4", "-t", "1", "--json",
                "--ctx", str(k + 4), "--seed", "7", "--temp", "0.8")
        b = run("engine", "run", "-m", path, "--prompt-tokens", str(k), "-n", "4", "-t", "1", "--json",
                "--ctx", str(k + 4), "--seed", "7", "--temp", "0.8", "--no-warmup")
        ja, jb = json.loads(a.stdout or "{}"), json.loads(b.stdout or "{}")
        check(a.returncode == 0 and ja.get("output_ids") == jb.get("output_ids") and len(ja.get("output_ids", [])) == 4,
              "%d prompt tokens, -n 4: same tokens with and without warm-up: %s vs %s"
              % (k, ja.get("output_ids"), jb.get("output_ids")))


def main():
    with tempfile.TemporaryDirectory() as d:
        m3_relabelled(d)
        m1_no_generation(d)
    if failures:
        print("%d failure(s)" % len(failures))
        sys.exit(1)
    print("ok")


main()
