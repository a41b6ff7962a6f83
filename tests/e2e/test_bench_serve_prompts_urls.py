"""`bench serve --url` against logging fake servers (review BS): prompts differ per request, per
point (warm-ups included) and per seed, and a text prompt (no n_vocab) is --prompt-tokens seeded
words (H2, M3); every URL is checked before the run and a failing one is visible per URL (M4);
a rate whose mean gap exceeds 1e7 s is refused, 1e-7 runs (H1); --concurrency above --requests
starts no more threads than requests (L7); empty or repeated --url items, repeated loads and
topologies in a study are usage errors (L8, M5). Expected values come from the fakes' own logs."""
import json
import os
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from _fake_openai import FakeModelsHandler, send_json, serve, stream_tokens  # noqa: E402
from _harness import EXE, check, failures, require_serve, run  # noqa: E402

require_serve()


def fake(n_vocab=100, status=200):
    """A fake server; returns (url, log): log["prompts"] gets every POST's prompt (JSON text)."""
    log = {"prompts": []}

    class H(FakeModelsHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            log["prompts"].append(json.dumps(body["prompt"]))
            if status != 200:
                send_json(self, status, {"error": {"message": "broken on purpose"}}, ("Connection", "close"))
                return
            stream_tokens(self, body["max_tokens"])

    H.n_vocab = n_vocab  # 0: no n_vocab in /v1/models (a text-only server)
    _, url = serve(H)
    return url, log


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


SWEEP = ["--profile", "concurrent", "--concurrency", "1,2", "--requests", "3", "--prompt-tokens", "6",
         "--output-tokens", "2"]

# H2 + M3, text prompts: 2 points x (1 warm-up + 3 measured) = 8 prompts, all different, each 6 words.
url, log = fake(n_vocab=0)
r = run("bench", "serve", "--url", url, *SWEEP, "--seed", "1", timeout=120)
check(r.returncode == 0, f"text sweep runs: {r.returncode} {r.stderr[-400:]}")
seed1 = list(log["prompts"])
check(len(seed1) == 8, f"8 requests sent: {len(seed1)}")
check(len(set(seed1)) == len(seed1), f"every text prompt differs (points and warm-ups too): {seed1}")
check(all(len(json.loads(p).split()) == 6 for p in seed1), f"each text prompt is 6 words: {seed1}")
log["prompts"].clear()
r = run("bench", "serve", "--url", url, *SWEEP, "--seed", "1", timeout=120)
check(sorted(log["prompts"]) == sorted(seed1), "the same seed sends the same text prompts")
log["prompts"].clear()
r = run("bench", "serve", "--url", url, *SWEEP, "--seed", "2", timeout=120)
check(not set(log["prompts"]) & set(seed1), f"another seed sends other text prompts: {log['prompts']} {seed1}")

# M3, token ids: request i of the second point is not request i of the first.
url, log = fake(n_vocab=1000)
r = run("bench", "serve", "--url", url, *SWEEP, "--seed", "5", timeout=120)
check(r.returncode == 0 and len(log["prompts"]) == 8, f"token-id sweep: {r.returncode} {len(log['prompts'])}")
check(len(set(log["prompts"])) == len(log["prompts"]), f"every token-id prompt differs: {log['prompts']}")

# M4: a URL answering 500 beside a good one: counted per URL, named in the details.
good, glog = fake()
bad, blog = fake(status=500)
r = run("bench", "serve", "--url", good + "," + bad, "--profile", "concurrent", "--concurrency", "2", "--requests", "10",
        "--prompt-tokens", "3", "--output-tokens", "2", "--json", timeout=120)
doc = json.loads(r.stdout) if r.stdout.startswith("{") else {}
pt = (doc.get("points") or [{}])[0]
per = pt.get("per_url")
check(isinstance(per, list) and len(per) == 2, f"per_url has both URLs: {per}")
if isinstance(per, list) and len(per) == 2:
    for k, u in enumerate([good, bad]):
        mine = [q for q in pt["requests"] if q["url"] == k]
        want = {"url": u, "sent": len(mine), "completed": sum(q["error"] is None and not q["incomplete"] for q in mine),
                "failed": sum(q["error"] is not None for q in mine)}
        check({key: per[k][key] for key in want} == want, f"per_url[{k}] {per[k]} vs {want}")
    check(per[1]["completed"] == 0 and per[1]["errors"] == {"http_500": per[1]["sent"]}, f"the bad URL: {per[1]}")
    check(per[0]["sent"] + per[1]["sent"] == pt["sent"] == 10, "per-URL sent adds up")
    # warm-ups (one per URL) + the measured requests the fakes saw
    check(len(blog["prompts"]) == per[1]["sent"] + 1 and len(glog["prompts"]) == per[0]["sent"] + 1,
          f"the fakes saw what per_url says: {len(glog['prompts'])} {len(blog['prompts'])}")
warned = [ln for ln in r.stderr.splitlines() if "warning" in ln]
check(r.returncode == 0 and len(warned) == 1 and f"{bad} completed none of its {per[1]['sent'] if per else '?'} requests"
      in warned[0] and "http_500" in warned[0], f"a stderr warning names the URL: {r.returncode} {r.stderr[-400:]}")
details = [q["error_detail"] for q in pt.get("requests", []) if q["error"]]
check(details and all(d.startswith(bad + ": ") for d in details), f"error details name the URL: {details[:2]}")
r = run("bench", "serve", "--url", good + "," + bad, "--requests", "2", "--prompt-tokens", "3", "--output-tokens", "2",
        timeout=120)
lines = [ln for ln in r.stdout.splitlines() if ln.strip().startswith(bad + ":")]
check(len(lines) == 1 and "completed 0" in lines[0] and "completed none" in lines[0], f"text per URL: {lines}")

# M4: a second URL nobody listens on: refused before anything is sent, the URL named.
dead = "http://127.0.0.1:%d" % free_port()
n_before = len(glog["prompts"])
r = run("bench", "serve", "--url", good + "," + dead, "--requests", "4", "--prompt-tokens", "3", "--output-tokens", "2",
        timeout=120)
check(r.returncode == 1 and dead in r.stderr and len(glog["prompts"]) == n_before,
      f"a dead second URL: exit 1 naming it, nothing sent: {r.returncode} {r.stderr[-300:]} {len(glog['prompts']) - n_before}")

# H1: a rate whose mean gap exceeds 1e7 s is refused before anything is sent; 1e-7 runs.
n_before = len(glog["prompts"])
for rate, extra in (("1e-10", ["--requests", "3"]), ("1e-10", ["--duration", "0.3"]), ("9e-8", ["--requests", "1"])):
    r = run("bench", "serve", "--url", good, "--profile", "constant", "--rate", rate, *extra, "--prompt-tokens", "3",
            "--output-tokens", "2", timeout=60)
    check(r.returncode == 2 and "--rate" in r.stderr, f"--rate {rate} {extra}: {r.returncode} {r.stderr[-300:]}")
check(len(glog["prompts"]) == n_before, "nothing sent for a refused rate")
for profile in ("constant", "poisson"):
    r = run("bench", "serve", "--url", good, "--profile", profile, "--rate", "1e-7", "--duration", "0.5", "--warmup", "0",
            "--prompt-tokens", "3", "--output-tokens", "2", "--json", timeout=60)
    p = json.loads(r.stdout)["points"][0] if r.returncode == 0 else {}
    # The first arrival is at 0; a poisson second one inside 0.5 s has probability ~5e-8.
    check(r.returncode == 0 and p.get("sent") == 1 and p.get("not_sent") == 0
          and all(0 <= q["scheduled_s"] < 0.5 for q in p["requests"]),
          f"{profile} --rate 1e-7 --duration 0.5: one request: {r.returncode} {p.get('sent')} {r.stderr[-300:]}")

# L7: --concurrency above --requests starts one thread per request, not per concurrency: under a
# 2 GiB address space with 64 MiB stacks (about 30 threads fit) 4097 could not start.
limited = subprocess.run(["sh", "-c", 'ulimit -s 65536 && ulimit -v 2097152 && exec "$@"', "sh", EXE, "bench", "serve",
                          "--url", good, "--profile", "concurrent", "--concurrency", "4097", "--requests", "3",
                          "--prompt-tokens", "2", "--output-tokens", "1"],
                         capture_output=True, text=True, errors="replace", timeout=300)
if "AddressSanitizer" in limited.stderr and "ulimit -v" in limited.stderr:
    print("note: sanitizer build, the thread case is not checked")
else:
    check(limited.returncode == 0, f"--concurrency 4097 --requests 3 under a thread limit: {limited.returncode} "
                                   f"{limited.stderr[-300:]}")

# L8: empty and repeated --url items are refused; a trailing '/' is the same URL.
for urls, needle in ((good + ",", "empty"), (good + ",," + bad, "empty"), (good + "," + good, "twice"),
                     (good + "," + good + "/", "twice")):
    r = run("bench", "serve", "--url", urls, "--requests", "1", timeout=60)
    check(r.returncode == 2 and needle in r.stderr, f"--url {urls}: {r.returncode} {r.stderr[-200:]}")
r = run("bench", "serve", "--url", good + "/", "--requests", "1", "--prompt-tokens", "2", "--output-tokens", "1",
        "--json", timeout=60)
check(r.returncode == 0 and json.loads(r.stdout)["urls"] == [good], f"a trailing '/' is dropped: {r.returncode}")

# M5: a topology or a load given twice in a study of several topologies (checked before the model).
for args, needle in ((["--topology", "sn,sn"], "twice"),
                     (["--topology", "sn,dp2", "--profile", "concurrent", "--concurrency", "2,1,2"], "twice")):
    r = run("bench", "serve", "-m", "/nonexistent/m.gguf", *args, "--requests", "1", timeout=60)
    check(r.returncode == 2 and needle in r.stderr, f"{args}: {r.returncode} {r.stderr[-200:]}")

sys.exit(1 if failures else 0)
