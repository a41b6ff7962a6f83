"""`infertrace serve` checks every option it can without the model before loading it (a large model
takes seconds to load): with a model path that does not exist, each bad option below is what the
error names, not the file. `--ctx -1` was refused only after the load, and a `--host` that does not
resolve or a port in use only when the server bound it, after the load too. The trial bind is the
last check, so a bad option is a usage error on a port in use too. A second server on the
port a running one listens on is refused (cpp-httplib's SO_REUSEPORT let it bind that port, and
the kernel shared the connections between the two servers). The server's own bind, failing, says
why as the trial does, and an IPv6 address is written in brackets ("[::1]:PORT")."""
import errno
import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import EXE, check, failures, require_serve, run  # noqa: E402
from _serve import first_line, start_server  # noqa: E402

require_serve()

ABSENT = "/nonexistent/infertrace-test/model.gguf"


def serve(*args, timeout=60):
    """`serve -m ABSENT ARGS...`, or (rc, stderr) of a server that did not stop by itself."""
    p = subprocess.Popen([EXE, "serve", "-m", ABSENT, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         text=True)
    try:
        _, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        _, err = p.communicate()
        return None, err
    return p.returncode, err


# Usage errors (exit 2), one line naming the option. Each row listens on --port 0 (unless it is
# about --port), so that whether port 8000 is free here cannot decide it.
for args, names in [
        (["--ctx", "-1"], "--ctx"),
        (["--port", "-1"], "--port"),
        (["--port", "65536"], "--port"),
        (["--max-batch", "0"], "--max-batch"),
        (["--max-batch", "1025"], "--max-batch"),
        (["--max-queue", "-1"], "--max-queue"),
        (["--max-queue", "4097"], "--max-queue"),
        (["--prefill-chunk", "-1"], "--prefill-chunk"),
        (["--ubatch", "0"], "--ubatch"),
        (["--body-deadline", "0"], "--body-deadline"),
        (["--body-deadline", "3601"], "--body-deadline"),
        (["--drain-timeout", "-1"], "--drain-timeout"),
        (["--drain-timeout", "3601"], "--drain-timeout"),
        (["-t", "-1"], "-t"),
        (["-t", "100000"], "-t 100000"),
        (["--isa", "sse9"], "--isa"),
        (["--cpus", "x-y"], "--cpus"),
]:
    rc, err = serve(*(args if args[0] == "--port" else args + ["--port", "0"]))
    check(rc == 2 and err.startswith("infertrace: error: ") and err.count("\n") == 1 and names in err
          and ABSENT not in err, "serve %s -m ABSENT: usage error naming %s before the load, got %s %r"
          % (" ".join(args), names, rc, err))

# A --host that does not exist: a name under .invalid, which no resolver may answer (RFC 6761; not
# a malformed address such as 999.1.1.1, which the resolver also sends to DNS). A usage error when
# this machine's resolver says there is no such name, as it does here within milliseconds; where
# it cannot answer at all (no DNS server reachable: EAI_AGAIN) the lookup failed instead, exit 1.
BAD_HOST = "no-such-host.invalid"
try:
    socket.getaddrinfo(BAD_HOST, 0, socket.AF_UNSPEC, socket.SOCK_STREAM)
    lookup = None
except socket.gaierror as e:
    lookup = e.errno
rc, err = serve("--host", BAD_HOST, "--port", "0")
if lookup in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", None), getattr(socket, "EAI_ADDRFAMILY", None)):
    check(rc == 2 and err.startswith("infertrace: error: --host %s: " % BAD_HOST) and err.count("\n") == 1
          and ABSENT not in err, "--host %s: usage error, got %s %r" % (BAD_HOST, rc, err))
elif lookup is not None:
    check(rc == 1 and ("--host %s: cannot resolve it" % BAD_HOST) in err and ABSENT not in err,
          "--host %s (lookup failed here, %s): exit 1, got %s %r" % (BAD_HOST, lookup, rc, err))
else:
    print("note: this machine's resolver answers %s: not checked" % BAD_HOST)

# Runtime errors about the address (exit 1), still before the load: one this machine does not
# have (TEST-NET-1, RFC 5737), and a port another socket listens on. Where
# net.ipv4.ip_nonlocal_bind is 1 any address binds, so the first is not refused there.
try:
    with open("/proc/sys/net/ipv4/ip_nonlocal_bind") as f:
        nonlocal_bind = f.read().strip() != "0"
except OSError:
    nonlocal_bind = False
if nonlocal_bind:
    print("note: net.ipv4.ip_nonlocal_bind=1 here: --host 192.0.2.1 binds, not checked")
else:
    rc, err = serve("--host", "192.0.2.1", "--port", "0")
    check(rc == 1 and "cannot listen on 192.0.2.1:0" in err and ABSENT not in err,
          "--host 192.0.2.1: %s %r" % (rc, err))
holder = socket.socket()
holder.bind(("127.0.0.1", 0))
holder.listen(1)
held = holder.getsockname()[1]
rc, err = serve("--port", str(held))
check(rc == 1 and ("cannot listen on 127.0.0.1:%d" % held) in err and "in use" in err and ABSENT not in err,
      "--port %d (held): %s %r" % (held, rc, err))
# A bad option is still a usage error on a port in use: the trial bind is the last check (it came
# before --isa and --cpus, which then read "cannot listen", exit 1).
for args, names in [(["--isa", "sse9"], "--isa"), (["--cpus", "x-y"], "--cpus")]:
    rc, err = serve(*args, "--port", str(held))
    check(rc == 2 and names in err and "cannot listen" not in err,
          "%s on a held port: usage error naming %s, got %s %r" % (" ".join(args), names, rc, err))
holder.close()
# With every option valid, the error is the model file's (the checks above are not all refusals).
rc, err = serve("--port", "0", "--ctx", "16", "--host", "127.0.0.1")
check(rc == 1 and ABSENT in err, "valid options, absent model: %s %r" % (rc, err))

# With a model: the server's own bind failing, the listening line of an IPv6 address, and a second
# server on the port of a running one.
with tempfile.TemporaryDirectory() as tmp:
    model = os.path.join(tmp, "tiny.gguf")
    r = run("model", "synth", "--preset", "tiny-qwen3", "--seed", "3", "-t", "1", "-o", model)
    check(r.returncode == 0, "synth: " + r.stderr)

    # The server's own bind failing after the trial one passed (as when the port is taken between
    # the two): strace makes its listen() fail with EADDRINUSE (the trial binds without listening).
    # The message is the trial's, with errno's reason (it said "(address in use or invalid)").
    if shutil.which("strace"):
        # LeakSanitizer cannot run under ptrace (a sanitizer build fails at exit): off for this run.
        asan = os.environ.get("ASAN_OPTIONS", "")
        traced_env = dict(os.environ, ASAN_OPTIONS=(asan + ":" if asan else "") + "detect_leaks=0")
        p = subprocess.run(["strace", "-f", "-qq", "-o", os.devnull, "-e", "trace=listen", "-e",
                            "inject=listen:error=EADDRINUSE", EXE, "serve", "-m", model, "-t", "1", "--ctx", "64",
                            "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60,
                           env=traced_env)
        if "strace:" in p.stderr:  # not allowed to trace here (ptrace refused)
            print("note: strace cannot run here: a failed server bind not checked: %r" % p.stderr[-200:])
        else:
            check(p.returncode == 1 and p.stderr == "infertrace: error: cannot listen on 127.0.0.1:0: %s\n"
                  % os.strerror(errno.EADDRINUSE) and "listening" not in p.stdout,
                  "server's own bind failed: %s %r %r" % (p.returncode, p.stdout, p.stderr[-300:]))
    else:
        print("note: no strace here: a failed server bind not checked")

    # An IPv6 address is bracketed in the listening line, which is then a URL that works.
    if socket.has_ipv6 and os.path.exists("/proc/net/if_inet6"):
        # Also written in brackets, as the listening line writes it (review CT L4: refused before as
        # "Name or service not known").
        for host in ("::1", "[::1]"):
            v6 = subprocess.Popen([EXE, "serve", "-m", model, "-t", "1", "--ctx", "64", "--host", host, "--port", "0"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            try:
                line = first_line(v6)  # "" after 60 s: a server that never listens fails here, not at ctest's limit
                m = re.fullmatch(r"infertrace serve: listening on http://\[::1\]:(\d+)\n", line)
                check(m is not None, "--host %s: listening line %r" % (host, line))
                if m:
                    c = http.client.HTTPConnection("::1", int(m.group(1)), timeout=10)
                    c.request("GET", "/health")
                    got = c.getresponse()
                    check(got.status == 200 and got.read() == b"ok", "GET /health on [::1]:%s" % m.group(1))
                    c.close()
            finally:
                v6.terminate()
                try:
                    v6.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    v6.kill()
                    v6.wait()
    else:
        print("note: no IPv6 here: the bracketed listening line not checked")
    # A second server on the port of a running one: refused, the first keeps the port.
    first, port = start_server(model, "-t", "1", "--ctx", "64")
    try:
        p = subprocess.Popen([EXE, "serve", "-m", model, "-t", "1", "--ctx", "64", "--port", str(port)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            out, err = p.communicate(timeout=30)
            rc = p.returncode
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            rc = None
        check(rc == 1 and ("127.0.0.1:%d" % port) in err and "in use" in err and "listening" not in out,
              "second server on port %d: %s %r %r" % (port, rc, out, err[-300:]))
    finally:
        first.terminate()
        try:
            first.wait(timeout=10)
        except subprocess.TimeoutExpired:
            first.kill()
            first.wait()

if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("ok")
