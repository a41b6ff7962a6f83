"""End-to-end: the fixes of review EB (docs/engine.md, docs/serve.md).
M3: a model file holding tensors its architecture does not use (a qwen3 or qwen2 file whose
    architecture key was rewritten to llama) is refused by `engine run` and reported as
    `model_error` by `model info --json`; the untouched files still run.
M1: `engine run -n 0` with a prompt of 1..9 tokens (and --ctx equal to the prompt) runs: the
    untimed warm-up fits the context.
M2: `bench serve -o DIR/missing/out.json` (or a path under a file) is refused before any server
    starts (report's -o too: the check is shared); the results are printed before the file is
    written, so a write that fails (-o /dev/full) does not lose them.
L4: serve stopped before any decode step prints "mean batch n/a", not 0/0 as 0.00.
The expectations are computed here from the file's bytes (tests/e2e/_gguf.py), not by the binary."""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
import _gguf  # noqa: E402

from _harness import EXE, check, failures, have_serve, run  # noqa: E402,F401
from _serve import start_server  # noqa: E402

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


HAVE_SERVE = have_serve()
BENCH_POINT = ["--prompt-tokens", "8", "--output-tokens", "4", "--profile", "synchronous"]


def m2_output_dir(d):
    """`bench serve -o` in a missing directory (or under a file) is refused before any server starts,
    exit 1 as every output error; a write that fails after the study no longer loses the results."""
    if not HAVE_SERVE:
        print("skip M2: infertrace-serve was not built (no cpp-httplib)")
        return
    path = synth(d, "tiny-qwen3")
    a_file = os.path.join(d, "a-file")
    with open(a_file, "w") as f:
        f.write("x")
    for out, why in ((os.path.join(d, "missing", "out.json"), "No such file or directory"),
                     (os.path.join(a_file, "out.json"), "is not a directory")):
        t0 = time.time()
        # A 30 s study: refused before it, so well within 10 s even on a loaded machine.
        r = run("bench", "serve", "-m", path, *BENCH_POINT, "--duration", "30", "-o", out)
        dt = time.time() - t0
        msg = last_line(r.stderr)
        check(r.returncode == 1 and out in msg and why in msg and dt < 10 and "topology" not in r.stderr,
              "bench serve -o %s: exit %d in %.1f s, %r (want exit 1 at once naming %r)" % (out, r.returncode, dt, msg, why))
        check(not os.path.exists(os.path.dirname(out)) or os.path.isfile(os.path.dirname(out)),
              "bench serve -o %s: nothing made" % out)
    # The same shared check for report's output (cli/output_file.cpp).
    out = os.path.join(d, "missing", "r.html")
    r = run("report", os.path.join(d, "no-such-input.json"), "-o", out)
    check(r.returncode == 1 and out in last_line(r.stderr),
          "report -o %s: exit %d %r" % (out, r.returncode, last_line(r.stderr)))
    # A file that cannot be written after the study (/dev/full: a device, written in place): the
    # table is printed before the write fails, so the results are not lost (exit 1).
    r = run("bench", "serve", "-m", path, *BENCH_POINT, "--duration", "1", "-o", "/dev/full")
    check(r.returncode == 1 and "sn" in r.stdout and len(r.stdout.strip().splitlines()) >= 2,
          "bench serve -o /dev/full: exit %d, stdout %r, %r" % (r.returncode, r.stdout[:200], last_line(r.stderr)))


def l4_idle_serve_stats(d):
    """serve stopped before any decode step: the mean batch (0 / 0) is written n/a."""
    if not HAVE_SERVE:
        print("skip L4: infertrace-serve was not built (no cpp-httplib)")
        return
    path = synth(d, "tiny-qwen3")
    server, _ = start_server(path, "-t", "1")
    server.send_signal(signal.SIGTERM)
    try:
        rc = server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
        rc = None
    err = server.stderr.read()
    m = re.search(r"(\d+) decode steps, mean batch (\S+) sequences per decode step", err)
    check(rc == 0 and m is not None and m.group(1) == "0" and m.group(2) == "n/a",
          "idle serve stopped: exit %s, %r" % (rc, m.group(0) if m else err[-300:]))


def main():
    with tempfile.TemporaryDirectory() as d:
        m3_relabelled(d)
        m1_no_generation(d)
        m2_output_dir(d)
        l4_idle_serve_stats(d)
    if failures:
        print("%d failure(s)" % len(failures))
        sys.exit(1)
    print("ok")


main()
