"""End-to-end: what `infertrace bench threads` sweeps and how it summarizes each point.
- Without -t it sweeps 1, 2, 4, ... below the CPUs the process may use (or the --cpus list's size)
  and that count itself; the expected list is computed here from os.sched_getaffinity.
- Each rate carries its median next to mean and sd; the medians are recomputed here from the
  samples in the JSON, best_threads is the point with the highest median tg, and best_overlaps
  the other points with a tg repetition at least as fast as the best's slowest.
- A thread count above 4 per CPU the threads may use (at most 1024) is a usage error (exit 2) before the model
  loads: shown with a model path that does not exist (loading it would be exit 1).
Runs are tiny (synthetic model, -r 3 -p 4 -n 2, --no-roofline) to keep the test short."""
import json
import os
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from _harness import check, failures, run  # noqa: E402

REPS = 3
ARGS = ["-r", str(REPS), "-p", "4", "-n", "2", "--no-roofline"]


def median(v):
    s = sorted(v)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def powers_then(n):
    """1, 2, 4, ... below n, then n."""
    out, t = [], 1
    while t < n:
        out.append(t)
        t *= 2
    return out + [n]


def close(a, b):
    return abs(a - b) <= 1e-9 * max(abs(a), abs(b), 1e-12)


def check_medians(j, what):
    for p in j["points"]:
        for key, flat in (("tg_tokens_per_second", "tg_median"), ("pp_tokens_per_second", "pp_median")):
            rate = p[key]
            check(len(rate["samples"]) == 3, "%s: 3 samples" % what)
            m = median(rate["samples"])
            check("median" in rate and close(rate["median"], m), "%s: %s median %s, samples %s" % (what, key, rate.get("median"), rate["samples"]))
            check(close(p.get(flat, -1), m), "%s: flat %s" % (what, flat))
            check("mean" in rate and "stddev" in rate, "%s: mean and stddev kept" % what)
            # Mean and sample standard deviation (n - 1) of the samples, recomputed here.
            s = rate["samples"]
            sd = statistics.stdev(s)
            check(close(rate.get("mean", -1), statistics.fmean(s)) and abs(rate.get("stddev", -1) - sd) <= 1e-6 * sd,
                  "%s: %s mean %s stddev %s, samples %s" % (what, key, rate.get("mean"), rate.get("stddev"), s))
    best = max(j["points"], key=lambda p: median(p["tg_tokens_per_second"]["samples"]))
    check(j["best_threads"] == best["threads"] and j.get("best_by") == "tg_median",
          "%s: best by median tg: %s %s" % (what, j["best_threads"], j.get("best_by")))
    slowest = min(best["tg_tokens_per_second"]["samples"])
    overlap = [p["threads"] for p in j["points"] if p is not best and max(p["tg_tokens_per_second"]["samples"]) >= slowest]
    check(j.get("best_overlaps") == overlap, "%s: best_overlaps %s, want %s" % (what, j.get("best_overlaps"), overlap))


allowed_set = sorted(os.sched_getaffinity(0))
allowed = len(allowed_set)
cap = max(allowed, min(4 * allowed, 1024))

with tempfile.TemporaryDirectory() as tmp:
    model = os.path.join(tmp, "tiny.gguf")
    r = run("model", "synth", "--preset", "tiny-qwen3", "--dtype", "f32", "--seed", "3", "-o", model)
    check(r.returncode == 0, "synth: " + r.stderr)

    # Default sweep over the allowed CPUs.
    r = run("bench", "threads", "-m", model, *ARGS, "-o", "json")
    check(r.returncode == 0, "default sweep: " + r.stderr)
    if r.returncode == 0:
        j = json.loads(r.stdout)
        want = powers_then(allowed)
        check([p["threads"] for p in j["points"]] == want, "default sweep %s, want %s" % ([p["threads"] for p in j["points"]], want))
        check(j.get("thread_counts") == "default" and j.get("max_threads") == cap and j["allowed_cpus"] == allowed,
              "default sweep recorded: %s %s %s" % (j.get("thread_counts"), j.get("max_threads"), j["allowed_cpus"]))
        check(all(p.get("oversubscribed") is False for p in j["points"]), "default sweep never oversubscribes")
        check_medians(j, "default")

    # Pinned: the sweep goes up to the --cpus list's size (at most 3 CPUs here, to stay short).
    pinned = allowed_set[:3]
    r = run("bench", "threads", "-m", model, *ARGS, "--cpus", ",".join(map(str, pinned)), "-o", "json")
    check(r.returncode == 0, "pinned default sweep: " + r.stderr)
    if r.returncode == 0:
        j = json.loads(r.stdout)
        want = powers_then(len(pinned))
        check([p["threads"] for p in j["points"]] == want, "pinned sweep %s, want %s" % ([p["threads"] for p in j["points"]], want))

    # An explicit list is kept as given, and a count above the pinned CPUs is marked oversubscribed.
    r = run("bench", "threads", "-m", model, *ARGS, "-t", "2,1", "--cpus", str(allowed_set[0]), "-o", "json")
    check(r.returncode == 0, "explicit -t: " + r.stderr)
    if r.returncode == 0:
        j = json.loads(r.stdout)
        check([p["threads"] for p in j["points"]] == [2, 1] and j.get("thread_counts") == "-t", "explicit list kept")
        check([p.get("oversubscribed") for p in j["points"]] == [True, False], "oversubscribed flags")
        check_medians(j, "explicit")

    # Markdown and CSV carry the medians; CSV appends them, so earlier columns keep their positions.
    r = run("bench", "threads", "-m", model, *ARGS, "-t", "1")
    check(r.returncode == 0 and "tg t/s median" in r.stdout and "best thread count: 1 (highest median tg" in r.stdout,
          "md medians: " + r.stdout + r.stderr)
    r = run("bench", "threads", "-m", model, *ARGS)
    check(r.returncode == 0 and "default sweep" in r.stdout, "md names the default sweep: " + r.stdout)
    r = run("bench", "threads", "-m", model, *ARGS, "-t", "1", "-o", "csv")
    rows = [line.split(",") for line in r.stdout.splitlines()]
    check(r.returncode == 0 and len(rows) == 2 and rows[0][:3] == ["threads", "pp_mean", "pp_sd"]
          and rows[0][-4:] == ["pp_median", "tg_median", "pp_samples", "tg_samples"] and len(rows[1]) == len(rows[0]),
          "csv shape: " + r.stdout)
    # The per-repetition samples (metrics.md §6, review R55 L2): one per repetition, their mean the
    # mean column (both printed to 3 decimals, so within a rounding step).
    if r.returncode == 0 and len(rows) == 2 and len(rows[1]) == len(rows[0]):
        col = dict(zip(rows[0], rows[1]))
        for kind in ("pp", "tg"):
            samples = [float(x) for x in col[kind + "_samples"].split(" ")]
            check(len(samples) == REPS and abs(sum(samples) / len(samples) - float(col[kind + "_mean"])) < 0.002,
                  "csv %s samples %s vs mean %s" % (kind, samples, col[kind + "_mean"]))

    # -r 1: one repetition has no sample standard deviation: null, an empty CSV field, "n/a" (review SB L2).
    one = ["-r", "1", "-p", "4", "-n", "2", "--no-roofline", "-t", "1"]
    r = run("bench", "threads", "-m", model, *one, "-o", "json")
    check(r.returncode == 0, "-r 1 json: " + r.stderr)
    if r.returncode == 0:
        p = json.loads(r.stdout)["points"][0]
        check(p["pp_tokens_per_second"]["stddev"] is None and p["tg_tokens_per_second"]["stddev"] is None,
              "-r 1: stddev null: %s %s" % (p["pp_tokens_per_second"], p["tg_tokens_per_second"]))
    r = run("bench", "threads", "-m", model, *one, "-o", "csv")
    rows = [line.split(",") for line in r.stdout.splitlines()]
    check(r.returncode == 0 and len(rows) == 2 and rows[1][2] == "" and rows[1][4] == "" and rows[1][1] != "",
          "-r 1 csv: empty sd fields: " + r.stdout)
    r = run("bench", "threads", "-m", model, *one)
    row = [l for l in r.stdout.splitlines() if l.startswith("| 1 ")]
    check(r.returncode == 0 and len(row) == 1 and row[0].count("+- n/a") == 2, "-r 1 md: +- n/a: %s" % r.stdout)

    # The cap, checked before the model loads: absent.gguf would be exit 1 if it were loaded.
    absent = os.path.join(tmp, "absent.gguf")
    for t in (str(cap + 1), "1,%d" % (cap + 1), "9999"):
        r = run("bench", "threads", "-m", absent, "-t", t, "--no-roofline")
        check(r.returncode == 2 and "more than %d" % cap in r.stderr, "-t %s refused: %d %s" % (t, r.returncode, r.stderr))
    # A thread count below 1 is no count: refused as a list like 1,2,4 is expected, before the model loads.
    for t in ("0", "1,0", "1,,2", "1,2,"):
        r = run("bench", "threads", "-m", absent, "-t", t, "--no-roofline")
        check(r.returncode == 2 and "expected thread counts like 1,2,4" in r.stderr, "-t %s refused: %d %s" % (t, r.returncode, r.stderr))
    r = run("bench", "threads", "-m", absent, "-t", str(cap), "--no-roofline")
    check(r.returncode == 1 and "absent.gguf" in r.stderr, "-t %d (the cap) accepted: %d %s" % (cap, r.returncode, r.stderr))

if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("ok")
