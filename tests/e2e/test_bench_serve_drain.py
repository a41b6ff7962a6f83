"""`bench serve --duration` drains (review SV58 M1): the requests in flight when the window closes
finish, each within --timeout, and enter TTFT/ITL/TPOT/E2E (vLLM's benchmark waits for every
request); the duration then runs to the last completion, and the output says how many were
drained. `--no-drain` keeps the old cut (incomplete, in no latency). Against a fake SSE server
written here whose streams take a known time (max_tokens events GAP apart), so which requests are
in flight at the close is known: closed loop, 2 workers, each request ~0.3 s, window 0.45 s:
two complete inside it, two are in flight at its close. A drained request that passes --timeout is
a timeout error, drained too."""
import json
import os
import tempfile
import time

from _fake_openai import FakeModelsHandler, serve
from _harness import check, failures, require_serve, run

require_serve()

GAP = 0.05  # seconds between a stream's events
WINDOW = 0.45
TOKENS = 6  # -> a request takes ~0.3 s


class Fake(FakeModelsHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        n = body["max_tokens"]
        for i in range(n):
            time.sleep(GAP)
            self.wfile.write(b'data: {"choices":[{"index":0,"text":"x","finish_reason":null}]}\n\n')
            self.wfile.flush()
        usage = {"prompt_tokens": len(body["prompt"]), "completion_tokens": n}
        self.wfile.write(b'data: {"choices":[],"usage":' + json.dumps(usage).encode() + b'}\n\ndata: [DONE]\n\n')
        self.wfile.flush()


srv, url = serve(Fake)
srv.daemon_threads = True


def bench(*extra, tokens=TOKENS, timeout="10", window=WINDOW):
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "b.json")
        r = run("bench", "serve", "--url", url, "--profile", "concurrent", "--concurrency", "2", "--duration",
                str(window), "--warmup", "0", "--prompt-tokens", "4", "--output-tokens", str(tokens), "--timeout",
                timeout, "-o", out, *extra, timeout=120)
        doc = json.load(open(out)) if os.path.exists(out) else None
    return r, doc


# Drained (the default): the 2 requests in flight at the close complete and are measured.
r, doc = bench()
check(r.returncode == 0, f"drain: exit {r.returncode}: {r.stderr}")
(p,) = doc["points"]
check(p["drain"] is True, f"drain flag {p['drain']}")
check(p["sent"] == 4 and p["completed"] == 4 and p["incomplete"] == 0 and p["failed"] == 0,
      f"drain: sent {p['sent']} completed {p['completed']} incomplete {p['incomplete']} failed {p['failed']}")
check(p["drained"] == 2, f"drained {p['drained']} (want 2)")
reqs = p["requests"]
drained = [q for q in reqs if q["drained"]]
check(len(drained) == 2 and all(q["error"] is None for q in drained), f"drained requests {drained}")
ends = [q["start_s"] + q["e2e_ms"] / 1000 for q in reqs]
check(all((e > WINDOW) == q["drained"] for e, q in zip(ends, reqs)), f"drained = ended after the close: {ends}")
# Every request, the drained ones too, in every latency distribution.
check(p["e2e_ms"]["n"] == 4 and p["ttft_ms"]["n"] == 4 and p["tpot_ms"]["n"] == 4, f"n: {p['e2e_ms']} {p['ttft_ms']}")
check(p["itl_ms"]["n"] == 4 * (TOKENS - 1), f"ITL n {p['itl_ms']['n']}")
# The duration: the window and its drain, to the last completion; tok/s over it.
check(abs(p["duration_s"] - max(ends)) < 0.01 and p["duration_s"] > WINDOW, f"duration {p['duration_s']} vs {max(ends)}")
check(abs(p["tok_per_s"] - 4 * TOKENS / p["duration_s"]) < 1e-6, f"tok/s {p['tok_per_s']}")
check(p["streamed_token_events"] == 4 * TOKENS, f"streamed events {p['streamed_token_events']}")
check("drained" in doc["definitions"], "definition of drained")
r2 = run("bench", "serve", "--url", url, "--profile", "concurrent", "--concurrency", "2", "--duration", str(WINDOW),
         "--warmup", "0", "--prompt-tokens", "4", "--output-tokens", str(TOKENS), timeout=120)
check(r2.returncode == 0 and "  drained: 2 (in flight when the --duration window closed" in r2.stdout,
      f"text says drained: {r2.returncode} {r2.stdout}")

# --no-drain: the old cut, those two incomplete and in no distribution.
r, doc = bench("--no-drain")
check(r.returncode == 0, f"--no-drain: exit {r.returncode}: {r.stderr}")
(p,) = doc["points"]
check(p["drain"] is False and p["drained"] == 0, f"--no-drain: drain {p['drain']} drained {p['drained']}")
check(p["completed"] == 2 and p["incomplete"] == 2, f"--no-drain: completed {p['completed']} incomplete {p['incomplete']}")
check(p["e2e_ms"]["n"] == 2 and abs(p["duration_s"] - WINDOW) < 1e-9, f"--no-drain: {p['e2e_ms']} {p['duration_s']}")

# A drained request still has its --timeout: past it, a timeout error (drained too).
r, doc = bench(tokens=12, timeout="0.35", window=0.1)  # ~0.6 s requests, none can end within 0.35 s
check(r.returncode == 1, f"timeout in the drain: exit {r.returncode} (want 1: nothing completed)")
(p,) = doc["points"]
check(p["sent"] == 2 and p["failed"] == 2 and p["errors"] == {"timeout": 2} and p["drained"] == 2
      and p["incomplete"] == 0, f"timeouts in the drain: {p['sent']} {p['failed']} {p['errors']} {p['drained']}")
check(all(q["e2e_ms"] < 450 for q in p["requests"]), f"stopped at their timeout: {[q['e2e_ms'] for q in p['requests']]}")

r = run("bench", "serve", "--url", url, "--requests", "1", "--no-drain")
check(r.returncode == 2 and "--no-drain needs --duration" in r.stderr, f"--no-drain with --requests: {r.returncode} {r.stderr}")

if failures:
    raise SystemExit(1)
print("ok")
