"""The part of the fake OpenAI-compatible servers the bench serve tests share: HTTP/1.1, quiet, and
a /v1/models answer naming one model "fake" with a 1000-token vocabulary (what bench serve asks
before its first request). Each test writes its own do_POST: the streams it checks."""
import http.server
import json


class FakeModelsHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_GET(self):
        b = json.dumps({"object": "list", "data": [{"id": "fake", "object": "model", "n_vocab": 1000}]}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)


def answer_models_once(sock, then=None):
    """On a thread: accepts one connection on the listening `sock`, answers its GET /v1/models as
    FakeModelsHandler does, closes it, then calls `then` (if given) and accepts nothing more. For a
    listener that must pass bench serve's check of every URL (review BS M4) before it turns into a
    hole that never accepts."""
    import socket
    import threading

    def once():
        c, _ = sock.accept()
        got = b""
        while b"\r\n\r\n" not in got:
            d = c.recv(4096)
            if not d:
                break
            got += d
        b = json.dumps({"object": "list", "data": [{"id": "fake", "object": "model", "n_vocab": 1000}]}).encode()
        c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n" % len(b) + b)
        c.shutdown(socket.SHUT_WR)
        c.close()
        if then:
            then()

    threading.Thread(target=once, daemon=True).start()
