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
