"""`bench serve -m M.gguf --endpoint chat` sizes the servers' context for the chat prompts as the
servers render and encode them (serve_cli/chat_prompt_bound.h), and a point that completes no
request fails the bench. Before, --ctx defaulted to --prompt-tokens + --output-tokens: the chat
template and multi-token words took more, every request got HTTP 400 and the bench exited 0 (also
with --ctx 6, which the check accepted). Now: (1) with the default --ctx every request completes,
the servers' --ctx (server_args in the JSON) holds each request's prompt as the server counted it
(server_prompt_tokens) plus --output-tokens, and the bench exits 0; (2) a --ctx too small for that
is refused before any server starts (exit 2, one line naming the chat template); (3) against a
server that refuses every request (a fake here answering HTTP 400), the table is still printed
and the bench exits 1 with a line saying the point completed no request."""
import http.server
import json
import os
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(__file__))
from _harness import check, failures, require_serve, run  # noqa: E402

require_serve()

ARGS = ["--endpoint", "chat", "--requests", "2", "--prompt-tokens", "4", "--output-tokens", "2"]

with tempfile.TemporaryDirectory() as d:
    for preset in ("tiny", "tiny-qwen3"):
        model = os.path.join(d, preset + ".gguf")
        r = run("model", "synth", "--preset", preset, "-o", model)
        check(r.returncode == 0, f"model synth {preset}: {r.stderr}")
        r = run("bench", "serve", "-m", model, *ARGS, "--json", timeout=300)
        check(r.returncode == 0, f"{preset}: bench serve exits 0: {r.returncode} {r.stderr[-800:]}")
        if r.returncode != 0:
            continue
        topo = json.loads(r.stdout)["topologies"][0]
        sargs = topo["server_args"]
        ctx = int(sargs[sargs.index("--ctx") + 1])
        p = topo["run"]["points"][0]
        check(p["completed"] == 2 and p["failed"] == 0, f"{preset}: every request completes: {p['errors']}")
        prompts = [q["server_prompt_tokens"] for q in p["requests"]]
        check(all(n is not None and n > 4 for n in prompts),
              f"{preset}: the chat prompt takes more than --prompt-tokens tokens: {prompts}")
        check(all(n is not None and n + 2 <= ctx for n in prompts),
              f"{preset}: --ctx {ctx} holds every prompt {prompts} + 2 output tokens")

        small = run("bench", "serve", "-m", model, *ARGS, "--ctx", "6", timeout=300)
        lines = small.stderr.strip().splitlines()
        check(small.returncode == 2 and len(lines) == 1 and "chat template" in lines[0] and "--ctx 6" in lines[0],
              f"{preset}: --ctx 6 refused with one line: {small.returncode} {small.stderr!r}")


class Refusing(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, status, obj):
        b = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)

    def do_GET(self):
        self.reply(200, {"object": "list", "data": [{"id": "fake", "object": "model"}]})

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.reply(400, {"error": {"message": "prompt too long for the context", "type": "invalid_request_error"}})


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Refusing)
threading.Thread(target=srv.serve_forever, daemon=True).start()
r = run("bench", "serve", "--url", "http://127.0.0.1:%d" % srv.server_address[1], *ARGS, timeout=300)
srv.shutdown()
check(r.returncode == 1, f"every request refused: exit 1, got {r.returncode}: {r.stderr[-800:]}")
check("completed no request" in r.stderr and "400" in r.stderr,
      f"stderr says the point completed no request, and why: {r.stderr!r}")
check(r.stdout.strip() != "", f"the table is still printed: {r.stdout[-400:]}")

if failures:
    sys.exit(1)
print("ok")
