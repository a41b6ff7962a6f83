"""`bench serve --timeout` against a fake SSE server written here whose stream ends just after the
client's timeout: the first token at once, then [DONE] LATE_BY after the timeout, as the server
counts it from reading the request (so later still on the client's clock, which starts at its
send). Every such request is a `timeout` error and none completes with an E2E past --timeout
(review SV L1: a [DONE] that came within the watchdog's 5 ms poll completed the request). The
control: the same stream ended at once completes within the same timeout."""
import http.server
import json
import os
import sys
import threading
import time

from _fake_openai import FakeModelsHandler
from _harness import check, failures, require_serve, run

require_serve()

TIMEOUT = 0.2     # the bench's --timeout, seconds
LATE_BY = 0.0005  # how long after it the server sends [DONE]: well inside the watchdog's 5 ms poll
N = 20


class Fake(FakeModelsHandler):
    def do_POST(self):
        read = time.monotonic()
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(b'data: {"choices":[{"index":0,"text":"x","finish_reason":null}]}\n\n')
        self.wfile.flush()
        if self.server.late:
            time.sleep(max(0.0, read + TIMEOUT + LATE_BY - time.monotonic()))
        usage = {"prompt_tokens": len(body["prompt"]), "completion_tokens": 1}
        self.wfile.write(b'data: {"choices":[],"usage":' + json.dumps(usage).encode() + b'}\n\ndata: [DONE]\n\n')
        self.wfile.flush()


def start(late):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Fake)
    srv.daemon_threads = True
    srv.late = late
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return "http://127.0.0.1:%d" % srv.server_address[1]


def bench(url, want_rc):
    r = run("bench", "serve", "--url", url, "--prompt-tokens", "8", "--output-tokens", "1", "--requests", str(N),
            "--profile", "concurrent", "--concurrency", "1", "--warmup", "0", "--timeout", str(TIMEOUT), "--json",
            timeout=300)
    check(r.returncode == want_rc, "bench serve exits %d (rc %d: %s)" % (want_rc, r.returncode, r.stderr[-400:]))
    try:
        return json.loads(r.stdout)["points"][0]
    except (ValueError, KeyError, IndexError):
        check(False, "no JSON point: %r" % r.stdout[-300:])
        return {}


for url, late in ((start(True), True), (start(False), False)):
    p = bench(url, 1 if late else 0)
    reqs = p.get("requests", [])
    check(len(reqs) == N, "late=%s: %d requests, want %d" % (late, len(reqs), N))
    done = [q for q in reqs if q.get("error") is None]
    # Whatever the machine's load: no completed request's E2E exceeds the timeout.
    over = [q.get("e2e_ms") for q in done if q.get("e2e_ms") is None or q["e2e_ms"] > TIMEOUT * 1000]
    check(not over, "late=%s: completed requests with E2E past --timeout %g s: %s" % (late, TIMEOUT, over))
    if late:
        check(p.get("errors") == {"timeout": N}, "late [DONE]: every request a timeout: %s" % p.get("errors"))
    else:
        # The control (the stream ends as soon as it starts): the bound is not met by refusing all.
        check(len(done) == N, "prompt [DONE]: %d of %d completed: %s" % (len(done), N, p.get("errors")))

if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("ok")
