"""`bench serve --json -o /dev/stdout`: -o takes fd 1 and the verb's own stdout moves to stderr, so
--json's copy of the same document used to land on stderr as a second copy (review BK item 1).
The document must appear once, on stdout, both into a pipe and into a redirected file (the two
ways util/inherited_descriptor.h writes a descriptor), and stderr must not hold it."""
import http.server
import json
import os
import subprocess
import tempfile
import threading

from _fake_openai import FakeModelsHandler
from _harness import EXE, check, failures, require_serve

require_serve()


class Fake(FakeModelsHandler):
    """An OpenAI-compatible completions server that streams two tokens at once."""

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(b'data: {"choices":[{"index":0,"text":"x"}]}\n\n' * 2 +
                         b'data: {"choices":[],"usage":{"prompt_tokens":8,"completion_tokens":2}}\n\ndata: [DONE]\n\n')
        self.wfile.flush()


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Fake)
threading.Thread(target=server.serve_forever, daemon=True).start()
url = "http://127.0.0.1:%d" % server.server_address[1]
args = [EXE, "bench", "serve", "--url", url, "--prompt-tokens", "8", "--requests", "1", "--output-tokens", "2",
        "--json", "-o", "/dev/stdout"]


def once_on_stdout(out, err, how):
    try:
        doc = json.loads(out)  # a second document after the first would not parse
    except ValueError:
        check(False, "%s: stdout is not one JSON document: %r" % (how, out[:200]))
        return
    check(doc.get("points") and doc["points"][0].get("completed") == 1, "%s: no completed point: %r" % (how, out[:200]))
    check('"points"' not in err, "%s: the document is on stderr too: %r" % (how, err[:200]))


r = subprocess.run(args, capture_output=True, text=True, timeout=120)
check(r.returncode == 0, "into a pipe: exit %d: %s" % (r.returncode, r.stderr))
once_on_stdout(r.stdout, r.stderr, "into a pipe")

with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "out.json")
    with open(path, "w") as f:
        r = subprocess.run(args, stdout=f, stderr=subprocess.PIPE, text=True, timeout=120)
    check(r.returncode == 0, "into a file: exit %d: %s" % (r.returncode, r.stderr))
    with open(path) as f:
        once_on_stdout(f.read(), r.stderr, "into a file")

    # Without --json the table is the verb's own output: it goes to stderr, the document to stdout.
    r = subprocess.run(args[:-3] + ["-o", "/dev/stdout"], capture_output=True, text=True, timeout=120)
    check(r.returncode == 0, "table: exit %d: %s" % (r.returncode, r.stderr))
    once_on_stdout(r.stdout, "", "table")
    check(len(r.stderr.strip()) > 0, "table: nothing on stderr")

server.shutdown()
if failures:
    raise SystemExit(1)
print("ok")
