"""`bench serve -m` passes --server-threads (every server's -t) and --max-queue to the servers it
starts (review SV58 L1: they were fixed at the CPU count and 64, so seed 003's threads-per-instance
axis could not be swept); bad values and their use with --url are usage errors before any server
starts. The drain of a --duration point against a real server is checked here too (review SV58
M1): a closed loop always has requests in flight at the window's close, and every one of them
completes in the drain and enters the latencies."""
import json
import os
import tempfile

from _harness import check, failures, require_serve, run

require_serve()

with tempfile.TemporaryDirectory() as d:
    model = os.path.join(d, "tiny.gguf")
    r = run("model", "synth", "--preset", "tiny", "-o", model)
    check(r.returncode == 0, f"model synth: {r.stderr}")
    r = run("bench", "serve", "-m", model, "--topology", "sn", "--server-threads", "1", "--max-queue", "3",
            "--profile", "concurrent", "--concurrency", "2", "--duration", "0.3", "--prompt-tokens", "8",
            "--output-tokens", "48", "--json", timeout=300)
    check(r.returncode == 0, f"bench serve: exit {r.returncode}: {r.stderr[-2000:]}")
    doc = json.loads(r.stdout)
    (t,) = doc["topologies"]
    a = t["server_args"]
    check(a[:2] == ["-t", "1"] and a[a.index("--max-queue") + 1] == "3", f"server_args {a}")
    (p,) = t["run"]["points"]
    # Drained: nothing cut, at least one request ended after the close, all measured.
    check(p["drain"] is True and p["incomplete"] == 0 and p["drained"] >= 1, f"drain {p['drain']} "
          f"incomplete {p['incomplete']} drained {p['drained']}")
    check(p["completed"] == p["sent"] and p["e2e_ms"]["n"] == p["sent"], f"completed {p['completed']} of {p['sent']}, "
          f"E2E n {p['e2e_ms']['n']}")
    ends = [q["start_s"] + q["e2e_ms"] / 1000 for q in p["requests"]]
    check(p["duration_s"] >= 0.3 and abs(p["duration_s"] - max(max(ends), 0.3)) < 0.01,
          f"duration {p['duration_s']} = window and drain, last end {max(ends)}")
    check(all((e > 0.3) == q["drained"] for e, q in zip(ends, p["requests"])), f"drained flags vs ends {ends}")

    for bad in (["--server-threads", "-1"], ["--server-threads", "100000"], ["--max-queue", "-1"],
                ["--max-queue", "4097"]):
        r = run("bench", "serve", "-m", model, *bad, "--requests", "1")
        check(r.returncode == 2 and bad[0] in r.stderr, f"{bad}: exit {r.returncode} {r.stderr}")
    for opt in ("--server-threads", "--max-queue"):
        r = run("bench", "serve", "--url", "http://127.0.0.1:9", opt, "1", "--requests", "1")
        check(r.returncode == 2 and f"{opt} needs -m" in r.stderr, f"{opt} with --url: {r.returncode} {r.stderr}")

if failures:
    raise SystemExit(1)
print("ok")
