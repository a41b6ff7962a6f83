"""`infertrace analyze` on traces without GPU activity: a real torch.profiler trace of a CPU-only
decode loop in the legacy autograd export (tests/fixtures/torch-cpu, PyTorch 1.13 without Kineto)
and the host side of a real Kineto trace (examples/traces/gpt2_prefill_bs1 with its GPU work and
CUDA calls taken out). The launch metrics must be null / "-" (not 0) with the reason, and the host
figures (span, per-thread active and idle, operators by self time) must match a second, plain
recomputation here: nesting found by scanning back for the nearest earlier operator that contains
the operator whole, not by the stack the program uses. On the legacy fixture the self times are also
those torch's own key_averages() printed for the same profile (a few rows, written out below).
Traces with GPU work get the same operators-by-self-time table (`operators_by_self`), checked
against the same recomputation on two real H100 traces."""
import csv
import gzip
import json
import os
import sys
import tempfile
from collections import defaultdict
from decimal import Decimal

sys.path.insert(0, os.path.dirname(__file__))
from _harness import check, failures, run  # noqa: E402

src = os.environ["INFERTRACE_SOURCE_DIR"]
FIXTURES = os.path.join(src, "tests", "fixtures", "torch-cpu")
GPU_KEYS = ["tklqt_ns", "tklqt_launch_ns", "tklqt_queue_ns", "api_time_ns", "akd_ns", "inference_latency_ns",
            "t_begin_ns", "t_end_ns", "gpu_busy_ns", "gpu_idle_ns", "gpu_idle_fraction", "host_active_ns",
            "host_sync_ns", "cpu_idle_ns", "cpu_idle_fraction", "bound"]
OP_CATS = {"cpu_op", "Operator", "user_annotation", None, ""}
HOST_CATS = OP_CATS | {"cuda_runtime", "Runtime", "cuda_driver"}


def ns(us):
    return int((Decimal(str(us)) * 1000).to_integral_value())


def load(path):
    with (gzip.open(path, "rt") if path.endswith(".gz") else open(path)) as f:
        d = json.load(f)
    return d if isinstance(d, list) else d["traceEvents"]


NAMED = {"pid": {}, "tid": {}}


def thread_id(v, kind):
    """docs/ingest.md, "Named pids and tids": an integer (or a string of one) is itself; any other
    string without escapes gets its own id from -2 down, per kind in order of first appearance."""
    if isinstance(v, int):
        return v
    if isinstance(v, str) and v.lstrip("-").isdigit():
        return int(v)
    if isinstance(v, str) and v:
        ids = NAMED[kind]
        return ids.setdefault(v, -2 - len(ids))
    return -1


def expected(events):
    for ids in NAMED.values():
        ids.clear()
    ops = []
    for i, e in enumerate(events):
        if e.get("ph") == "X" and e.get("cat") in OP_CATS:
            s, d = ns(e["ts"]), ns(e["dur"])
            ops.append({"i": i, "name": e["name"], "s": s, "d": d, "e": s + d,
                        "thread": (thread_id(e.get("pid"), "pid"), thread_id(e.get("tid"), "tid"))})
    host_end = max(ns(e["ts"]) + ns(e["dur"]) for e in events if e.get("ph") == "X" and e.get("cat") in HOST_CATS)
    by_thread = defaultdict(list)
    for o in ops:
        by_thread[o["thread"]].append(o)
    self_of = {}
    top = []
    active = {}
    for th, lst in by_thread.items():
        lst.sort(key=lambda o: (o["s"], -o["d"], o["i"]))
        for k, c in enumerate(lst):
            self_of.setdefault(c["i"], c["d"])
            parent = None
            # The nearest earlier operator that contains c whole and that c starts inside (torch's
            # rule: an event starting at or after an operator's end, even a zero-length one, is not
            # its child).
            for j in range(k - 1, -1, -1):
                if lst[j]["e"] >= c["e"] and c["s"] < lst[j]["e"]:
                    parent = lst[j]
                    break
            if parent is None:
                top.append(c)
            else:
                self_of[parent["i"]] = self_of.get(parent["i"], parent["d"]) - c["d"]
        # Union of all the thread's operators.
        total, cur_s, cur_e = 0, None, None
        for o in lst:
            if cur_e is None or o["s"] > cur_e:
                if cur_e is not None:
                    total += cur_e - cur_s
                cur_s, cur_e = o["s"], o["e"]
            else:
                cur_e = max(cur_e, o["e"])
        active[th] = total + (cur_e - cur_s)
    begin = min(o["s"] for o in top)
    names = defaultdict(lambda: [0, 0, 0])
    for o in ops:
        r = names[o["name"]]
        r[0] += 1
        r[1] += o["d"]
        r[2] += self_of[o["i"]]
    return {"begin": begin, "end": host_end, "top": len(top), "active": active, "ops": names, "n": len(ops)}


def check_self_table(h, exp, label):
    """An operators-by-self-time object (host or operators_by_self) against the recomputation."""
    check(h["top_level_operators"] == exp["top"], f"{label}: top-level {h['top_level_operators']} != {exp['top']}")
    got_ops = {o["name"]: o for o in h["operators"]}
    check(set(got_ops) == set(exp["ops"]), f"{label}: operator names differ")
    self_total = sum(v[2] for v in exp["ops"].values())
    check(h["self_total_ns"] == self_total, f"{label}: self total {h['self_total_ns']} != {self_total}")
    for name, (count, total, self_ns) in exp["ops"].items():
        o = got_ops.get(name)
        if not o:
            continue
        check((o["count"], o["total_ns"], o["self_ns"]) == (count, total, self_ns),
              f"{label}: {name} count/total/self {(o['count'], o['total_ns'], o['self_ns'])} != {(count, total, self_ns)}")
        check(abs(o["self_share"] - self_ns / self_total) < 1e-12, f"{label}: {name} self_share {o['self_share']}")
    selfs = [o["self_ns"] for o in h["operators"]]
    check(selfs == sorted(selfs, reverse=True), f"{label}: operators not by self time")


def check_csv_self(d, exp, label):
    with open(os.path.join(d, "host_operators.csv")) as f:
        rows = {row["name"]: row for row in csv.DictReader(f)}
    check(len(rows) == len(exp["ops"]), f"{label}: host_operators.csv has {len(rows)} rows, want {len(exp['ops'])}")
    for name, (count, total, self_ns) in exp["ops"].items():
        row = rows.get(name)
        check(row is not None and (int(row["count"]), int(row["total_ns"]), int(row["self_ns"])) == (count, total, self_ns),
              f"{label}: host_operators.csv {name}")


def check_trace(path, label):
    exp = expected(load(path))
    r = run("analyze", path, "--json")
    check(r.returncode == 0, f"{label}: analyze --json exit {r.returncode}: {r.stderr}")
    if r.returncode:
        return
    j = json.loads(r.stdout)
    for k in GPU_KEYS:
        check(k in j and j[k] is None, f"{label}: {k} is {j.get(k)!r}, want null")
    check(j.get("undefined_reason") == "no GPU activity in the trace", f"{label}: undefined_reason {j.get('undefined_reason')!r}")
    check(j["operators"] == exp["n"], f"{label}: operators {j['operators']} != {exp['n']}")
    h = j["host"]
    check(h["t_begin_ns"] == exp["begin"] and h["t_end_ns"] == exp["end"],
          f"{label}: host window {h['t_begin_ns']}..{h['t_end_ns']} != {exp['begin']}..{exp['end']}")
    check(h["span_ns"] == exp["end"] - exp["begin"], f"{label}: span {h['span_ns']}")
    got_threads = {(t["pid"], t["tid"]): t for t in h["threads"]}
    check(set(got_threads) == set(exp["active"]), f"{label}: threads {sorted(got_threads)} != {sorted(exp['active'])}")
    for th, act in exp["active"].items():
        t = got_threads.get(th)
        if t:
            check(t["active_ns"] == act, f"{label}: thread {th} active {t['active_ns']} != {act}")
            check(t["idle_ns"] == h["span_ns"] - act, f"{label}: thread {th} idle {t['idle_ns']}")
    check_self_table(h, exp, label + " host")
    check(j["operators_by_self"] == {k: h[k] for k in ("top_level_operators", "self_total_ns", "operators")},
          f"{label}: operators_by_self is not host's operator table")

    # Text: "-" where the JSON has null, never "0 ns" for the inference latency; the host tables.
    r = run("analyze", path, "--top", "3")
    check(r.returncode == 0, f"{label}: analyze exit {r.returncode}")
    lines = {ln.split()[0] + " " + ln.split()[1]: ln for ln in r.stdout.splitlines() if len(ln.split()) > 2}
    il = lines.get("inference latency", "")
    check(il.split()[2:3] == ["-"] and "no GPU activity" in il, f"{label}: IL row {il!r}")
    check("Operators by self time" in r.stdout and "Host threads" in r.stdout, f"{label}: host tables missing")
    top_name = h["operators"][0]["name"]
    check(top_name in r.stdout, f"{label}: {top_name} not in the text table")

    # CSV: the host tables, and no 0 written for an undefined figure.
    with tempfile.TemporaryDirectory() as d:
        r = run("analyze", path, "--csv", d)
        check(r.returncode == 0, f"{label}: --csv exit {r.returncode}")
        check_csv_self(d, exp, label)
        with open(os.path.join(d, "summary.csv")) as f:
            summary = {row["metric"]: row["value"] for row in csv.DictReader(f)}
        check(summary.get("inference_latency_ns") == "", f"{label}: summary.csv IL {summary.get('inference_latency_ns')!r}")
        # launch_thread is an object (or null here): no summary row either way (docs/analyze.md; review FMT2 L2).
        check("launch_thread" not in summary, f"{label}: summary.csv has a launch_thread row")


def torch_table(path):
    """torch's key_averages().table() of the profile the fixture was exported from: name -> (count,
    total, self) in ns (torch prints 3 decimals of ms or us: exact for whole microseconds)."""
    unit = {"ms": 1_000_000, "us": 1_000, "s": 1_000_000_000}

    def t(v):
        for u in ("ms", "us", "s"):
            if v.endswith(u):
                return int((Decimal(v[:-len(u)]) * unit[u]).to_integral_value())
        raise ValueError(v)
    rows = {}
    with open(path) as f:
        for line in f:
            cols = line.split()
            if len(cols) == 7 and cols[-1].isdigit():
                rows[cols[0]] = (int(cols[6]), t(cols[4]), t(cols[2]))
    return rows


check_trace(os.path.join(FIXTURES, "decode_legacy_t1.json.gz"), "legacy t1")
# Against torch itself: every row of its table, count, total and self to the nanosecond.
ref = torch_table(os.path.join(FIXTURES, "decode_legacy_t1.key_averages.txt"))
check(len(ref) >= 30, f"torch table: {len(ref)} rows read")
j = json.loads(run("analyze", os.path.join(FIXTURES, "decode_legacy_t1.json.gz"), "--json").stdout)
mine = {o["name"]: (o["count"], o["total_ns"], o["self_ns"]) for o in j["host"]["operators"]}
for name, want in ref.items():
    check(mine.get(name) == want, f"torch key_averages {name}: {mine.get(name)} != torch's {want}")
check_trace(os.path.join(FIXTURES, "decode_legacy_sched_cycle2.json.gz"), "legacy schedule cycle")

# The host side of a real Kineto trace: every GPU activity, CUDA call and flow taken out.
gpu_trace = os.path.join(src, "examples", "traces", "gpt2_prefill_bs1.json.gz")
with gzip.open(gpu_trace, "rt") as f:
    doc = json.load(f)
doc["traceEvents"] = [e for e in doc["traceEvents"]
                      if e.get("cat") not in ("kernel", "gpu_memset", "gpu_memcpy", "cuda_runtime", "cuda_driver", "ac2g")]
with tempfile.TemporaryDirectory() as d:
    host_only = os.path.join(d, "gpt2_host_only.json")
    with open(host_only, "w") as f:
        json.dump(doc, f)
    check_trace(host_only, "kineto host only")
    j = json.loads(run("analyze", host_only, "--json").stdout)
    names = [t["name"] for t in j["host"]["threads"]]
    check(all(n for n in names), f"kineto host only: thread names {names}")

# The other verbs on the legacy fixture: no figure of a GPU metric reads as a measurement.
legacy = os.path.join(FIXTURES, "decode_legacy_t1.json.gz")
# Its pid is the string "CPU functions": a named pid (-2), so ingest shows its one thread.
r = run("ingest", legacy)
lines = [ln.split() for ln in r.stdout.splitlines()]
check(["threads", "1"] in lines and ["process_name.-2", "=", "CPU", "functions"] in lines, f"ingest legacy: {r.stdout}")
with tempfile.TemporaryDirectory() as d:
    saved = os.path.join(d, "an.json")
    with open(saved, "w") as f:
        f.write(run("analyze", legacy, "--json").stdout)
    fusion_doc = os.path.join(d, "fu.json")
    with open(fusion_doc, "w") as f:
        f.write(run("fusion", legacy, "--json").stdout)
    page = os.path.join(d, "r.html")
    r = run("report", legacy, saved, fusion_doc, "-o", page)
    check(r.returncode == 0, f"report exit {r.returncode}: {r.stderr}")
    with open(page) as f:
        text = f.read()
    # Both the trace's section and the saved document's carry the host tables.
    check(text.count("Operators by self time") == 2, "report: host operator tables")
    check("Kernel fusion (fu.json): no kernels in the trace (no GPU activity in the trace), nothing to fuse." in text,
          "report: fusion finding over no kernels")
    check("aten::addmm takes 69.2% of the operators&#39; self time" in text, "report: host finding")
    r = run("fusion", legacy)
    # The text says why, as the JSON's undefined_reason does (review FU-9).
    check(r.returncode == 0 and "No kernels in this trace (no GPU activity in the trace): nothing to fuse." in r.stdout
          and "1.000x" not in r.stdout, f"fusion text: {r.stdout}")
    r = run("sweep", legacy, os.path.join(FIXTURES, "decode_legacy_sched_cycle2.json.gz"), "--label", "bs=1", "--label", "bs=2")
    check(r.returncode == 0 and " ns " not in r.stdout and "No trace in this sweep has GPU activity" in r.stdout,
          f"sweep text: {r.stdout}")

# A trace with GPU work keeps its figures and has neither key, and has the operators by self time,
# recomputed here as above; its launch-tax table's calls and CPU time are the same count and total.
for path, label in ((gpu_trace, "gpt2 bs1"), (os.path.join(src, "examples", "traces", "nullkernel_2000.json.gz"), "null kernel")):
    exp = expected(load(path))
    j = json.loads(run("analyze", path, "--json").stdout)
    check("host" not in j and "undefined_reason" not in j, f"{label}: host / undefined_reason present")
    check(isinstance(j["inference_latency_ns"], int) and j["inference_latency_ns"] > 0, f"{label}: IL")
    check(exp["top"] > 0, f"{label}: the recomputation found no operators")
    check_self_table(j["operators_by_self"], exp, label)
    for o in j["operator_stats"]:
        c, tot, _ = exp["ops"][o["name"]]
        check((o["calls"], o["cpu_time_ns"]) == (c, tot), f"{label}: launch-tax table {o['name']} calls/CPU time")
    r = run("analyze", path, "--top", "3")
    out = r.stdout
    check(r.returncode == 0 and out.index("Operators by launch tax") < out.index("Operators by self time") < out.index("GPU streams"),
          f"{label}: text tables out of place")
    check(j["operators_by_self"]["operators"][0]["name"] in out.split("Operators by self time")[1], f"{label}: top row")
    with tempfile.TemporaryDirectory() as d:
        check(run("analyze", path, "--csv", d).returncode == 0, f"{label}: --csv")
        check_csv_self(d, exp, label)
        check(not os.path.exists(os.path.join(d, "host_threads.csv")), f"{label}: host_threads.csv written")

if failures:
    sys.exit(1)
print("ok")
