"""`infertrace bench serve -m M.gguf --topology sn,dp2`: the bench starts the servers itself. Checks,
against this machine's own CPU list (os.sched_getaffinity) and numbers recomputed here from the
JSON's own points: SN gets every allowed CPU (one NUMA node here), DP-2 two disjoint halves; every
request completes with the asked number of tokens; the crossover rows' deltas and winners follow
the 5% tie band; no server is left running (also after Ctrl-C); a point that completes no request
exits 1 and keeps the servers' logs; bad options are usage errors."""
import json
import os
import re
import signal
import subprocess
import tempfile
import time

from _harness import EXE, check, failures, require_serve, run, skip
from _serve import serve_pids

require_serve()
cpus = sorted(os.sched_getaffinity(0))
if len(cpus) < 2:
    skip("dp2 needs two CPUs")


def servers_of(model):
    """pids of infertrace-serve servers running on `model`."""
    return serve_pids(lambda args: model.encode() in args)


def parse_cpus(text):
    out = []
    for part in text.split(","):
        a, _, b = part.partition("-")
        out += list(range(int(a), int(b or a) + 1))
    return out


with tempfile.TemporaryDirectory() as d:
    model = os.path.join(d, "tiny.gguf")
    r = run("model", "synth", "--preset", "tiny", "-o", model)
    check(r.returncode == 0, f"model synth: {r.stderr}")
    out = os.path.join(d, "study.json")
    r = run("bench", "serve", "-m", model, "--topology", "sn,dp2", "--profile", "concurrent", "--concurrency", "1,3",
            "--requests", "6", "--prompt-tokens", "24", "--output-tokens", "12", "--prefill-chunk", "5", "--json", "-o", out,
            timeout=600)
    check(r.returncode == 0, f"bench serve -m: exit {r.returncode}: {r.stderr[-2000:]}")
    doc = json.loads(r.stdout)
    with open(out) as f:
        check(json.load(f) == doc, "-o writes the --json document")
    check(doc["schema"] == "infertrace.bench_serve_topologies/1", "schema")
    topo = {t["name"]: t for t in doc["topologies"]}
    check(list(topo) == ["sn", "dp2"], f"topologies in order: {list(topo)}")
    sn_cpus = [parse_cpus(s["cpus"]) for s in topo["sn"]["servers"]]
    dp_cpus = [parse_cpus(s["cpus"]) for s in topo["dp2"]["servers"]]
    check(len(sn_cpus) == 1, "sn: one server")
    with open("/sys/devices/system/node/online") as f:
        one_node = f.read().strip() == "0"
    if one_node:
        check(sn_cpus[0] == cpus, f"sn on every allowed CPU: {sn_cpus} vs {cpus}")
        half = (len(cpus) + 1) // 2
        check(dp_cpus == [cpus[:half], cpus[half:]], f"dp2 on the two halves of the CPU list: {dp_cpus}")
    check(len(dp_cpus) == 2 and not set(dp_cpus[0]) & set(dp_cpus[1]), "dp2: two disjoint CPU sets")
    urls = [s["url"] for s in topo["dp2"]["servers"]]
    check(len(set(urls)) == 2 and all(u.startswith("http://127.0.0.1:") for u in urls), f"dp2 urls {urls}")
    for name, t in topo.items():
        pts = t["run"]["points"]
        check([p["concurrency"] for p in pts] == [1, 3], f"{name}: points {[p.get('concurrency') for p in pts]}")
        for p in pts:
            check(p["completed"] == 6 and p["sent"] == 6 and p["failed"] == 0, f"{name}: {p['completed']}/{p['sent']}")
            check(p["output_tokens"] == 6 * 12, f"{name}: output tokens {p['output_tokens']}")
            check(all(q["tokens"] == 12 for q in p["requests"]), f"{name}: every request 12 tokens")
            # tok/s recomputed from the point's own duration
            check(abs(p["tok_per_s"] - p["output_tokens"] / p["duration_s"]) <= 1e-6 * p["tok_per_s"] + 1e-9,
                  f"{name}: tok/s {p['tok_per_s']}")
    check(len(doc["crossovers"]) == 1, "one comparison")
    c = doc["crossovers"][0]
    check(c["base"] == "sn" and c["alt"] == "dp2", "compared with the first topology")
    check(c["figure"] == "tok_per_s", f"a --requests study is compared on completed tok/s: {c.get('figure')}")
    base_pts = {p["concurrency"]: p["tok_per_s"] for p in topo["sn"]["run"]["points"]}
    alt_pts = {p["concurrency"]: p["tok_per_s"] for p in topo["dp2"]["run"]["points"]}
    check([row["load"] for row in c["rows"]] == [1, 3], f"crossover loads {[row['load'] for row in c['rows']]}")
    wins = []
    for row in c["rows"]:
        b, a = base_pts[row["load"]], alt_pts[row["load"]]
        delta = (a - b) / b * 100
        check(abs(row["delta_pct"] - delta) < 1e-6, f"delta at {row['load']}: {row['delta_pct']} vs {delta}")
        want = "tie" if abs(delta) <= 5 else ("dp2" if delta > 0 else "sn")
        check(row["winner"] == want, f"winner at {row['load']}: {row['winner']} vs {want}")
        wins.append(want)
    # The crossover, recomputed: smallest load of the tail where dp2 never loses and wins somewhere.
    expect = None
    for row, w in reversed(list(zip(c["rows"], wins))):
        if w == "sn":
            break
        if w == "dp2":
            expect = row["load"]
    check(c["load"] == expect, f"crossover {c['load']} vs {expect}")
    check(not doc["energy"]["supported"] or doc["topologies"][0]["energy_j"][0] is not None, "energy per point")
    for t in doc["topologies"]:
        # One joule figure and one window per point; a window only where there are joules.
        check(len(t["energy_j"]) == len(t["energy_window_s"]) == len(t["run"]["points"]), "energy arrays per point")
        check(all((j is None) == (w is None) for j, w in zip(t["energy_j"], t["energy_window_s"])), "window iff joules")
    check(servers_of(model) == [], "no server left after the study")
    # The servers ran with the chunk given here (24-token prompts in chunks of 5) and the context
    # sized to the work (24 + 12 tokens), and the default queue (--max-queue 64, passed since SV58 L1).
    for name, t in topo.items():
        args = t.get("server_args", [])
        check(args[:6] == ["--max-batch", "8", "--max-queue", "64", "--ctx", "36"] and args[-4:] == ["--prefill-chunk", "5", "--prompt-math", "auto"],
              f"{name}: server_args {args}")

    # Without --prefill-chunk the servers' default is passed, and said.
    r = run("bench", "serve", "-m", model, "--requests", "1", "--prompt-tokens", "4", "--output-tokens", "2", "--json")
    args = json.loads(r.stdout)["topologies"][0]["server_args"] if r.returncode == 0 else []
    check(args[-4:-2] == ["--prefill-chunk", "128"], f"default chunk in server_args: {args} {r.stderr[-300:]}")

    # --prompt-math is passed to the servers (always: the JSON's server_args say it; auto above).
    r = run("bench", "serve", "-m", model, "--requests", "1", "--prompt-tokens", "4", "--output-tokens", "2",
            "--prompt-math", "f32", "--json")
    args = json.loads(r.stdout)["topologies"][0]["server_args"] if r.returncode == 0 else []
    check(args[-2:] == ["--prompt-math", "f32"], f"--prompt-math f32 in server_args: {args} {r.stderr[-300:]}")

    # Text output: one table per topology and the comparison.
    r = run("bench", "serve", "-m", model, "--topology", "sn,dp2", "--profile", "synchronous", "--requests", "2",
            "--prompt-tokens", "8", "--output-tokens", "4")
    check(r.returncode == 0, f"text run: {r.stderr[-1000:]}")
    check("## topology sn" in r.stdout and "## topology dp2" in r.stdout and "## dp2 against sn" in r.stdout,
          "text: both topologies and the comparison")
    check("energy:" in r.stdout, "text says whether energy was measured")
    check(r.stdout.count("Definitions (docs/metrics.md section 6)") == 1 and
          r.stdout.rstrip().endswith("(not yet sent at the close), in no distribution."), "the definitions once, at the end")

    # Ctrl-C in the middle: the bench dies of the signal, its servers go too, and so does the
    # servers' log directory it made in TMPDIR (before, every interrupted bench left one in /tmp).
    sigint_tmp = os.path.join(d, "sigint-tmp")
    os.mkdir(sigint_tmp)
    p = subprocess.Popen([EXE, "bench", "serve", "-m", model, "--topology", "dp2", "--profile", "concurrent",
                          "--concurrency", "2", "--requests", "100000", "--prompt-tokens", "8", "--output-tokens", "64"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                         env=dict(os.environ, TMPDIR=sigint_tmp))
    deadline = time.time() + 60
    while time.time() < deadline and len(servers_of(model)) < 2:
        time.sleep(0.1)
    check(len(servers_of(model)) == 2, "dp2: two servers running")
    time.sleep(0.5)
    p.send_signal(signal.SIGINT)
    try:
        p.wait(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        check(False, "bench did not end after SIGINT")
    deadline = time.time() + 10
    while time.time() < deadline and servers_of(model):
        time.sleep(0.1)
    check(servers_of(model) == [], f"no server left after SIGINT: {servers_of(model)}")
    check(p.returncode == -signal.SIGINT, f"the bench died of SIGINT: {p.returncode}")
    check(os.listdir(sigint_tmp) == [], f"no log directory left in TMPDIR after SIGINT: {os.listdir(sigint_tmp)}")

    # A server that fails (here: not listening within --start-timeout 0.001 s) is the one case whose
    # log directory is kept: the error names the log in it.
    fail_tmp = os.path.join(d, "fail-tmp")
    os.mkdir(fail_tmp)
    r = subprocess.run([EXE, "bench", "serve", "-m", model, "--requests", "1", "--prompt-tokens", "4",
                        "--output-tokens", "2", "--start-timeout", "0.001"], capture_output=True, text=True,
                       errors="replace", timeout=120, env=dict(os.environ, TMPDIR=fail_tmp))
    m = re.search(r"\(log: (\S+)\)", r.stderr)
    check(r.returncode == 1 and m is not None and os.path.isfile(m.group(1)) and m.group(1).startswith(fail_tmp + "/"),
          f"a failed server's log is kept and named: {r.returncode} {r.stderr[-500:]!r}")

    # A point that completes no request (here: a --duration window of 10 ms closes on a request of
    # 500 tokens, ~85 ms on the tiny model, cut there with --no-drain) fails the
    # bench (exit 1), and the servers' logs, its diagnosis, are kept and named; a run that completes
    # its requests keeps none.
    empty_tmp = os.path.join(d, "empty-tmp")
    os.mkdir(empty_tmp)
    r = subprocess.run([EXE, "bench", "serve", "-m", model, "--duration", "0.01", "--prompt-tokens", "8",
                        "--output-tokens", "500", "--no-drain"], capture_output=True, text=True,
                       errors="replace", timeout=120, env=dict(os.environ, TMPDIR=empty_tmp))
    m = re.search(r"the servers' logs are kept in (\S+)", r.stderr)
    check(r.returncode == 1 and "completed no request" in r.stderr and m is not None and
          os.path.isdir(m.group(1)) and m.group(1).startswith(empty_tmp + "/") and os.listdir(m.group(1)) != [],
          f"no request completed: exit 1, logs kept and named: {r.returncode} {r.stderr[-500:]!r}")
    ok_tmp = os.path.join(d, "ok-tmp")
    os.mkdir(ok_tmp)
    r = subprocess.run([EXE, "bench", "serve", "-m", model, "--requests", "1", "--prompt-tokens", "4",
                        "--output-tokens", "2"], capture_output=True, text=True, errors="replace", timeout=120,
                       env=dict(os.environ, TMPDIR=ok_tmp))
    check(r.returncode == 0 and os.listdir(ok_tmp) == [] and "logs are kept" not in r.stderr,
          f"a run that completes keeps no log directory: {r.returncode} {os.listdir(ok_tmp)} {r.stderr[-300:]!r}")

    # Usage errors (exit 2) and a missing model (exit 1).
    for args in (["--topology", "tp2"], ["--topology", "dp99"], ["--url", "http://127.0.0.1:1"], ["--max-batch", "0"]):
        r = run("bench", "serve", "-m", model, "--requests", "1", *args)
        check(r.returncode == 2, f"{args}: exit {r.returncode} {r.stderr[-300:]}")
    r = run("bench", "serve", "-m", os.path.join(d, "missing.gguf"), "--requests", "1")
    check(r.returncode == 1 and "missing.gguf" in r.stderr, f"missing model: {r.returncode} {r.stderr}")
    r = run("bench", "serve", "-m", model, "--requests", "1", "-o", d)
    check(r.returncode == 1 and "directory" in r.stderr and servers_of(model) == [],
          f"-o DIR refused before any server starts: {r.returncode} {r.stderr}")
    r = run("bench", "serve", "--topology", "sn", "--url", "http://127.0.0.1:1", "--requests", "1")
    check(r.returncode == 2, f"--topology without -m: {r.returncode}")
    r = run("bench", "serve", "--prefill-chunk", "4", "--url", "http://127.0.0.1:1", "--requests", "1")
    check(r.returncode == 2 and "needs -m" in r.stderr, f"--prefill-chunk without -m: {r.returncode} {r.stderr}")
    r = run("bench", "serve", "--prompt-math", "f32", "--url", "http://127.0.0.1:1", "--requests", "1")
    check(r.returncode == 2 and "needs -m" in r.stderr, f"--prompt-math without -m: {r.returncode} {r.stderr}")
    r = run("bench", "serve", "-m", model, "--prompt-math", "int4", "--requests", "1")
    check(r.returncode == 2 and "--prompt-math" in r.stderr and servers_of(model) == [],
          f"--prompt-math int4: {r.returncode} {r.stderr}")
    for bad in ("-1", "-2"):
        r = run("bench", "serve", "-m", model, "--prefill-chunk", bad, "--requests", "1")
        check(r.returncode == 2 and "--prefill-chunk" in r.stderr, f"--prefill-chunk {bad}: {r.returncode} {r.stderr}")

if failures:
    raise SystemExit(1)
print("ok")
