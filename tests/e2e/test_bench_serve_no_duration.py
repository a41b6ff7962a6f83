"""A `--requests` point that completes nothing has no duration (first send to last completion):
its rates are null in the JSON and n/a in the text, not a measured 0.0, and the token events that
did arrive are counted, not "0 token events" (review SV58 L2). Against a fake server that streams
EVENTS token events and then holds the stream past the client's --timeout."""
import json
import os
import tempfile
import time

from _fake_openai import FakeModelsHandler, serve
from _harness import check, failures, require_serve, run

require_serve()

EVENTS = 3


class Fake(FakeModelsHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        for _ in range(EVENTS):
            self.wfile.write(b'data: {"choices":[{"index":0,"text":"x","finish_reason":null}]}\n\n')
        self.wfile.flush()
        time.sleep(1.0)  # past the bench's --timeout: no [DONE] in time


srv, url = serve(Fake)
srv.daemon_threads = True

with tempfile.TemporaryDirectory() as d:
    out = os.path.join(d, "b.json")
    r = run("bench", "serve", "--url", url, "--requests", "2", "--warmup", "0", "--prompt-tokens", "2",
            "--output-tokens", "8", "--timeout", "0.3", "-o", out, timeout=120)
    check(r.returncode == 1, f"exit {r.returncode} (want 1: nothing completed): {r.stderr}")
    (p,) = json.load(open(out))["points"]
check(p["completed"] == 0 and p["errors"] == {"timeout": 2}, f"counts {p['completed']} {p['errors']}")
check(p["streamed_token_events"] == 2 * EVENTS, f"events {p['streamed_token_events']} (want {2 * EVENTS})")
check(p["streamed_tok_per_s"] is None and p["tok_per_s"] is None and p["req_per_s"] is None,
      f"rates null: {p['streamed_tok_per_s']} {p['tok_per_s']} {p['req_per_s']}")
check(f"streamed n/a: {2 * EVENTS} token events arrived" in r.stdout, f"text:\n{r.stdout}")
check("| n/a | n/a |" in r.stdout and "duration n/a" in r.stdout, f"table and counts say n/a:\n{r.stdout}")

if failures:
    raise SystemExit(1)
print("ok")
