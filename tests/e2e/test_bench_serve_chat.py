"""`infertrace bench serve --endpoint chat`: (1) against a fake chat server written here that
checks each request is a chat request (path, one user message of --prompt-tokens words, no
prompt) and answers as vLLM does for chat (a role chunk at once, the first token 200 ms later, then
one every 50 ms, a last chunk with an empty delta and finish_reason, usage, [DONE]): the role and
empty chunks are not tokens, so TTFT is ~200 ms and ITL ~50 ms; (2) against `infertrace serve` on
the synthetic tiny-qwen3 file (its chat template): every request completes with --output-tokens
tokens, one token event each, and the server counts the chat-templated prompts."""
import http.server
import json
import os
import re
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from _fake_openai import FakeModelsHandler  # noqa: E402
from _harness import check, failures, require_serve, run  # noqa: E402
from _latency_bounds import server_ms, within_server_stamps  # noqa: E402
from _serve import start_server  # noqa: E402

require_serve()

FIRST, GAP = 0.200, 0.050
seen = []
stamps = []  # per request, time.monotonic() when it was read and before its first token and [DONE] were written
STYLE = {"role_in_every_chunk": False,  # SGLang: "role": null in every content chunk
         "usage_in_last_chunk": False}  # llama.cpp: usage beside finish_reason, no usage-only chunk


class FakeChat(FakeModelsHandler):
    n_vocab = None  # a chat server's /v1/models names no vocabulary

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        stamp = {"read": time.monotonic()}  # the client stamped its send before connecting
        stamps.append(stamp)
        seen.append((self.path, body))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()

        def send(obj):
            self.wfile.write(("data: " + json.dumps(obj) + "\n\n").encode())
            self.wfile.flush()
        t0 = stamp["read"]
        send({"object": "chat.completion.chunk",
              "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]})
        n = body["max_tokens"]
        for i in range(n):
            time.sleep(max(0, t0 + FIRST + i * GAP - time.monotonic()))
            delta = {"role": None, "content": "x"} if STYLE["role_in_every_chunk"] else {"content": "x"}
            if STYLE["usage_in_last_chunk"] and i == 1:
                delta = {"content": ""}  # a token whose text is held back: usage counts it, no event
            stamp.setdefault("first", time.monotonic())  # before the write the client reads it from
            send({"object": "chat.completion.chunk",
                  "choices": [{"index": 0, "delta": delta, "finish_reason": None}]})
        usage = {"prompt_tokens": 20, "completion_tokens": n}
        if STYLE["usage_in_last_chunk"]:
            send({"object": "chat.completion.chunk",
                  "choices": [{"index": 0, "delta": {}, "finish_reason": "length"}], "usage": usage})
        else:
            send({"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {}, "finish_reason": "length"}]})
            send({"object": "chat.completion.chunk", "choices": [], "usage": usage})
        stamp["done"] = time.monotonic()
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()


def bench(url, *extra):
    # --warmup 0: the fake's requests and the server's stats are the measured requests' alone.
    r = run("bench", "serve", "--url", url, "--endpoint", "chat", "--json", "--warmup", "0", *extra, timeout=300)
    check(r.returncode == 0, "bench serve: %s %s" % (r.stdout[-500:], r.stderr))
    return json.loads(r.stdout) if r.returncode == 0 else None


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeChat)
threading.Thread(target=srv.serve_forever, daemon=True).start()
doc = bench("http://127.0.0.1:%d" % srv.server_address[1], "--requests", "3", "--prompt-tokens", "12",
            "--output-tokens", "6", "--seed", "5")
srv.shutdown()
if doc:
    check(doc["endpoint"] == "chat" and doc["prompt_kind"] == "chat_words", "endpoint fields %s" % doc["endpoint"])
    check(len(seen) == 3, "%d requests" % len(seen))
    texts = []
    for path, body in seen:
        check(path == "/v1/chat/completions", "path " + path)
        check("prompt" not in body and body["stream"] and body["max_tokens"] == 6 and body["ignore_eos"],
              "body %s" % body)
        m = body["messages"]
        check(len(m) == 1 and m[0]["role"] == "user" and len(m[0]["content"].split(" ")) == 12, "messages %s" % m)
        texts.append(m[0]["content"])
    check(len(set(texts)) == 3, "seeded prompts differ per request")
    p = doc["points"][0]
    check(p["completed"] == 3 and p["failed"] == 0, "completed %s" % p)
    for r in p["requests"]:
        check(r["token_events"] == 6 and r["tokens"] == 6, "token events %s" % r)
        check(r["server_prompt_tokens"] == 20, "server prompt tokens %s" % r["server_prompt_tokens"])
    check(p["server_prompt_tokens"] == {"mean": 20.0, "min": 20, "max": 20, "n": 3},
          "point server prompt tokens %s" % p["server_prompt_tokens"])
    # Timed against the fake's own stamps (_latency_bounds.py), not its 200 ms schedule, which a
    # loaded machine only makes later: TTFT is at least the time from the request's read to its
    # first token's write (the role chunk, written at once, is not a token: counted as one, TTFT
    # would be under that), E2E at least the time to [DONE]'s write.
    check(all(s["first"] - s["read"] >= FIRST for s in stamps), "the fake's first tokens before its schedule")
    within_server_stamps([r["ttft_ms"] for r in p["requests"]], server_ms(stamps, "read", "first"), "chat TTFT")
    within_server_stamps([r["e2e_ms"] for r in p["requests"]], server_ms(stamps, "read", "done"), "chat E2E")
    # The last token was read after TTFT plus the gaps, and no later than [DONE].
    for r in p["requests"]:
        check(len(r["itl_ms"]) == 5 and r["ttft_ms"] + sum(r["itl_ms"]) <= r["e2e_ms"] + 1e-6,
              "chat: TTFT %.3f + ITLs %s ms end after E2E %.3f ms" % (r["ttft_ms"], r["itl_ms"], r["e2e_ms"]))

# SGLang's framing ("role": null beside every token's content): every request completes, one token
# event per token.
STYLE["role_in_every_chunk"] = True
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeChat)
threading.Thread(target=srv.serve_forever, daemon=True).start()
doc = bench("http://127.0.0.1:%d" % srv.server_address[1], "--requests", "2", "--prompt-tokens", "4",
            "--output-tokens", "3")
srv.shutdown()
if doc:
    p = doc["points"][0]
    check(p["completed"] == 2 and p["failed"] == 0, "sglang-style: completed %s" % p.get("errors"))
    check(all(r["token_events"] == 3 and r["tokens"] == 3 for r in p["requests"]),
          "sglang-style token events %s" % [(r["token_events"], r["tokens"]) for r in p["requests"]])

# llama.cpp's framing: usage in the finish_reason chunk (no token), one of 4 tokens held back (content
# ""): tokens are usage's 4, token events 3.
STYLE["role_in_every_chunk"], STYLE["usage_in_last_chunk"] = False, True
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeChat)
threading.Thread(target=srv.serve_forever, daemon=True).start()
doc = bench("http://127.0.0.1:%d" % srv.server_address[1], "--requests", "2", "--prompt-tokens", "4",
            "--output-tokens", "4")
srv.shutdown()
if doc:
    p = doc["points"][0]
    check(p["completed"] == 2 and p["output_tokens"] == 8, "llama.cpp-style: %s tokens" % p.get("output_tokens"))
    check(all(r["token_events"] == 3 and r["tokens"] == 4 for r in p["requests"]),
          "llama.cpp-style tokens %s" % [(r["token_events"], r["tokens"]) for r in p["requests"]])

counted = []
with tempfile.TemporaryDirectory() as tmp:
    model = os.path.join(tmp, "q.gguf")
    r = run("model", "synth", "--preset", "tiny-qwen3", "--dtype", "f32", "-o", model)
    check(r.returncode == 0, "synth: " + r.stderr)
    # start_server reads the listening line with a timeout: a server that never prints it fails the
    # test in a minute instead of hanging it until ctest's limit.
    server, port = start_server(model, "-t", "1", "--ctx", "256")
    doc = bench("http://127.0.0.1:%d" % port, "--profile", "concurrent", "--concurrency", "2", "--requests", "4",
                "--prompt-tokens", "16", "--output-tokens", "5")
    if doc:
        p = doc["points"][0]
        check(p["completed"] == 4 and p["failed"] == 0, "completed %s" % {k: p[k] for k in ("sent", "errors")})
        # usage counts all 5 tokens; a token whose text the server holds back (an incomplete
        # UTF-8 sequence of the random model's output) streams content "", no token event.
        check(all(r["tokens"] == 5 and 1 <= r["token_events"] <= 5 for r in p["requests"]),
              "tokens %s" % [(r["tokens"], r["token_events"]) for r in p["requests"]])
        check(p["ttft_ms"]["n"] == 4 and p["ttft_ms"]["p50"] <= p["e2e_ms"]["p50"], "ttft %s" % p["ttft_ms"])
        counted = [r["server_prompt_tokens"] for r in p["requests"]]
        check(all(isinstance(c, int) for c in counted), "server prompt tokens %s" % counted)
    server.terminate()
    _, err = server.communicate(timeout=30)
    check(server.returncode == 0, "server exit %s" % server.returncode)
    # 4 requests of 5 tokens; each prompt is a chat-templated user message (more tokens than words).
    st = re.search(r"stopped: (\d+) requests served .*?, (\d+) prompt tokens, (\d+) generated tokens", err)
    check(st is not None and int(st.group(1)) == 4 and int(st.group(3)) == 20, "server stats: %s" % err[-400:])
    if st:
        check(int(st.group(2)) > 4 * 16, "prompt tokens %s include the template's" % st.group(2))
        # The bench's per-request counts (usage.prompt_tokens) add up to the server's own total.
        if counted and all(isinstance(c, int) for c in counted):
            check(sum(counted) == int(st.group(2)), "usage prompt tokens %d vs server stats %s"
                  % (sum(counted), st.group(2)))

if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("ok")
