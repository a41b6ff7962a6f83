"""The part of the fake OpenAI-compatible servers the bench serve tests share: HTTP/1.1, quiet, and
a /v1/models answer naming one model "fake" with a 1000-token vocabulary (what bench serve asks
before its first request; a handler's `n_vocab` changes it, 0 or None leaves it out as a text-only
server does). Each test writes its own do_POST: the streams it checks; `stream_tokens` and
`send_json` are the plain answers, `serve` starts a server on a free port."""
import http.server
import json
import threading


def models(n_vocab=1000):
    """The /v1/models answer: one model "fake", with `n_vocab` unless it is 0 or None."""
    m = {"id": "fake", "object": "model"}
    if n_vocab:
        m["n_vocab"] = n_vocab
    return {"object": "list", "data": [m]}


def send_json(handler, status, obj, *headers):
    """Answers with `status` and the JSON of `obj` (Content-Length set), after the (name, value)
    `headers`."""
    b = json.dumps(obj).encode()
    handler.send_response(status)
    for name, value in headers:
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(b)))
    handler.end_headers()
    handler.wfile.write(b)


def stream_tokens(handler, n):
    """Answers a completion request at once: a 200 event stream of `n` events of one token ("x"),
    then [DONE], on a connection that closes after it."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/event-stream")
    handler.send_header("Connection", "close")
    handler.end_headers()
    for _ in range(n):
        handler.wfile.write(b'data: {"choices": [{"index": 0, "text": "x", "finish_reason": null}]}\n\n')
    handler.wfile.write(b"data: [DONE]\n\n")
    handler.wfile.flush()


class FakeModelsHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    n_vocab = 1000

    def log_message(self, *a):
        pass

    def do_GET(self):
        send_json(self, 200, models(self.n_vocab))


def serve(handler):
    """A threading server of `handler` on a free port of 127.0.0.1, serving on a daemon thread;
    returns (server, url). Errors of connections are not printed (a bench that stops early closes
    its connections)."""
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    srv.handle_error = lambda request, address: None
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, "http://127.0.0.1:%d" % srv.server_address[1]


def answer_models_once(sock, then=None):
    """On a thread: accepts one connection on the listening `sock`, answers its GET /v1/models as
    FakeModelsHandler does, closes it, then calls `then` (if given) and accepts nothing more. For a
    listener that must pass bench serve's check of every URL (review BS M4) before it turns into a
    hole that never accepts."""
    import socket

    def once():
        c, _ = sock.accept()
        got = b""
        while b"\r\n\r\n" not in got:
            d = c.recv(4096)
            if not d:
                break
            got += d
        b = json.dumps(models()).encode()
        c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n" % len(b) + b)
        c.shutdown(socket.SHUT_WR)
        c.close()
        if then:
            then()

    threading.Thread(target=once, daemon=True).start()
