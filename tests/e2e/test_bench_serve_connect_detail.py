"""`bench serve --url` against a port where nothing listens says why it cannot connect in words
(review DJ L2: it printed cpp-httplib's enum name, "cannot reach ...: Connection"): at the start
(/v1/models) and per request (a server that answers /v1/models, then stops listening); and a
connect that times out (a listener whose backlog is full) says so with its bound, not cpp-httplib's
"ConnectionTimeout"."""
import http.server
import json
import os
import socket
import sys
import threading

sys.path.insert(0, os.path.dirname(__file__))
from _harness import check, failures, require_serve, run  # noqa: E402
from _fake_openai import FakeModelsHandler, answer_models_once  # noqa: E402

require_serve()


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
        # The listener closes before the answer goes out: closed after it, the client could connect
        # for its request in between, and that queued connection is then reset, not refused.
        self.server.socket.close()  # nothing listens from now on
        super().do_GET()


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


# 3) Two URLs, a server that streams and a listener that never accepts (its one-connection backlog
# filled by the test): the requests alternate, and each to the hole fails its connect at --timeout.
class Streams(FakeModelsHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(b'data: {"choices":[{"text":"x","index":0}]}\n\ndata: [DONE]\n\n')
        self.close_connection = True


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Streams)
threading.Thread(target=srv.serve_forever, daemon=True).start()


def hole_after_models():
    """A listener that answers one GET /v1/models (every URL is asked before the run, review BS M4),
    then never accepts again, its one-connection backlog filled: later SYNs are dropped."""
    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    hole.listen(0)
    held = []
    answer_models_once(hole, then=lambda: held.append(socket.create_connection(hole.getsockname())))
    return hole, held


# Now and then a connect to the full listener is answered all the same (the kernel's doing): that
# request then times out in its stream instead; the connect's wording is checked where one timed out.
TIMED_OUT = "no answer to the connection within 0.5 s (--timeout)"
to_hole = []
r = None
hole_url = ""
for attempt in range(3):
    h, held = hole_after_models()
    hole_url = f"http://127.0.0.1:{h.getsockname()[1]}"
    r = run("bench", "serve", "--url", f"http://127.0.0.1:{srv.server_address[1]},{hole_url}",
            "--profile", "concurrent", "--concurrency", "1", "--requests", "6", "--warmup", "0", "--timeout", "0.5",
            "--prompt-tokens", "4", "--output-tokens", "1", "--json", timeout=120)
    for c in held:
        c.close()
    h.close()
    try:
        to_hole = [q for q in json.loads(r.stdout)["points"][0]["requests"] if q["url"] == 1]
    except (ValueError, KeyError, IndexError):
        to_hole = []
    if any(q["error"] == "connect" for q in to_hole):
        break
# With several URLs each error detail starts with its URL (review BS M4).
check(to_hole and any(q["error"] == "connect" for q in to_hole) and
      all(q["error"] == "connect" and q["error_detail"] == hole_url + ": " + TIMED_OUT or q["error"] == "timeout"
          for q in to_hole),
      f"connect timeout: {[(q['error'], q['error_detail']) for q in to_hole]} {r.stderr[-300:]!r}")
hole = socket.socket()
hole.bind(("127.0.0.1", 0))
hole.listen(0)
filler = socket.create_connection(hole.getsockname())  # the accept queue's one place: later SYNs are dropped
# The hole first: /v1/models, asked of the first URL, gets no connection either.
for attempt in range(3):
    r = run("bench", "serve", "--url", f"http://127.0.0.1:{hole.getsockname()[1]}", "--requests", "1", "--timeout",
            "0.5", timeout=120)
    last = r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ""
    if "no answer to the connection" in last:
        break
check(r.returncode == 1 and last.endswith("/v1/models: " + TIMED_OUT), f"connect timeout at /v1/models: {r.returncode} {last!r}")
srv.shutdown()
filler.close()
hole.close()

if failures:
    sys.exit(1)
print("ok")
