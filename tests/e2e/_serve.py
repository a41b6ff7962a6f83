"""Starting `infertrace serve` for the serve end-to-end tests: on a port the kernel picks, learned
from the listening line the server prints (docs/serve.md), read on a thread so that a server that
never prints it fails the test instead of hanging it."""

import os
import re
import subprocess
import sys
import threading

from _harness import EXE, check


def first_line(p, timeout=60):
    """The first line `p` prints on its stdout (a pipe), or "" when none comes within `timeout`
    seconds: read on a thread, because readline() itself has no timeout."""
    got = []
    reader = threading.Thread(target=lambda: got.append(p.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return got[0] if got else ""


def start_server(model, *args):
    """`infertrace serve -m MODEL --port 0 ARGS...`; returns (process, port), or ends the test."""
    p = subprocess.Popen([EXE, "serve", "-m", model, "--port", "0", *args],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = first_line(p)
    m = re.fullmatch(r"infertrace serve: listening on http://127\.0\.0\.1:(\d+)\n", line)
    check(m is not None, "listening line: %r" % line)
    if m is None:
        p.kill()
        print(p.stderr.read())
        sys.exit(1)
    return p, int(m.group(1))


def serve_pids(matches):
    """pids of running `infertrace-serve serve` processes whose arguments satisfy `matches` (a
    predicate over the list of byte strings after `serve`): other tests may run servers of their
    own at the same time, so each test picks out its own by model path."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                args = f.read().split(b"\0")
        except OSError:
            continue
        if len(args) > 1 and args[0].endswith(b"infertrace-serve") and args[1] == b"serve" and matches(args[2:]):
            found.append(int(pid))
    return found


def read_all(s, got=b""):
    """Reads a socket to its end (or an error: a reset, a timeout), closes it, returns the bytes
    with `got` (what was read before) in front."""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
    except OSError:
        pass
    s.close()
    return got
