"""End-to-end: `infertrace serve --drain-timeout` (docs/serve.md, "Stopping"). After SIGTERM the
requests already in the server, a decoding stream and a non-streamed request queued behind it
(--max-batch 1), run to their last token, each with exactly the tokens `engine run` gives it alone,
while /health and a new request get 503; the server then exits 0 with nothing cancelled. With a
timeout shorter than the work left, the stream is cut at the timeout (error event, [DONE]) and the
stats count it cancelled.

The model is smollm2-135m's shapes (Q8_0, random weights): tens of milliseconds per token on one
thread, so a 120-token stream is still decoding when the signal is taken; on a machine fast enough to
finish it first, the try says nothing (the server reports 0 requests in flight) and is repeated."""
import http.client
import json
import os
import re
import signal
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from _harness import check, failures, require_serve, run  # noqa: E402
from _serve import read_all, start_server  # noqa: E402

require_serve()

HOST = "127.0.0.1"
STATS = re.compile(r"stopped: (\d+) requests served \((\d+) cancelled, (\d+) failed\)")
STOPPING = re.compile(r"stopping: (\d+) requests in flight get up to (\d+) s to finish")
HUNG_S = 120  # a server not gone this long after the signal is killed (ASan builds are slow)


class StderrLines:
    """The server's stderr, read line by line on a thread, so that the test can wait for one line
    (the stop's) while the server runs."""

    def __init__(self, p):
        self.lines, self.cv = [], threading.Condition()
        threading.Thread(target=self._read, args=(p,), daemon=True).start()

    def _read(self, p):
        for line in p.stderr:
            with self.cv:
                self.lines.append(line)
                self.cv.notify_all()

    def wait_for(self, pattern, timeout=60):
        with self.cv:
            self.cv.wait_for(lambda: any(pattern.search(x) for x in self.lines), timeout)
            return next((m for m in (pattern.search(x) for x in self.lines) if m), None)

    def text(self):
        with self.cv:
            return "".join(self.lines)


def engine_run(model, n_prompt, seed, n):
    r = run("engine", "run", "-m", model, "-t", "1", "--json", "--prompt-tokens", str(n_prompt), "--seed", str(seed),
            "-n", str(n), "--temp", "0", "--ignore-eos")
    check(r.returncode == 0, "engine run: %s" % r.stderr)
    return json.loads(r.stdout)


def post(body, stream):
    """A completion request sent on a raw socket (the answer is read later with read_all)."""
    s = socket.create_connection((HOST, PORT[0]), timeout=HUNG_S)
    req = json.dumps(dict(body, stream=stream))
    s.sendall(("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n"
               "Content-Length: %d\r\n\r\n%s" % (len(req), req)).encode())
    return s


def first_event(s):
    got = b""
    while b"data: " not in got:
        chunk = s.recv(4096)
        if not chunk:
            break
        got += chunk
    return got



def stream_tokens(raw):
    """Token ids and finish_reason of a streamed answer (chunked SSE; return_token_ids events)."""
    ids, finish = [], None
    for m in re.finditer(rb"data: (\{.*?\})\r?\n", raw):
        ev = json.loads(m.group(1))
        for c in ev.get("choices", []):
            ids += c.get("token_ids") or []
            finish = c.get("finish_reason") or finish
    return ids, finish


def get(path):
    c = http.client.HTTPConnection(HOST, PORT[0], timeout=30)
    c.request("GET", path)
    r = c.getresponse()
    out = r.status, r.read().decode("utf-8", "replace"), r.getheader("Retry-After")
    c.close()
    return out


def wait_exit(server):
    try:
        return server.wait(timeout=HUNG_S)
    except Exception:  # noqa: BLE001 - a hung server is killed and reported as None
        server.kill()
        server.wait()
        return None


PORT = [0]

with tempfile.TemporaryDirectory() as tmp:
    model = os.path.join(tmp, "smol.gguf")
    r = run("model", "synth", "--preset", "smollm2-135m", "--dtype", "q8_0", "--seed", "4", "-t", "2", "-o", model)
    check(r.returncode == 0, "synth: " + r.stderr)
    long_run = engine_run(model, 6, 11, 120)
    short_run = engine_run(model, 5, 12, 6)

    # 1) --drain-timeout 600: both requests finish, each as alone; meanwhile /health and a new
    # request get 503; exit 0 with nothing cancelled.
    for attempt in range(3):
        server, PORT[0] = start_server(model, "-t", "1", "--ctx", "256", "--max-batch", "1", "--max-queue", "4",
                                       "--drain-timeout", "600")
        err = StderrLines(server)
        try:
            a = post({"prompt": long_run["prompt_ids"], "max_tokens": 120, "temperature": 0, "ignore_eos": True,
                      "return_token_ids": True}, True)
            a_head = first_event(a)
            b = post({"prompt": short_run["prompt_ids"], "max_tokens": 6, "temperature": 0, "ignore_eos": True,
                      "return_token_ids": True}, False)
            time.sleep(0.3)  # b reaches the queue (if not, the server's count below says so)
            server.send_signal(signal.SIGTERM)
            m = err.wait_for(STOPPING)
            check(m is not None and m.group(2) == "600", "stopping line: %r" % err.text())
            in_flight = int(m.group(1)) if m else 0
            health = get("/health")
            late = post({"prompt": [1, 2], "max_tokens": 1}, False)
            late_answer = read_all(late)
            a_raw = read_all(a, a_head)
            b_raw = read_all(b)
            rc = wait_exit(server)
        finally:
            if server.poll() is None:
                server.kill()
                server.wait()
        if in_flight == 0:
            print("try %d of 3 says nothing: the stream ended before the signal was taken" % (attempt + 1))
            continue
        check(health[0] == 503 and "stopping" in health[1], "/health while draining: %s" % (health,))
        check(health[2] == "1", "/health's 503 while draining has Retry-After: 1: %r" % (health[2],))
        check(late_answer.startswith(b"HTTP/1.1 503") and b"the server is stopping" in late_answer,
              "a request while draining: %r" % late_answer[:300])
        check(b"\r\nRetry-After: 1\r\n" in late_answer.split(b"\r\n\r\n", 1)[0] + b"\r\n",
              "a request's 503 while draining has Retry-After: 1: %r" % late_answer[:300])
        ids, finish = stream_tokens(a_raw)
        check(ids == long_run["output_ids"] and finish == "length" and a_raw.rstrip().endswith(b"0"),
              "the stream in flight runs to its end as alone: %d of %d tokens, finish %s, tail %r"
              % (len(ids), len(long_run["output_ids"]), finish, a_raw[-200:]))
        if in_flight == 2:
            body = b_raw.split(b"\r\n\r\n", 1)[-1]
            try:
                got = json.loads(body)["choices"][0]["token_ids"]
            except (ValueError, KeyError, IndexError, TypeError):
                got = None
            check(b_raw.startswith(b"HTTP/1.1 200") and got == short_run["output_ids"],
                  "the queued request is served after the signal, as alone: %r" % b_raw[:300])
        else:  # b came after the drain began: refused like any new request
            check(b_raw.startswith(b"HTTP/1.1 503"), "a request arriving after the signal: %r" % b_raw[:300])
        check(rc == 0, "exit status after a drain: %s" % rc)
        s = STATS.search(err.text())
        served = 1 + (in_flight == 2)
        check(s is not None and (int(s.group(1)), int(s.group(2)), int(s.group(3))) == (served, 0, 0),
              "stats after a drain: %s" % (s.group(0) if s else err.text()))
        check("every request in flight ended in" in err.text(), "drain end line: %r" % err.text())
        print("drain: %d requests in flight at SIGTERM, all served; %s" % (in_flight, s.group(0) if s else None))
        break
    else:
        check(False, "three tries, the stream always ended before the signal was taken")

    # 2) --drain-timeout 1 with about 1000 tokens of work left: cut at the timeout, as without a drain.
    server, PORT[0] = start_server(model, "-t", "1", "--ctx", "1100", "--drain-timeout", "1")
    err = StderrLines(server)
    try:
        a = post({"prompt": [1, 2, 3], "max_tokens": 1000, "temperature": 0, "ignore_eos": True}, True)
        a_head = first_event(a)
        t0 = time.time()
        server.send_signal(signal.SIGTERM)
        a_raw = read_all(a, a_head)
        rc = wait_exit(server)
        dt = time.time() - t0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    text = err.text()
    check(rc == 0, "exit status after a drain timeout: %s" % rc)
    check(dt >= 1.0, "the server exited %.2f s after the signal, before its 1 s drain" % dt)
    check(b"shutting down" in a_raw and b"data: [DONE]" in a_raw and b'"finish_reason":"length"' not in a_raw,
          "the stream cut at the timeout ends with an error event and [DONE]: %r" % a_raw[-300:])
    check("--drain-timeout 1 s passed: 1 requests still in flight are cancelled" in text, "timeout line: %r" % text)
    s = STATS.search(text)
    check(s is not None and (int(s.group(2)), int(s.group(3))) == (1, 0), "stats after a drain timeout: %r" % text)
    print("drain timeout: exit %.2f s after SIGTERM; %s" % (dt, s.group(0) if s else None))

    # 3) Eight streams in flight (two engine threads keep both CPUs of a small machine busy), then
    # SIGTERM: the engine's last step pushes a token to each stream and ends them right after, so a
    # handler that had not yet taken that token sends it with the end (before the fix, one or more
    # of the eight in most rounds). Every token event's finish_reason must be null or OpenAI's, each
    # stream then ending with the error event and [DONE]. Three rounds, each on a fresh server.
    reasons, n_tokens = set(), 0
    for _ in range(3):
        server, PORT[0] = start_server(model, "-t", "2", "--ctx", "1100")
        err = StderrLines(server)
        try:
            streams = [post({"prompt": [1, 2, 3 + i], "max_tokens": 1000, "temperature": 0, "ignore_eos": True},
                            True) for i in range(8)]
            heads = [first_event(x) for x in streams]
            # Soon after every stream's first event, well before 1000 tokens: a fast machine decodes
            # tiny-qwen3's 1000 steps in about a quarter of a second (review DF F10).
            time.sleep(0.05)
            server.send_signal(signal.SIGTERM)
            cut_raws = [read_all(x, h) for x, h in zip(streams, heads)]
            rc = wait_exit(server)
        finally:
            if server.poll() is None:
                server.kill()
                server.wait()
        round_reasons = set()
        for cut_raw in cut_raws:
            events = [json.loads(m.group(1)) for m in re.finditer(rb"data: (\{.*?\})\r?\n", cut_raw)]
            tokens = [e for e in events if e.get("choices")]
            n_tokens += len(tokens)
            round_reasons |= {str(c.get("finish_reason")) for e in tokens for c in e["choices"]}
            check(len(tokens) > 0 and events and "error" in events[-1]
                  and "shutting down" in events[-1]["error"]["message"] and b"data: [DONE]" in cut_raw,
                  "a cut stream ends with the error event and [DONE]: %r" % cut_raw[-300:])
        check(rc == 0, "exit status after cut streams: %s" % rc)
        print("eight cut streams: finish_reasons %s" % sorted(round_reasons))
        reasons |= round_reasons
    check(reasons <= {"None", "stop", "length"}, "token events' finish_reason after a cut: %s" % sorted(reasons))
    print("three rounds of eight cut streams: %d token events, finish_reasons %s" % (n_tokens, sorted(reasons)))

if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("ok")
