"""End-to-end: `infertrace serve` takes a burst of clients connecting at once (docs/serve.md
"Connections and limits"). Each request has a connection of its own, so 64 clients arriving
together are 64 connections waiting to be accepted. cpp-httplib listens with a queue of 5: the
kernel dropped the other SYNs, the clients retried a second later and some were reset (review SL H1).

The server is stopped (SIGSTOP) while the clients connect, so none is accepted meanwhile and every
connection must wait in the listening socket's queue: the kernel completes a handshake only for a
connection the queue has room for. Then the server goes on (SIGCONT) and every client asks
/health on its connection: all must be answered."""
import os
import select
import signal
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from _harness import check, failures, require_serve, run  # noqa: E402
from _serve import start_server  # noqa: E402

require_serve()

CLIENTS = 64

with tempfile.TemporaryDirectory() as tmp:
    model = os.path.join(tmp, "tiny.gguf")
    r = run("model", "synth", "--preset", "tiny-qwen3", "--seed", "3", "-t", "1", "-o", model)
    check(r.returncode == 0, "synth: " + r.stderr)
    server, port = start_server(model, "-t", "1", "--ctx", "128")
    socks = []
    try:
        os.kill(server.pid, signal.SIGSTOP)
        for _ in range(CLIENTS):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", port))
            socks.append(s)
        # A handshake the queue has room for completes at once (loopback); one without room waits
        # for a SYN retry (1 s, then 3 s, ...). 5 s is room for a loaded machine, and short of
        # the retries that would let a stopped server's clients in one by one: none does.
        deadline = time.monotonic() + 5
        pending = set(socks)
        while pending and time.monotonic() < deadline:
            _, writable, _ = select.select([], list(pending), [], 0.1)
            pending -= set(writable)
        connected = [s for s in socks if s not in pending and s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0]
        check(len(connected) == CLIENTS,
              f"{len(connected)} of {CLIENTS} connections completed while the server was not accepting")
        os.kill(server.pid, signal.SIGCONT)
        answered = 0
        for s in connected:
            s.setblocking(True)
            s.settimeout(60)
            s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        for s in connected:
            got = b""
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    got += chunk
            except OSError as e:
                got += f" ({e})".encode()
            answered += got.startswith(b"HTTP/1.1 200")
        check(answered == CLIENTS, f"{answered} of {CLIENTS} clients of the burst answered 200")
    finally:
        os.kill(server.pid, signal.SIGCONT)
        for s in socks:
            s.close()
        server.terminate()
        try:
            server.communicate(timeout=30)
        except Exception:
            server.kill()
            server.communicate()

if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("ok")
