"""`serve`'s exit summary counts the requests it refused (review SV58 L3: after a load study's 503s
the server's side showed none): 503 (full: --max-batch active and --max-queue waiting) and 4xx (bad
requests, unknown routes). A tiny model's server with --max-batch 1 --max-queue 0 gets a burst of
long streams (all but the one it serves get 503: how many is counted here from the answers), one
body that is not JSON (400) and one unknown path (404); after SIGINT its summary must say the same
counts."""
import http.client
import json
import os
import re
import signal
import tempfile
import threading

from _harness import check, failures, require_serve, run
from _serve import start_server

require_serve()

BURST = 5

with tempfile.TemporaryDirectory() as d:
    model = os.path.join(d, "tiny.gguf")
    r = run("model", "synth", "--preset", "tiny", "-o", model)
    check(r.returncode == 0, f"model synth: {r.stderr}")
    server, port = start_server(model, "-t", "1", "--max-batch", "1", "--max-queue", "0")
    try:
        statuses = []
        lock = threading.Lock()
        go = threading.Barrier(BURST)

        def one():
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            body = json.dumps({"prompt": [1, 2, 3], "max_tokens": 64, "ignore_eos": True, "stream": True})
            go.wait()
            c.request("POST", "/v1/completions", body, {"Content-Type": "application/json"})
            res = c.getresponse()
            res.read()
            with lock:
                statuses.append(res.status)
            c.close()

        threads = [threading.Thread(target=one) for _ in range(BURST)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        c.request("POST", "/v1/completions", "{not json", {"Content-Type": "application/json"})
        bad = c.getresponse()
        bad.read()
        c.request("GET", "/nowhere")
        missing = c.getresponse()
        missing.read()
        c.close()
        check((bad.status, missing.status) == (400, 404), f"bad request and unknown route: {bad.status} {missing.status}")
        check(set(statuses) <= {200, 503} and statuses.count(200) >= 1, f"burst statuses {statuses}")
        server.send_signal(signal.SIGINT)
        check(server.wait(timeout=30) == 0, "exit status after SIGINT")
        err = server.stderr.read()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    m = re.search(r"(\d+) answered 503 \(full or stopping\), (\d+) answered 4xx \(bad requests\)", err)
    check(m is not None, f"the summary counts refusals: {err[-600:]}")
    if m:
        print(f"503s seen by the clients: {statuses.count(503)}")
        check(int(m.group(1)) == statuses.count(503), f"503s: summary {m.group(1)}, clients saw {statuses.count(503)}")
        check(int(m.group(2)) == 2, f"4xx: summary {m.group(2)} (want 2)")

if failures:
    raise SystemExit(1)
print("ok")
