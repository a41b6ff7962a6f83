"""End-to-end: what an outside audit of `infertrace serve` found, each checked against a running
server: a K-quant (Q4_K_M) model is served with the tokens `engine run --json` gives it (the docs
once listed F32/F16/BF16/Q8_0 only); a text prompt far beyond --ctx is refused with 400 before it
is encoded (the message gives the lower bound in tokens; encoding 64 MiB took 38 s and 12 GB);
connections that never send a request hold a handler thread for 1 s, not cpp-httplib's 5 s, so a
few idle clients do not keep every thread (and /health) waiting for seconds; a form-encoded body
over 8 KiB gets cpp-httplib's 413 as the spec's JSON error; a completion's "created" is when it was
requested (it was the server's start time); control tokens written in a text prompt are those
tokens, as vLLM's and llama.cpp's servers read them (the ids of `model tokenize --special`)."""
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from _harness import check, failures, require_serve, run  # noqa: E402
from _serve import start_server as serve_on_free_port  # noqa: E402

require_serve()

HOST = "127.0.0.1"
CTX = 128


def start_server(model, *extra):
    return serve_on_free_port(model, "-t", "1", "--ctx", str(CTX), *extra)


def stop_server(p):
    p.terminate()
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def post(port, body, content_type="application/json"):
    c = http.client.HTTPConnection(HOST, port, timeout=120)
    c.request("POST", "/v1/completions", body=body if isinstance(body, (str, bytes)) else json.dumps(body),
              headers={"Content-Type": content_type})
    r = c.getresponse()
    out = r.status, r.getheader("Content-Type", ""), r.read().decode("utf-8", "replace")
    c.close()
    return out


with tempfile.TemporaryDirectory() as tmp:
    # A Q4_K_M model (rows of 256 values, so the K-quants apply): the server's greedy tokens are
    # engine run's.
    kmodel = os.path.join(tmp, "k.gguf")
    r = run("model", "synth", "--preset", "tiny-qwen3-k", "--dtype", "q4_k_m", "--seed", "5", "-t", "1", "-o", kmodel)
    check(r.returncode == 0, "synth q4_k_m: " + r.stderr)
    r = run("engine", "run", "-m", kmodel, "-t", "1", "--json", "-p", "the quick brown fox", "-n", "10", "--temp", "0",
            "--ignore-eos")
    check(r.returncode == 0, "engine run q4_k_m: " + r.stderr)
    want = json.loads(r.stdout)["output_ids"] if r.returncode == 0 else None
    server, port = start_server(kmodel)
    try:
        status, _, text = post(port, {"prompt": "the quick brown fox", "max_tokens": 10, "temperature": 0,
                                      "ignore_eos": True, "return_token_ids": True})
        check(status == 200 and json.loads(text)["choices"][0]["token_ids"] == want,
              "q4_k_m served: %d %s, engine run %s" % (status, text[:300], want))
    finally:
        stop_server(server)

    model = os.path.join(tmp, "tiny.gguf")
    r = run("model", "synth", "--preset", "tiny-qwen3", "--seed", "3", "-t", "1", "-o", model)
    check(r.returncode == 0, "synth: " + r.stderr)
    # --max-batch 1 --max-queue 0: 1 + 0 + 4 = 5 handler threads.
    server, port = start_server(model, "--max-batch", "1", "--max-queue", "0")
    started = time.time()  # after the server took its start time
    try:
        # 8 MiB of text: refused on its byte count, the message giving the bound it used.
        status, ctype, text = post(port, {"prompt": "a" * (8 << 20), "max_tokens": 1})
        err = json.loads(text).get("error", {}) if "application/json" in ctype else {}
        check(status == 400 and "prompt of %d bytes is at least" % (8 << 20) in err.get("message", "")
              and str(CTX) in err.get("message", ""), "8 MiB prompt: %d %s" % (status, text[:300]))
        # A prompt within the bound is still encoded and served, its "created" (whole seconds) no
        # earlier than the request: this is over 1 s after the server started.
        time.sleep(max(0.0, started + 1.5 - time.time()))
        before = int(time.time())
        status, _, text = post(port, {"prompt": "a b c", "max_tokens": 2})
        after = time.time()
        check(status == 200, "short prompt after the refusal: %d %s" % (status, text[:200]))
        if status == 200:
            created = json.loads(text)["created"]
            check(before <= created <= after, "created %s, request between %s and %.1f" % (created, before, after))
        # With --max-batch 1 --max-queue 0 the slot of the request just answered is freed on the engine
        # thread just after its client got the answer: a 503 until then, so this one asks again.
        for _ in range(100):
            status, _, text = post(port, {"prompt": "a b c", "max_tokens": 2, "stream": True})
            if status != 503:
                break
            time.sleep(0.05)
        events = [json.loads(e[6:]) for e in text.split("\n\n") if e.startswith("data: {")]
        check(events and all(before <= e["created"] <= time.time() for e in events), "streamed created: %s" % text[:300])

        # "</s>" and "<s>" in the text are the control tokens, not their characters.
        text_prompt = "a</s>b<s>c"
        r = run("model", "tokenize", "-m", model, "-p", text_prompt, "--special", "--json")
        want_ids = json.loads(r.stdout)["ids"] if r.returncode == 0 else None
        status, _, text = post(port, {"prompt": text_prompt, "max_tokens": 1, "return_token_ids": True})
        got = json.loads(text) if status == 200 else {}
        check(want_ids is not None and want_ids.count(1) == 2 and 2 in want_ids, "tokenize --special: %s" % r.stdout)
        check(status == 200 and got["choices"][0]["prompt_token_ids"] == want_ids
              and got["usage"]["prompt_tokens"] == len(want_ids), "special tokens in the prompt: %s vs %s"
              % (text[:300], want_ids))

        # Form-encoded (curl -d's default) over 8 KiB: cpp-httplib's 413, in the spec's JSON error shape.
        status, ctype, text = post(port, json.dumps({"prompt": "a" * 9000}), "application/x-www-form-urlencoded")
        check(status == 413 and "application/json" in ctype and json.loads(text)["error"]["code"] == 413,
              "form-encoded 9 KB body: %d %s %s" % (status, ctype, text[:200]))

        # 15 connections that send nothing, three per handler thread: each holds its thread for 1 s,
        # so /health waits about 3 s (it waited 15 s with cpp-httplib's default of 5 s). The bound
        # leaves 5 s under those 15 s and 7 s over the 3 s for a loaded machine and the sanitizers.
        idle = [socket.create_connection((HOST, port)) for _ in range(15)]
        t0 = time.time()
        c = http.client.HTTPConnection(HOST, port, timeout=60)
        c.request("GET", "/health")
        ok = c.getresponse().status == 200
        waited = time.time() - t0
        check(ok and waited < 10, "/health behind 15 idle connections took %.2f s" % waited)
        # The server closed them (an empty read), unanswered.
        closed = 0
        for s in idle:
            s.settimeout(10)
            try:
                closed += s.recv(1) == b""
            except OSError:
                pass
            s.close()
        check(closed == 15, "%d of 15 idle connections closed by the server" % closed)
        print("/health behind 15 idle connections (5 handler threads): %.2f s" % waited)
    finally:
        stop_server(server)

if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("ok")
