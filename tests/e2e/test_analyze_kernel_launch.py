"""analyze's launch and queue time per kernel name (review MX L3; docs/analyze.md, "Launch and queue
per kernel"): each linked launch call's latency l(c), launch part l(c) - q(c) and queue part q(c) go
to the name of its first GPU activity, when that is a kernel. Recomputed here from the raw Kineto
JSON by a plain scan (launch calls paired to GPU work by correlation id, docs/metrics.md section 1)
and compared with `analyze --json`'s kernel_stats, kernels.csv and SQLite's kernel_stat, on the H100
fixtures and on one of them edited so that a launch call started three kernels of different names.
Over all kernel names the latencies add up to TKLQT less the calls whose first activity is a copy
or set."""
import csv
import glob
import gzip
import json
import os
import sqlite3
import sys
import tempfile
from decimal import Decimal

sys.path.insert(0, os.path.dirname(__file__))
from _harness import as_json, check, failures, h100_fixtures, run  # noqa: E402

SRC = os.environ["INFERTRACE_SOURCE_DIR"]
GPU_CATS = {"kernel": "kernel", "Kernel": "kernel", "gpu_memcpy": "memcpy", "Memcpy": "memcpy",
            "gpu_memset": "memset", "Memset": "memset"}
API_CATS = {"cuda_runtime", "Runtime", "cuda_driver"}
# The launch calls of these traces (docs/metrics.md section 1): kernel launches and async sets.
LAUNCHES = {"cudaLaunchKernel", "cudaLaunchKernelExC", "cuLaunchKernel", "cuLaunchKernelEx", "cudaGraphLaunch",
            "cudaMemsetAsync", "cudaMemcpyAsync"}


def ns(v):
    return int(Decimal(str(v)) * 1000)


def read(path):
    with gzip.open(path, "rt") if path.endswith(".gz") else open(path) as f:
        doc = json.load(f, parse_float=Decimal)
    gpu, calls = [], []
    for e in doc["traceEvents"]:
        if e.get("ph") != "X":
            continue
        corr = (e.get("args") or {}).get("correlation", -1)
        row = {"name": e["name"], "ts": ns(e["ts"]), "dur": ns(e.get("dur", 0)), "corr": corr}
        if e.get("cat") in GPU_CATS:
            gpu.append(dict(row, kind=GPU_CATS[e["cat"]]))
        elif e.get("cat") in API_CATS:
            check(e["name"] in LAUNCHES or "Launch" not in e["name"], "%s: launch API %s not modelled" % (path, e["name"]))
            calls.append(row)
    return gpu, calls


def expected(path):
    """Per kernel name {count, launches, latency, launch, queue}, and the latency of calls whose first
    activity is no kernel."""
    gpu, calls = read(path)
    owner = {}
    for i, c in enumerate(calls):
        if c["name"] in LAUNCHES and c["corr"] >= 0:
            # The earliest-starting call of an id is the launch (none repeats in these traces).
            if c["corr"] not in owner or c["ts"] < calls[owner[c["corr"]]]["ts"]:
                owner[c["corr"]] = i
    firsts = {}  # call -> (start, row) of its first activity; equal starts: the lower row
    for j, g in enumerate(gpu):
        i = owner.get(g["corr"])
        if i is not None:
            firsts[i] = min(firsts.get(i, (g["ts"], j)), (g["ts"], j))
    rows = {g["name"]: {"count": 0, "launches": 0, "latency": 0, "launch": 0, "queue": 0}
            for g in gpu if g["kind"] == "kernel"}
    for g in gpu:
        if g["kind"] == "kernel":
            rows[g["name"]]["count"] += 1
    other = 0
    for i, (start, j) in firsts.items():
        c = calls[i]
        lat = max(0, start - c["ts"])
        q = max(0, start - (c["ts"] + c["dur"]))
        if gpu[j]["kind"] != "kernel":
            other += lat
            continue
        r = rows[gpu[j]["name"]]
        r["launches"] += 1
        r["latency"] += lat
        r["launch"] += lat - q
        r["queue"] += q
    return rows, other


def compare(tag, got_doc, want, other):
    got = {k["name"]: k for k in got_doc.get("kernel_stats", [])}
    check(set(got) == set(want), "%s: kernel names differ" % tag)
    for name, w in want.items():
        k = got.get(name, {})
        have = {"count": k.get("count"), "launches": k.get("launches"), "latency": k.get("latency_total_ns"),
                "launch": k.get("launch_total_ns"), "queue": k.get("queue_total_ns")}
        check(have == w, "%s: %s: got %r, recomputed %r" % (tag, name[:60], have, w))
        n = w["launches"]
        for key, total in (("mean_latency_ns", "latency"), ("mean_launch_ns", "launch"), ("mean_queue_ns", "queue")):
            m = k.get(key, "absent")
            ok = m is None if n == 0 else isinstance(m, (int, float)) and abs(m - w[total] / n) <= 1e-9 * max(1, w[total])
            check(ok, "%s: %s: %s = %r, recomputed %r" % (tag, name[:60], key, m, w[total] / n if n else None))
    # Every linked launch call is in one kernel row, or its first activity is a copy or set.
    lat = sum(w["latency"] for w in want.values())
    check(lat + other == got_doc.get("tklqt_ns"), "%s: kernels' latency %d + copies' and sets' %d != TKLQT %r"
          % (tag, lat, other, got_doc.get("tklqt_ns")))
    check(sum(k.get("launch_total_ns", 0) + k.get("queue_total_ns", 0) for k in got.values()) == lat,
          "%s: the parts do not add up to the latencies" % tag)


def analyze_json(path):
    r = run("analyze", path, "--json")
    check(r.returncode == 0, "analyze %s: exit %d %s" % (path, r.returncode, r.stderr[-300:]))
    return as_json(r, "analyze")


fixtures = h100_fixtures()
traces = sorted(glob.glob(os.path.join(fixtures, "*.json.gz"))) if fixtures else \
    sorted(glob.glob(os.path.join(SRC, "examples", "traces", "*.json.gz")))
check(len(traces) >= 8, "traces: %r" % traces)
any_other = False
for path in traces:
    want, other = expected(path)
    any_other = any_other or other > 0
    compare(os.path.basename(path), analyze_json(path), want, other)
    check(any(w["launches"] > 1 for w in want.values()), "%s: no kernel launched twice" % path)
check(any_other, "no trace has a set call: the split of TKLQT is not exercised")

# The edited trace: one cudaLaunchKernel's kernel K gets two more kernels of the same correlation,
# one starting before K (the first activity, which takes the call) and one after (no launch of its
# own). Inserted at the front of traceEvents by text, so the rest of the file stays as it was.
base = traces[0] if not fixtures else os.path.join(fixtures, "gpt2_prefill_bs1.json.gz")
with gzip.open(base, "rt") as f:
    text = f.read()
events = json.loads(text, parse_float=Decimal)["traceEvents"]
kernels = [e for e in events if e.get("ph") == "X" and e.get("cat") == "kernel"]
launch_corr = {e["args"]["correlation"]: e for e in events
               if e.get("ph") == "X" and e.get("name") == "cudaLaunchKernel"}
names = [k["name"] for k in kernels]
# A kernel launched by cudaLaunchKernel whose name repeats, with a gap after its call start.
k = next(k for k in kernels if k["args"]["correlation"] in launch_corr and names.count(k["name"]) > 1
         and ns(k["ts"]) - ns(launch_corr[k["args"]["correlation"]]["ts"]) > 2000)
call = launch_corr[k["args"]["correlation"]]
first_ts = (Decimal(str(call["ts"])) + Decimal(str(k["ts"]))) / 2
first_ts = first_ts.quantize(Decimal("0.001"))
later_ts = Decimal(str(k["ts"])) + Decimal("1.5")


def event(name, ts):
    args = {a: k["args"][a] for a in ("correlation", "device", "stream", "External id") if a in k["args"]}
    return json.dumps({"ph": "X", "cat": "kernel", "name": name, "pid": k["pid"], "tid": k["tid"],
                       "ts": "@TS@", "dur": 0.5, "args": args}).replace('"@TS@"', str(ts))


at = text.index("[", text.index('"traceEvents"')) + 1
edited = text[:at] + event("edited_first_kernel", first_ts) + "," + event("edited_later_kernel", later_ts) + "," + text[at:]
with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "edited.json")
    with open(path, "w") as f:
        f.write(edited)
    want, other = expected(path)
    got = analyze_json(path)
    compare("edited", got, want, other)
    before = {r["name"]: r for r in analyze_json(base).get("kernel_stats", [])}
    after = {r["name"]: r for r in got.get("kernel_stats", [])}
    lat = ns(first_ts) - ns(call["ts"])
    q = max(0, ns(first_ts) - ns(call["ts"]) - ns(call["dur"]))
    first, later = after.get("edited_first_kernel", {}), after.get("edited_later_kernel", {})
    check((first.get("count"), first.get("launches"), first.get("latency_total_ns"), first.get("queue_total_ns"))
          == (1, 1, lat, q), "edited_first_kernel: %r (want latency %d, queue %d)" % (first, lat, q))
    check((later.get("count"), later.get("launches"), later.get("latency_total_ns"), later.get("mean_queue_ns"))
          == (1, 0, 0, None), "edited_later_kernel: %r" % later)
    old, new = before.get(k["name"], {}), after.get(k["name"], {})
    check(new.get("count") == old.get("count") and new.get("launches") == old.get("launches", 0) - 1,
          "%s: launches %r -> %r (one fewer: its call went to edited_first_kernel)" % (k["name"][:60], old, new))
    check(got.get("tklqt_ns") - analyze_json(base).get("tklqt_ns") == lat - (ns(k["ts"]) - ns(call["ts"])),
          "edited: TKLQT changed by other than the call's new latency")

    # The text tables' columns: "-" for a kernel without a launch of its own.
    r = run("analyze", path, "--top", "100000")
    lines = r.stdout.splitlines()
    check(any(l.split()[-2:] == ["launch", "queue"] for l in lines), "text: no launch / queue columns")
    check(any(l.startswith("share: ") and "mean launch and queue parts" in l for l in lines),
          "text: no line saying what share, launch and queue are")
    row = next((l for l in lines if l.startswith("edited_later_kernel")), "")
    check(row.split()[-2:] == ["-", "-"], "text: edited_later_kernel row %r" % row)
    row = next((l for l in lines if l.startswith("edited_first_kernel")), "")
    check(row.split()[-1] != "-", "text: edited_first_kernel row %r" % row)

    # kernels.csv and SQLite's kernel_stat: the same sums.
    r = run("analyze", path, "--csv", os.path.join(tmp, "csv"))
    check(r.returncode == 0, "analyze --csv: %s" % r.stderr[-300:])
    with open(os.path.join(tmp, "csv", "kernels.csv")) as f:
        table = {x["name"]: x for x in csv.DictReader(f)}
    db = os.path.join(tmp, "edited.sqlite")
    r = run("export", "--sqlite", db, path)
    check(r.returncode == 0, "export --sqlite: %s" % r.stderr[-300:])
    con = sqlite3.connect(db)
    sql = {n: (c, l, lt, lp, qt) for n, c, l, lt, lp, qt in con.execute(
        "select name, count, launches, latency_total_ns, launch_total_ns, queue_total_ns from kernel_stat")}
    con.close()
    for name, w in want.items():
        row = (w["count"], w["launches"], w["latency"], w["launch"], w["queue"])
        x = table.get(name, {})
        check(tuple(int(x.get(c, -1)) for c in ("count", "launches", "latency_total_ns", "launch_total_ns", "queue_total_ns"))
              == row, "kernels.csv %s: %r, recomputed %r" % (name[:60], x, row))
        check(sql.get(name) == row, "kernel_stat %s: %r, recomputed %r" % (name[:60], sql.get(name), row))

if failures:
    sys.exit(1)
print("ok: %d traces and the edited one" % len(traces))
