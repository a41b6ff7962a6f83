"""`bench serve --repeat N` (review BS M5: one sample per point decided "winners" on noise): the load
list runs N times over (1,3,1,3), each run labelled and counted in the JSON, and the crossover
compares each load's median over its runs, with the range and the number of runs, calling no
winner where the runs overlap. The medians, ranges, deltas and winners are recomputed here from
the JSON's own points; bad --repeat values are usage errors."""
import json
import os
import statistics
import tempfile

from _harness import check, failures, require_serve, run, skip

require_serve()
if len(os.sched_getaffinity(0)) < 2:
    skip("dp2 needs two CPUs")

REPEAT = 3
LOADS = [1, 3]

with tempfile.TemporaryDirectory() as d:
    model = os.path.join(d, "tiny.gguf")
    r = run("model", "synth", "--preset", "tiny", "-o", model)
    check(r.returncode == 0, f"model synth: {r.stderr}")
    r = run("bench", "serve", "-m", model, "--topology", "sn,dp2", "--profile", "concurrent", "--concurrency",
            ",".join(map(str, LOADS)), "--repeat", str(REPEAT), "--requests", "3", "--prompt-tokens", "8",
            "--output-tokens", "4", "--json", timeout=600)
    check(r.returncode == 0, f"bench serve --repeat: exit {r.returncode}: {r.stderr[-2000:]}")
    doc = json.loads(r.stdout)
    medians = {}
    for t in doc["topologies"]:
        pts = t["run"]["points"]
        # The whole list, REPEAT times over, in order: 1,3,1,3,1,3.
        check([p["concurrency"] for p in pts] == LOADS * REPEAT, f"{t['name']}: loads in rounds: "
              f"{[p['concurrency'] for p in pts]}")
        check([p["repetition"] for p in pts] == [r + 1 for r in range(REPEAT) for _ in LOADS],
              f"{t['name']}: repetition numbers {[p['repetition'] for p in pts]}")
        check(all(p["repetitions"] == REPEAT for p in pts), f"{t['name']}: repetitions")
        check(all(p["completed"] == 3 for p in pts), f"{t['name']}: every request completes")
        by_load = {}
        for p in pts:
            by_load.setdefault(p["concurrency"], []).append(p["tok_per_s"])
        medians[t["name"]] = by_load
    (x,) = doc["crossovers"]
    check(len(x["rows"]) == len(LOADS), f"one crossover row per load, not per run: {len(x['rows'])}")
    for row in x["rows"]:
        b, a = medians["sn"][row["load"]], medians["dp2"][row["load"]]
        bm, am = statistics.median(b), statistics.median(a)
        check(abs(row["base_tok_s"] - bm) <= 1e-9 * max(1, bm), f"load {row['load']}: sn median {row['base_tok_s']} vs {bm}")
        check(abs(row["alt_tok_s"] - am) <= 1e-9 * max(1, am), f"load {row['load']}: dp2 median {row['alt_tok_s']} vs {am}")
        check((row["base_min"], row["base_max"], row["base_runs"]) == (min(b), max(b), REPEAT), f"sn range {row}")
        check((row["alt_min"], row["alt_max"], row["alt_runs"]) == (min(a), max(a), REPEAT), f"dp2 range {row}")
        delta = (am - bm) / bm * 100
        check(abs(row["delta_pct"] - delta) < 1e-6, f"delta {row['delta_pct']} vs {delta}")
        if abs(delta) <= 5:
            want = "tie"
        elif min(a) <= max(b) and min(b) <= max(a):
            want = "tie (within the runs' spread)"
        else:
            want = "dp2" if delta > 0 else "sn"
        check(row["winner"] == want, f"load {row['load']}: winner {row['winner']} vs {want} ({b} vs {a})")
    check("compared on the median tok/s" in x["summary"], f"summary says median: {x['summary']}")

    # The text: every point labelled with its run, the crossover's cells with range and runs.
    r = run("bench", "serve", "-m", model, "--topology", "sn", "--profile", "synchronous", "--repeat", "2",
            "--requests", "2", "--prompt-tokens", "8", "--output-tokens", "2", timeout=600)
    check(r.returncode == 0, f"bench serve --repeat 2 text: exit {r.returncode}: {r.stderr[-2000:]}")
    check("| 1 #1/2 |" in r.stdout and "| 1 #2/2 |" in r.stdout, f"run labels in the table:\n{r.stdout[:1500]}")

    for bad in ["0", "-1", "1001", "x"]:
        r = run("bench", "serve", "-m", model, "--topology", "sn", "--repeat", bad, "--requests", "1")
        check(r.returncode == 2, f"--repeat {bad}: exit {r.returncode} (want 2): {r.stderr}")
    r = run("bench", "serve", "-m", model, "--topology", "sn,dp2", "--profile", "concurrent", "--concurrency", "1,1",
            "--requests", "1")
    check(r.returncode == 2 and "--repeat" in r.stderr, f"a load twice points to --repeat: {r.returncode} {r.stderr}")

if failures:
    raise SystemExit(1)
print("ok")
