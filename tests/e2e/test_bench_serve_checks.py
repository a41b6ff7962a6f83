"""`bench serve` checks every option it can before it starts anything (cmd_bench_serve.cpp). Before,
with -m these failed only after the first server had been started (and its log directory made):
--max-batch 2000 and --ctx beyond the model's training context (the server refused them at its
start, exit 1), a model that is not a GGUF file, --start-timeout 1e300 (overflowed the int
milliseconds: "did not say where it listens within -2147483 s"), --concurrency 100000 (the bench
aborted, "terminate called", exit 134); --ctx smaller than a request ran every request into HTTP 400
and exited 0; --topology bogus left its empty log directory in TMPDIR. Now each is refused (exit 2,
a model that is not GGUF exit 1) with one line, while no server runs: no infertrace-serve server
process appears at any time during the call (polled every 5 ms; a server lives at least as long as
its model load) and TMPDIR, where the servers' log directory is made just before the first starts,
stays empty. A --ctx that exactly fits still runs."""
import os
import subprocess
import tempfile
import threading
import time

from _harness import EXE, check, failures, require_serve, run
from _serve import serve_pids

require_serve()


def servers(under):
    """pids of `infertrace-serve serve` processes on a model under the folder `under` (other tests
    may run servers of their own at the same time)."""
    return serve_pids(lambda args: any(a.startswith(under.encode() + b"/") for a in args))


def bench_watched(under, tmpdir, *args):
    """Runs `infertrace bench serve ARGS` with TMPDIR=tmpdir; returns (result, servers seen meanwhile)."""
    seen = set()
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            seen.update(servers(under))
            time.sleep(0.005)

    w = threading.Thread(target=watch)
    w.start()
    try:
        r = subprocess.run([EXE, "bench", "serve", *args], capture_output=True, text=True, errors="replace",
                           timeout=300, env=dict(os.environ, TMPDIR=tmpdir))
    finally:
        stop.set()
        w.join()
    return r, seen


with tempfile.TemporaryDirectory() as d:
    model = os.path.join(d, "tiny.gguf")
    r = run("model", "synth", "--preset", "tiny", "-o", model)
    check(r.returncode == 0, f"model synth: {r.stderr}")
    n_ctx_train = 512  # the tiny preset's context_length (model preset tiny)
    p = run("model", "info", model)
    check(str(n_ctx_train) in p.stdout, f"tiny preset's training context is {n_ctx_train}: {p.stdout[:800]}")
    not_gguf = os.path.join(d, "not.gguf")
    with open(not_gguf, "w") as f:
        f.write("not a model\n")
    tmpdir = os.path.join(d, "tmp")
    os.mkdir(tmpdir)
    before = servers(d)
    check(before == [], f"no infertrace-serve server runs before the test: {before}")

    BASE = {"--requests": "1", "--prompt-tokens": "4", "--output-tokens": "2"}
    # (arguments, exit code, what the one line says)
    CASES = [
        (["-m", model, "--max-batch", "1025"], 2, "--max-batch must be between 1 and 1024"),
        (["-m", model, "--max-batch", "0"], 2, "--max-batch must be between 1 and 1024"),
        (["-m", model, "--ctx", "100000"], 2, f"--ctx 100000 exceeds the model's training context of {n_ctx_train}"),
        (["-m", model, "--ctx", "5"], 2, "--prompt-tokens + --output-tokens (6) exceed --ctx 5"),
        (["-m", model, "--ctx", "-1"], 2, "--ctx must be >= 0"),
        (["-m", model, "--prompt-tokens", str(n_ctx_train)], 2,
         f"--prompt-tokens + --output-tokens = {n_ctx_train + 2} exceeds the model's training context of {n_ctx_train}"),
        (["-m", model, "--prompt-tokens", str((1 << 20) + 1)], 2, "--prompt-tokens and --output-tokens must be at most 1048576 with -m"),
        (["-m", model, "--output-tokens", "0"], 2, "--prompt-tokens and --output-tokens must be >= 1"),
        (["-m", model, "--start-timeout", "1e300"], 2, "--start-timeout must be > 0 and at most 86400 s"),
        (["-m", model, "--start-timeout", "0"], 2, "--start-timeout must be > 0"),
        (["-m", model, "--start-timeout", "nan"], 2, "--start-timeout: must be a finite number (got nan)"),
        (["-m", model, "--profile", "concurrent", "--concurrency", "1,100000"], 2,
         "--concurrency values must be at most 4096 with -m"),
        (["-m", model, "--profile", "concurrent", "--concurrency", "0"], 2, "--concurrency values must be >= 1"),
        (["-m", model, "--profile", "constant", "--rate", "2e6"], 2, "--rate values must be at least 1e-7 (one request per 1e7 s) and at most 1e6"),
        (["-m", model, "--profile", "poisson", "--rate", "0"], 2, "--rate values must be at least 1e-7"),
        (["-m", model, "--profile", "constant", "--rate", "1e-10"], 2, "--rate values must be at least 1e-7"),
        (["-m", model, "--topology", "sn,bogus"], 2, "unknown topology 'bogus'"),
        (["-m", model, "--topology", "tp2"], 2, "tensor parallelism is not available"),
        (["-m", model, "--topology", "dp999"], 2, "topology dp999 needs at least 999 CPUs"),
        (["-m", model, "--timeout", "1e8"], 2, "--timeout must be > 0 and at most 1e7 s"),
        (["-m", model, "--prefill-chunk", "-1"], 2, "--prefill-chunk must be >= 0"),
        (["-m", not_gguf], 1, "not a GGUF file"),
        (["-m", os.path.join(d, "missing.gguf")], 1, "no such model file"),
        (["--url", "http://127.0.0.1:70000"], 2, "--url port out of range"),
        (["--url", "http://127.0.0.1:0"], 2, "--url port out of range"),
        # Said before anything is sent (port 9 is never asked): the body of 1e11 ids was an
        # 800 GB allocation.
        (["--url", "http://127.0.0.1:9", "--prompt-tokens", str((1 << 24) + 1)], 2,
         "--prompt-tokens must be at most 16777216"),
        (["--url", "http://127.0.0.1:9", "--endpoint", "chat", "--prompt-tokens", "100000000000"], 2,
         "--prompt-tokens must be at most 16777216"),
    ]
    for args, rc, says in CASES:
        base = [w for k, v in BASE.items() if k not in args for w in (k, v)]
        r, seen = bench_watched(d, tmpdir, *base, *args)
        check(r.returncode == rc and says in r.stderr and r.stderr.count("\n") == 1,
              f"{args}: exit {rc}, one line saying {says!r}; got {r.returncode} {r.stderr[-500:]!r}")
        check(not seen, f"{args}: no server started, saw {sorted(seen)}")
        check(os.listdir(tmpdir) == [], f"{args}: no log directory made: {os.listdir(tmpdir)}")
        for name in os.listdir(tmpdir):
            subprocess.run(["rm", "-rf", os.path.join(tmpdir, name)])

    # The bound is the fit itself: prompt + output = --ctx runs, every request completes.
    r, seen = bench_watched(d, tmpdir, "--requests", "2", "--prompt-tokens", "4", "--output-tokens", "2", "--ctx", "6",
                            "-m", model, "--json")
    # Exit 0 and both requests completed (below) prove a server ran; the /proc watcher's count is
    # only reported: under ASan on a loaded machine it once came out other than 1.
    check(r.returncode == 0, f"--ctx 6 for 4 + 2 tokens runs: {r.returncode}, servers seen {sorted(seen)} {r.stderr[-800:]}")
    if r.returncode == 0:
        import json
        point = json.loads(r.stdout)["topologies"][0]["run"]["points"][0]
        check(point["completed"] == 2 and point["failed"] == 0, f"--ctx 6: both requests complete: {point.get('errors')}")
    check(servers(d) == [], f"no server left: {servers(d)}")

if failures:
    raise SystemExit(1)
print("ok")
