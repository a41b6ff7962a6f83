"""`bench serve --url`: the -m caps (--concurrency 4096, --prompt-tokens/--output-tokens 2^20,
which size the KV caches of servers started here) do not refuse a study of someone else's server,
whose limits are its own; a request thread that cannot be started is an error (exit 1, one line),
not an abort. Against a fake server here that answers every request at once with one token per
max_tokens: --concurrency 4097 and --prompt-tokens 2^20 + 1 run and complete; the same
--concurrency with --duration (so all 4097 workers start; with --requests 3 only 3 would) under a
2 GiB address-space limit with 64 MiB thread stacks (so at most ~30 threads fit) exits 1 saying the
thread could not be started."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from _fake_openai import FakeModelsHandler, serve, stream_tokens  # noqa: E402
from _harness import EXE, check, failures, require_serve, run  # noqa: E402

require_serve()

prompt_lengths = []


class Quick(FakeModelsHandler):
    n_vocab = 100

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        prompt_lengths.append(len(body["prompt"]))
        stream_tokens(self, body["max_tokens"])


srv, URL = serve(Quick)

r = run("bench", "serve", "--url", URL, "--profile", "concurrent", "--concurrency", "4097", "--requests", "3",
        "--prompt-tokens", "2", "--output-tokens", "1", "--json", timeout=300)
check(r.returncode == 0, f"--url --concurrency 4097 runs: {r.returncode} {r.stderr[-600:]}")
if r.returncode == 0:
    check(json.loads(r.stdout)["points"][0]["completed"] == 3, "its 3 requests complete")

big = (1 << 20) + 1
r = run("bench", "serve", "--url", URL, "--requests", "1", "--prompt-tokens", str(big), "--output-tokens", "1",
        "--json", timeout=300)
check(r.returncode == 0 and prompt_lengths[-1:] == [big],
      f"--url --prompt-tokens 2^20+1 runs and sends that many ids: {r.returncode} {prompt_lengths[-1:]} {r.stderr[-600:]}")

# The bench exec's infertrace-serve; both inherit the limits.
limited = subprocess.run(["sh", "-c", 'ulimit -s 65536 && ulimit -v 2097152 && exec "$@"', "sh", EXE, "bench", "serve",
                          "--url", URL, "--profile", "concurrent", "--concurrency", "4097", "--duration", "2",
                          "--prompt-tokens", "2", "--output-tokens", "1"],
                         capture_output=True, text=True, errors="replace", timeout=300)
lines = limited.stderr.strip().splitlines()
if "AddressSanitizer" in limited.stderr and "ulimit -v" in limited.stderr:
    # An ASan build reserves terabytes of shadow memory at start: it cannot run under ulimit -v.
    print("note: sanitizer build, the thread-limit case is not checked")
else:
    check(limited.returncode == 1 and len(lines) == 1 and "cannot start request thread" in lines[0],
          f"a thread that cannot start: exit 1, one line: {limited.returncode} {limited.stderr[-600:]!r}")
srv.shutdown()

if failures:
    sys.exit(1)
print("ok")
