#!/usr/bin/env python3
"""Peak memory of `infertrace serve` reading 32 MiB request bodies of tiny JSON values (review HS H1;
docs/benchmarks.md "Serving"). Starts the server, sends three loads and prints, for each, the
status codes, the wall time and the server's VmRSS before and its VmHWM (peak resident size) after.

  python3 bench/serve_body_memory.py INFERTRACE MODEL.gguf [K]

The loads: one body of 11 M empty objects `{}` in an unknown field, one of 16 M one-digit token
ids, then K (default 4) id bodies at once."""
import json
import re
import socket
import subprocess
import sys
import threading
import time


def status(pid, key):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(key + r":\s+(\d+)", f.read()).group(1)) // 1024


def post(port, body, out):
    s = socket.create_connection(("127.0.0.1", port), timeout=600)
    s.sendall(b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              b"Content-Length: %d\r\n\r\n" % len(body) + body)
    got = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        got += chunk
    s.close()
    out.append(int(got.split(b" ", 2)[1]) if got.startswith(b"HTTP/1.1 ") else None)


def main():
    exe, model = sys.argv[1], sys.argv[2]
    k = int(sys.argv[3]) if len(sys.argv) > 3 else 4
    p = subprocess.Popen([exe, "serve", "-m", model, "--port", "0", "-t", "1", "--max-batch", "6",
                          "--max-queue", "20"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    port = int(p.stdout.readline().strip().rsplit(":", 1)[1])
    objects = b'{"prompt":"hi","max_tokens":1,"x":[' + b"{}," * 11_184_790 + b"{}]}"
    ids = b'{"prompt":[' + b"1," * 16_777_205 + b"1]}"
    try:
        print("idle: VmRSS %d MB, VmHWM %d MB" % (status(p.pid, "VmRSS"), status(p.pid, "VmHWM")))
        for name, bodies in (("32 MiB of {}", [objects]), ("32 MiB of token ids", [ids]),
                             ("32 MiB of token ids x%d at once" % k, [ids] * k)):
            rss0, out, t0 = status(p.pid, "VmRSS"), [], time.time()
            threads = [threading.Thread(target=post, args=(port, b, out)) for b in bodies]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            print("%s: statuses %s, %.1f s, VmRSS before %d MB, VmHWM after %d MB, VmRSS after %d MB"
                  % (name, json.dumps(sorted(out)), time.time() - t0, rss0, status(p.pid, "VmHWM"),
                     status(p.pid, "VmRSS")))
    finally:
        p.terminate()
        p.wait()


if __name__ == "__main__":
    main()
