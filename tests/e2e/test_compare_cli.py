"""`infertrace compare` on saved scheduler analyses written here: slowdown, Sched/1K increase and the
basis are recomputed in this script from the same numbers (docs/metrics.md section 5). Usage errors
exit 2; a file that is not JSON or has no scheduler analysis exits 1 naming the file."""
import json
import os
import re
import subprocess
import sys
import tempfile

exe = os.environ["INFERTRACE"]
failures = []


def run(*args):
    return subprocess.run([exe] + list(args), capture_output=True, text=True, timeout=120)


def check(cond, what):
    if not cond:
        failures.append(what)


def sched_doc(launches, wall_ns, sched, hard, soft, penalty, offcpu, signature, throughput=None, window=None):
    d = {"kind": "sched", "schema_version": 1, "launches": launches, "wall_ns": wall_ns, "sched_per_1k": sched,
         "irq_per_1k_hard": hard, "irq_per_1k_soft": soft,
         "penalty_ns": {"overall": penalty, "preempted": penalty, "blocked": None},
         "main_thread": {"offcpu_share": offcpu}, "signature": signature,
         # the launch window's Sched/1K (docs/sched.md "Two windows"); None: a window of no length
         "launch_window": None if window is None else {"wall_ns": wall_ns // 2, "sched_per_1k": window}}
    if throughput is not None:
        d["throughput"] = throughput
    return d


with tempfile.TemporaryDirectory() as tmp:
    docs = {
        "baseline": sched_doc(5000, 2_000_000_000, 4.0, 1.0, 3.0, 800, 0.01, "clean", window=1.5),
        "cpu": sched_doc(5000, 3_100_000_000, 41.0, 1.2, 2.5, 95_000, 0.31, "cpu_contention", window=36.0),
        "net": sched_doc(4800, 2_400_000_000, 6.0, 9.0, 180.0, 4_000, 0.05, "irq_pressure"),
    }
    paths = {}
    for name, d in docs.items():
        paths[name] = os.path.join(tmp, name + ".json")
        with open(paths[name], "w") as f:
            json.dump(d, f)

    r = run("compare", "--json", paths["baseline"], paths["cpu"], "noisy=" + paths["net"])
    check(r.returncode == 0, f"compare --json exit {r.returncode}: {r.stderr}")
    if r.returncode == 0:
        out = json.loads(r.stdout)
        check(out["kind"] == "compare" and out["schema_version"] == 1, "kind/schema_version")
        check(out["basis"] == "launch_rate", f"basis {out['basis']}")
        rows = {s["name"]: s for s in out["scenarios"]}
        check(set(rows) == {"baseline", "cpu", "noisy"}, f"names {sorted(rows)}")
        base_rate = docs["baseline"]["launches"] / (docs["baseline"]["wall_ns"] / 1e9)
        for name, src in (("cpu", "cpu"), ("noisy", "net")):
            rate = docs[src]["launches"] / (docs[src]["wall_ns"] / 1e9)
            want = (base_rate - rate) / base_rate * 100
            got = rows[name]["slowdown_pct"]
            check(abs(got - want) < 1e-9, f"{name} slowdown {got} != {want}")
            inc = docs[src]["sched_per_1k"] / docs["baseline"]["sched_per_1k"]
            check(abs(rows[name]["sched_increase"] - inc) < 1e-12, f"{name} sched increase")
            check(rows[name]["penalty_ns"] == docs[src]["penalty_ns"]["overall"], f"{name} penalty")
            check(rows[name]["signature"] == docs[src]["signature"], f"{name} signature")
            # Over the launch window too; null when a document has no window rate (net has none).
            win = docs[src]["launch_window"]
            want_win = win["sched_per_1k"] / docs["baseline"]["launch_window"]["sched_per_1k"] if win else None
            got_win = rows[name]["launch_window_sched_increase"]
            check(got_win == want_win if want_win is None else abs(got_win - want_win) < 1e-12,
                  f"{name} launch-window sched increase {got_win} != {want_win}")
        check(rows["baseline"]["slowdown_pct"] == 0, "baseline slowdown is 0")
        check("slower" in rows["cpu"]["verdict"], f"cpu verdict {rows['cpu']['verdict']}")

    # Different work (review UX M3): 247 launches in 22.4 ms against 2000 in 27.2 ms is no "faster".
    small = os.path.join(tmp, "gpt2.json")
    big = os.path.join(tmp, "nullk.json")
    for path, (n, wall) in ((small, (247, 22_411_000)), (big, (2000, 27_193_000))):
        with open(path, "w") as f:
            json.dump(sched_doc(n, wall, 4.0, 1.0, 3.0, 800, 0.01, "clean"), f)
    r = run("compare", "--json", small, big)
    check(r.returncode == 0, f"compare different work exit {r.returncode}: {r.stderr}")
    if r.returncode == 0:
        row = json.loads(r.stdout)["scenarios"][1]
        check(row["launch_count_mismatch"] == "different_work" and row["slowdown_pct"] is None
              and abs(row["rate"] - 2000 / 0.027193) < 1e-6, f"different work row {row}")
        check(row["verdict"].startswith("no verdict: 2000 launches against the baseline's 247"), f"verdict {row['verdict']}")
    r = run("compare", small, big)
    check(r.returncode == 0 and "faster" not in r.stdout and "slower" not in r.stdout
          and "nullk launched more than 5% more or fewer times than the baseline (247)" in r.stdout,
          f"different work text: {r.stdout} {r.stderr}")

    # With throughput in every document it is the basis.
    for name, tp in (("baseline", 50.0), ("cpu", 35.0)):
        docs[name]["throughput"] = tp
        with open(paths[name], "w") as f:
            json.dump(docs[name], f)
    r = run("compare", "--json", paths["baseline"], paths["cpu"])
    check(r.returncode == 0, f"compare throughput exit {r.returncode}: {r.stderr}")
    if r.returncode == 0:
        out = json.loads(r.stdout)
        check(out["basis"] == "throughput", "throughput basis")
        check(abs(out["scenarios"][1]["slowdown_pct"] - 30.0) < 1e-9, "throughput slowdown 30%")

    r = run("compare", paths["baseline"], paths["cpu"])
    check(r.returncode == 0 and "Scenarios against baseline" in r.stdout and "30.0%" in r.stdout,
          f"text table: {r.stdout} {r.stderr}")
    # The text puts the window's rate and ratio beside the whole trace's: 36.0 and 36 / 1.5 = 24.00x.
    cpu_line = next((l for l in r.stdout.splitlines() if l.startswith("cpu ")), "")
    want_cells = ["%.1f" % docs["cpu"]["sched_per_1k"], "%.2fx" % (docs["cpu"]["sched_per_1k"] / docs["baseline"]["sched_per_1k"]),
                  "%.1f" % docs["cpu"]["launch_window"]["sched_per_1k"],
                  "%.2fx" % (docs["cpu"]["launch_window"]["sched_per_1k"] / docs["baseline"]["launch_window"]["sched_per_1k"])]
    check(re.split(r" {2,}", cpu_line)[3:7] == want_cells, f"cpu row {cpu_line!r}, want {want_cells}")
    check("window Sched/1K" in r.stdout and "window x base" in r.stdout, f"window columns: {r.stdout}")

    # Errors.
    r = run("compare", paths["baseline"])
    check(r.returncode == 2, f"one input: exit {r.returncode}")
    bad = os.path.join(tmp, "bad.json")
    with open(bad, "w") as f:
        f.write('{"launches": 5, "sched_per_1k": ')
    r = run("compare", paths["baseline"], bad)
    check(r.returncode == 1 and bad in r.stderr and "byte" in r.stderr, f"truncated JSON: {r.returncode} {r.stderr}")
    other = os.path.join(tmp, "other.json")
    with open(other, "w") as f:
        json.dump({"tklqt_ns": 5}, f)
    r = run("compare", paths["baseline"], other)
    check(r.returncode == 1 and other in r.stderr, f"no sched analysis: {r.returncode} {r.stderr}")
    r = run("compare", paths["baseline"], os.path.join(tmp, "missing.json"))
    check(r.returncode == 1 and "missing.json" in r.stderr, f"missing file: {r.returncode} {r.stderr}")
    # A throughput that is not a positive number is an error naming the file, not a silent switch
    # to the launch-rate basis; so is a number JSON cannot hold; two scenarios of one name are a
    # usage error.
    for bad, text in (("str", '"fast"'), ("zero", "0"), ("neg", "-5"), ("huge", "1e400")):
        d = dict(docs["cpu"])
        path = os.path.join(tmp, f"tp_{bad}.json")
        with open(path, "w") as f:
            f.write(json.dumps(d)[:-1] + ', "throughput": ' + text + "}")
        r = run("compare", paths["baseline"], path)
        check(r.returncode == 1 and path in r.stderr, f"throughput {text}: {r.returncode} {r.stderr}")
    r = run("compare", paths["baseline"], paths["baseline"])
    check(r.returncode == 2 and "NAME=PATH" in r.stderr, f"duplicate names: {r.returncode} {r.stderr}")
    r = run("compare", "--help")
    check(r.returncode == 0 and "baseline" in r.stdout, "--help")

if failures:
    print("\n".join(failures))
    sys.exit(1)
print("ok")
