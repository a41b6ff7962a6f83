"""`bench serve --url` against a port where nothing listens says why it cannot connect in words
(review DJ L2: it printed cpp-httplib's enum name, "cannot reach ...: Connection"): at the start
(/v1/models) and per request (a server that answers /v1/models, then stops listening)."""
import http.server
import json
import os
import socket
import sys
import threading

sys.path.insert(0, os.path.dirname(__file__))
from _harness import EXE, check, failures, run, skip  # noqa: E402
from _fake_openai import FakeModelsHandler  # noqa: E402

if not os.path.exists(os.path.join(os.path.dirname(EXE), "infertrace-serve")):
    skip("infertrace-serve was not built (no cpp-httplib)")


def closed_port():
    """A port on 127.0.0.1 that was free a moment ago and has no listener now."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


REFUSED = "connection refused (ECONNREFUSED"

# 1) Nothing listens: exit 1, the reason is the refusal, not the client's enum name.
url = f"http://127.0.0.1:{closed_port()}"
r = run("bench", "serve", "--url", url, "--requests", "1", timeout=120)
last = r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ""
check(r.returncode == 1 and f"cannot reach {url}/v1/models: {REFUSED}" in last, f"dead url: {r.returncode} {last!r}")
check(not last.endswith(": Connection"), f"dead url still says the enum name: {last!r}")


# 2) /v1/models answered, then the listener closes: each request's connect error says it was refused.
class ModelsOnce(FakeModelsHandler):
    protocol_version = "HTTP/1.0"  # one request per connection: the request needs a new one

    def do_GET(self):
        super().do_GET()
        self.server.socket.close()  # nothing listens from now on


srv = http.server.HTTPServer(("127.0.0.1", 0), ModelsOnce)
t = threading.Thread(target=srv.handle_request, daemon=True)
t.start()
r = run("bench", "serve", "--url", f"http://127.0.0.1:{srv.server_address[1]}", "--requests", "1", "--warmup", "0",
        "--prompt-tokens", "4", "--output-tokens", "2", "--json", timeout=120)
try:
    doc = json.loads(r.stdout)
    reqs = doc["points"][0]["requests"]
except (ValueError, KeyError, IndexError):
    doc, reqs = None, []
    check(False, f"per request: no JSON document: {r.returncode} {r.stdout[:300]!r} {r.stderr[-400:]!r}")
check(len(reqs) == 1 and reqs[0]["error"] == "connect" and (reqs[0]["error_detail"] or "").startswith(REFUSED),
      f"per request: {reqs}")

if failures:
    sys.exit(1)
print("ok")
