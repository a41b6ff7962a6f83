"""`bench serve --client-cpus LIST` (review R55: on a 2-CPU VM the unpinned load generator shared
the server's CPUs and read its tokens in bursts, ITL p50 3 us where the server sent them 13-23 us
apart). With -m the servers are planned on the allowed CPUs minus LIST and the load generator is
pinned to LIST (the JSON's client_cpus is the mask read back from the kernel); without it the text
says the load generator shares the servers' CPUs and the JSON flags it; a list outside the allowed
CPUs, one that takes them all, or one leaving too few for the topology is a usage error (exit 2)
before any server starts. With --url the list only pins the client. No timing is asserted."""
import json
import os
import tempfile

from _harness import check, failures, refused, require_serve, run, skip
from _serve import serve_pids, start_server

require_serve()
cpus = sorted(os.sched_getaffinity(0))
if len(cpus) < 2:
    skip("--client-cpus needs two CPUs: one for the load generator, one for the server")


def cpu_list(ids):
    """The kernel's "0-3,6" form, as the JSON writes CPU sets."""
    out, i = [], 0
    while i < len(ids):
        j = i
        while j + 1 < len(ids) and ids[j + 1] == ids[j] + 1:
            j += 1
        out.append(str(ids[i]) if j == i else f"{ids[i]}-{ids[j]}")
        i = j + 1
    return ",".join(out)


NOTE = "note: the load generator shares CPUs "
small = ["--requests", "2", "--prompt-tokens", "4", "--output-tokens", "3"]

with tempfile.TemporaryDirectory() as d:
    model = os.path.join(d, "tiny.gguf")
    r = run("model", "synth", "--preset", "tiny", "-o", model)
    check(r.returncode == 0, f"model synth: {r.stderr}")
    client = cpus[-1]
    rest = cpus[:-1]

    # Pinned: the server gets every allowed CPU but the client's (on 2 CPUs, --client-cpus 1: CPU 0).
    r = run("bench", "serve", "-m", model, "--client-cpus", str(client), *small, "--json", timeout=300)
    check(r.returncode == 0, f"--client-cpus {client}: exit {r.returncode}: {r.stderr[-1500:]}")
    if r.returncode == 0:
        t = json.loads(r.stdout)["topologies"][0]
        check([s["cpus"] for s in t["servers"]] == [cpu_list(rest)], f"server CPUs without the client's: {t['servers']}")
        check(t["client_cpus"] == str(client), f"client_cpus (read back from the kernel): {t['client_cpus']}")
        check(t["client_shares_server_cpus"] is False and t["client_shared_cpus"] is None,
              f"pinned off the servers: {t['client_shares_server_cpus']} {t['client_shared_cpus']}")
        check(t["run"]["points"][0]["completed"] == 2, "the pinned load generator completed its requests")
    r = run("bench", "serve", "-m", model, "--client-cpus", str(client), *small, timeout=300)
    check(r.returncode == 0 and NOTE not in r.stdout, f"no sharing note when pinned off: {r.stdout[:600]}")
    check(f"load generator: pinned to CPUs {client} (--client-cpus)" in r.stdout, f"pinning said: {r.stdout[:600]}")

    # Unpinned: the note (one line) and the JSON flag.
    r = run("bench", "serve", "-m", model, *small, timeout=300)
    want = (NOTE + cpu_list(cpus) + " with the server(s); client-side TTFT/ITL include its own scheduling delays; "
            "--client-cpus keeps it off them")
    check(r.returncode == 0 and want in r.stdout.splitlines(), f"sharing note: {r.stdout[:800]} {r.stderr[-500:]}")
    r = run("bench", "serve", "-m", model, *small, "--json", timeout=300)
    if r.returncode == 0:
        t = json.loads(r.stdout)["topologies"][0]
        check(t["client_cpus"] is None and t["client_shares_server_cpus"] is True and t["client_shared_cpus"] == cpu_list(cpus),
              f"unpinned flags: {t['client_cpus']} {t['client_shares_server_cpus']} {t['client_shared_cpus']}")
    else:
        check(False, f"unpinned --json: exit {r.returncode}: {r.stderr[-800:]}")

    # Bad lists: usage errors before any server starts.
    outside = max(cpus) + 1
    if outside < 1024:
        refused(["bench", "serve", "-m", model, "--client-cpus", str(outside), *small],
                f"--client-cpus {outside}: CPU {outside} is not among the CPUs this process may use ({cpu_list(cpus)})")
    refused(["bench", "serve", "-m", model, "--client-cpus", cpu_list(cpus), *small],
            f"--client-cpus {cpu_list(cpus)} takes every CPU this process may use", "none is left for the servers")
    if len(cpus) == 2:
        refused(["bench", "serve", "-m", model, "--topology", "sn,dp2", "--client-cpus", str(client), *small],
                "topology dp2 needs at least 2 CPUs; --client-cpus", "leaves the servers 1")
    refused(["bench", "serve", "-m", model, "--client-cpus", "1-0", *small], "--client-cpus")
    if outside < 1024:  # with --url too, before anything is sent
        refused(["bench", "serve", "--url", "http://127.0.0.1:1", "--client-cpus", str(outside), *small],
                f"--client-cpus {outside}: CPU {outside} is not among")
    check(serve_pids(lambda args: model.encode() in args) == [], "no server left")

    # --url: the list only pins the client (it may take every CPU: the server is not ours to plan).
    p, port = start_server(model, "--max-batch", "2")
    try:
        r = run("bench", "serve", "--url", f"http://127.0.0.1:{port}", "--client-cpus", cpu_list(cpus), *small,
                "--json", timeout=300)
        check(r.returncode == 0 and json.loads(r.stdout).get("client_cpus") == cpu_list(cpus),
              f"--url --client-cpus: exit {r.returncode} {r.stdout[-300:]} {r.stderr[-500:]}")
        r = run("bench", "serve", "--url", f"http://127.0.0.1:{port}", *small, "--json", timeout=300)
        check(r.returncode == 0 and json.loads(r.stdout).get("client_cpus", "absent") is None,
              f"--url unpinned: client_cpus null: {r.stderr[-500:]}")
    finally:
        p.kill()
        p.wait()

if failures:
    raise SystemExit(1)
print("ok")
