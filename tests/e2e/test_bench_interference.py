"""`infertrace bench interference` for real on this machine: the built-in launch loop alone and beside
stress-ng, with pinning and with a cpuset-isolated load. Checks: the CPU hog slows the loop down
(every run, not just on average); the JSON's medians and slowdowns equal a recomputation here from its
per-run numbers; a custom command's metric is parsed; a missing tool skips its scenario with a message;
an interrupted experiment exits 130 and leaves no load running. Skips (77) without stress-ng."""
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

exe = os.environ["INFERTRACE"]
failures = []
if not shutil.which("stress-ng") or not shutil.which("taskset"):
    print("stress-ng/taskset not installed")
    sys.exit(77)


def check(cond, what):
    if not cond:
        failures.append(what)


def loads_alive(tag):
    """Processes whose command line carries this test's unique load limit."""
    out = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    return [l for l in out.splitlines() if tag in l and ("stress-ng" in l or "iperf3" in l or "fio" in l)]


with tempfile.TemporaryDirectory() as tmp:
    limit = str(40 + os.getpid() % 50)  # a load bound no other process on the machine is likely to use
    tag = f"--timeout {limit}s"
    out_dir = os.path.join(tmp, "runs")
    r = subprocess.run([exe, "bench", "interference", "--scenarios", "baseline,cpu,pinned,isolated", "-r", "3",
                        "--workload-seconds", "0.6", "--warmup", "0.3", "--record", "off", "--load-limit", limit,
                        "--out-dir", out_dir, "--json"], capture_output=True, text=True, timeout=300)
    check(r.returncode == 0, f"bench interference exit {r.returncode}: {r.stderr}")
    if r.returncode == 0:
        doc = json.loads(r.stdout)
        check(doc["kind"] == "compare" and doc["experiment"] == "interference", "kind")
        with open(os.path.join(out_dir, "interference.json")) as f:
            check(json.load(f) == doc, "interference.json equals the printed JSON")
        sc = {s["name"]: s for s in doc["scenarios"]}
        check(list(sc) == ["baseline", "cpu", "pinned", "isolated"], f"order {list(sc)}")
        base = sc["baseline"]
        check(base["runs_ok"] == 3, f"baseline runs {base['runs_ok']}")
        for name, s in sc.items():
            if s["skipped"]:
                check(name == "isolated", f"{name} skipped: {s['skip_reason']}")
                continue
            vals = [run["metric"] for run in s["runs"] if run["error"] is None]
            check(len(vals) == 3, f"{name}: {len(vals)} usable runs")
            check(abs(s["throughput"] - statistics.median(vals)) < 1e-6 * s["throughput"], f"{name} median")
            check(s["throughput_min"] == min(vals) and s["throughput_max"] == max(vals), f"{name} min/max")
            want = (base["throughput"] - s["throughput"]) / base["throughput"] * 100
            check(abs(s["slowdown_pct"] - want) < 1e-9, f"{name} slowdown {s['slowdown_pct']} != {want}")
        # Two CPUs busy with stress-ng: the loop shares its CPU, so every cpu run is slower than
        # every baseline run, and the median is at least 10% down (CFS gives it about 2/3 of a CPU).
        cpu_runs = [x["metric"] for x in sc["cpu"]["runs"]]
        base_runs = [x["metric"] for x in base["runs"]]
        check(max(cpu_runs) < min(base_runs), f"cpu runs {cpu_runs} not all below baseline {base_runs}")
        check(sc["cpu"]["slowdown_pct"] > 10, f"cpu slowdown only {sc['cpu']['slowdown_pct']}%")
        if not sc["isolated"]["skipped"]:
            # The load is confined away from the loop's CPU: far less slowdown than the plain cpu case.
            check(sc["isolated"]["slowdown_pct"] < sc["cpu"]["slowdown_pct"],
                  f"isolated {sc['isolated']['slowdown_pct']}% not below cpu {sc['cpu']['slowdown_pct']}%")
    check(not loads_alive(tag), f"loads left running: {loads_alive(tag)}")

    # A given command and metric; a scenario whose tool is missing from PATH is skipped, not failed.
    r = subprocess.run([exe, "bench", "interference", "--scenarios", "baseline,cpu", "-r", "2", "--record", "off",
                        "--warmup", "0", "--out-dir", out_dir, "--metric-regex", r"tok/s: ([0-9.]+)", "--json",
                        "--", "/bin/sh", "-c", "echo tok/s: 1.0; echo tok/s: 12.5"],
                       capture_output=True, text=True, timeout=120, env=dict(os.environ, PATH="/nonexistent"))
    check(r.returncode == 0, f"custom command exit {r.returncode}: {r.stderr}")
    if r.returncode == 0:
        doc = json.loads(r.stdout)
        check(doc["scenarios"][0]["throughput"] == 12.5, "last metric match is used")
        check(doc["scenarios"][1]["skipped"] and "stress-ng" in doc["scenarios"][1]["skip_reason"], "missing tool skip")
        check("skipping cpu" in r.stderr, "skip message on stderr")

    # A regex that never matches: the runs have no number, the verb fails with exit 1.
    r = subprocess.run([exe, "bench", "interference", "--scenarios", "baseline", "-r", "1", "--record", "off",
                        "--out-dir", out_dir, "--metric-regex", "nomatch ([0-9]+)", "--", "/bin/true"],
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 1 and "matched nothing" in r.stderr, f"no-match: {r.returncode} {r.stderr}")
    r = subprocess.run([exe, "bench", "interference", "--scenarios", "baseline,bogus", "--", "/bin/true"],
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 2 and "bogus" in r.stderr, f"unknown scenario: {r.returncode}")

    # Interrupted in the middle of the cpu scenario: exit 130, no stress-ng left behind.
    p = subprocess.Popen([exe, "bench", "interference", "--scenarios", "cpu", "-r", "5", "--workload-seconds", "3",
                          "--warmup", "0.2", "--record", "off", "--load-limit", limit, "--out-dir", out_dir],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 20
    while time.time() < deadline and not loads_alive(tag):
        time.sleep(0.1)
    check(bool(loads_alive(tag)), "the cpu load never started")
    time.sleep(0.5)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=30)
    check(p.returncode == 130, f"interrupted exit {p.returncode}: {err}")
    time.sleep(0.3)
    check(not loads_alive(tag), f"loads left after interrupt: {loads_alive(tag)}")

if failures:
    print("\n".join(failures))
    sys.exit(1)
print("ok")
