"""--prompt-math on serve and bench threads: the option engine run has (cli/prompt_math_option.h),
with the same values, usage error and JSON key. serve's prefill pieces (eval_prompt) follow it: its
greedy tokens for a prompt equal engine run's with the same --prompt-math, and on a file where f32
and int8 prompts part, the two servers part the same way. bench threads names it in its JSON."""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import EXE, as_json, check, failures, refused, run  # noqa: E402

with tempfile.TemporaryDirectory() as tmp:
    model = os.path.join(tmp, "tiny-qwen3-k.gguf")
    r = run("model", "synth", "--preset", "tiny-qwen3-k", "--dtype", "q4_k_m", "--seed", "5", "-o", model)
    check(r.returncode == 0, "model synth: %s" % r.stderr)

    # bench threads: the value in the JSON and in the Markdown header; another value refused.
    for math in ("f32", "int8"):
        r = run("bench", "threads", "-m", model, "-t", "1", "-r", "1", "-p", "8", "-n", "2", "--no-roofline",
                "--prompt-math", math, "-o", "json")
        check(r.returncode == 0, "bench threads --prompt-math %s: %s" % (math, r.stderr[-300:]))
        if r.returncode == 0:
            j = as_json(r, "bench threads")
            check(j.get("prompt_math") == math, "bench threads prompt_math %r" % j.get("prompt_math"))
            # the integer variant (engine run's key): null for f32, a name of the run's level otherwise
            want = None if math == "f32" else {"scalar": ("scalar",), "avx2": ("avx2", "avx-vnni"),
                                               "avx512": ("avx512", "avx512-vnni")}.get(j.get("isa"), ())
            got = j.get("int8_kernels", "missing")
            check(got is None if want is None else got in want, "bench threads --prompt-math %s: int8_kernels %r at %s"
                  % (math, got, j.get("isa")))
    r = run("bench", "threads", "-m", model, "-t", "1", "-r", "1", "-p", "8", "-n", "2", "--no-roofline")
    check(r.returncode == 0 and "prompt math auto" in r.stdout, "bench threads md names the default: %r" % r.stdout[:300])
    # One wording for every verb, and for parse_prompt_math (review BT L8: CLI11's own differed).
    said = "--prompt-math: 'int4' is not one of auto, f32, int8"
    refused(["bench", "threads", "-m", model, "--prompt-math", "int4"], said)
    refused(["engine", "run", "-m", model, "--prompt-math", "int4"], said)

    serve_built = os.path.exists(os.path.join(os.path.dirname(EXE), "infertrace-serve"))
    if serve_built:
        import http.client  # noqa: E402
        from _serve import start_server  # noqa: E402
        refused(["serve", "-m", model, "--port", "0", "--prompt-math", "int4"], said)

        def complete(port, prompt_ids):
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            c.request("POST", "/v1/completions", body=json.dumps(
                {"model": "m", "prompt": prompt_ids, "max_tokens": 12, "temperature": 0, "ignore_eos": True,
                 "return_token_ids": True}), headers={"Content-Type": "application/json"})
            resp = c.getresponse()
            text = resp.read().decode("utf-8", "replace")
            c.close()
            check(resp.status == 200, "completion: %d %s" % (resp.status, text[:300]))
            return json.loads(text)["choices"][0]["token_ids"] if resp.status == 200 else None

        served = {}
        for math in ("f32", "int8"):
            r = run("engine", "run", "-m", model, "--prompt-tokens", "24", "-n", "12", "-t", "2", "--ignore-eos",
                    "--json", "--prompt-math", math)
            check(r.returncode == 0, "engine run --prompt-math %s: %s" % (math, r.stderr[-300:]))
            if r.returncode != 0:
                continue
            want = json.loads(r.stdout)
            # --prefill-chunk 5: the prompt arrives in pieces of 5 (and a last of 4), as under load.
            p, port = start_server(model, "-t", "2", "--model-name", "m", "--prefill-chunk", "5", "--prompt-math", math)
            try:
                served[math] = complete(port, want["prompt_ids"])
            finally:
                p.terminate()
                _, err = p.communicate(timeout=30)
            check(served[math] == want["output_ids"], "serve --prompt-math %s: %s vs engine run %s"
                  % (math, served[math], want["output_ids"]))
            check("prompt math %s" % math in err, "serve's start line names it: %r" % err[:400])
        # On this file (seed 5) the int8 and F32 prompts part (test_engine_prompt_math.py): the option is read.
        if len(served) == 2:
            check(served["f32"] != served["int8"], "serve: f32 and int8 gave the same tokens %s" % served["f32"])

if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("ok")
