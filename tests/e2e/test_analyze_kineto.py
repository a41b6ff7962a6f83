"""`infertrace analyze --json` on real H100 Kineto traces: every figure is recomputed here from the raw
JSON by a second, deliberately plain implementation of docs/metrics.md sections 1-2 (quadratic where
that is simpler), then compared exactly. Also: the GPT-2 prefill batch sweep is CPU-bound through
batch 8 and GPU-bound from 16; several traces give one object each; --csv and the text tables; usage
and input errors. The fixtures in ../shared are used too when present (exit 77 = skipped when none
of the inputs exist)."""
import csv
import glob
import gzip
import json
import os
import re
import subprocess
import sys
import tempfile
from decimal import Decimal

exe = os.environ["INFERTRACE"]
src = os.environ["INFERTRACE_SOURCE_DIR"]
examples = sorted(glob.glob(os.path.join(src, "examples", "traces", "*.json.gz")))
# ../shared beside the repository (a git worktree sits one level deeper, hence the second candidate).
shared_dirs = [os.environ.get("INFERTRACE_SHARED_DIR", ""), os.path.join(src, "..", "shared"),
               os.path.join(src, "..", "..", "shared")]
shared = next((sorted(glob.glob(os.path.join(d, "fixtures", "kineto-h100", "*.json.gz")))
               for d in shared_dirs if d and os.path.isdir(os.path.join(d, "fixtures", "kineto-h100"))), [])
failures = []

GPU_CATS = {"kernel": "kernel", "Kernel": "kernel", "gpu_memcpy": "memcpy", "Memcpy": "memcpy",
            "gpu_memset": "memset", "Memset": "memset"}
API_CATS = {"cuda_runtime", "Runtime", "cuda_driver"}
OP_CATS = {"cpu_op", "Operator", "user_annotation"}


def run(*args):
    return subprocess.run([exe] + list(args), capture_output=True, text=True, timeout=600)


def api_kind(name):
    # Suffixes in either order: _v2_ptsz (CUPTI's driver names), _ptsz_v7000 (its runtime names).
    base = re.sub(r"_(ptsz|ptds)$", "", name)
    base = re.sub(r"_v\d.*$", "", base)
    base = re.sub(r"_(ptsz|ptds)$", "", base)
    if "Synchronize" in base:
        return "sync"
    if base in ("cudaLaunchKernel", "__cudaLaunchKernel", "cudaLaunchKernelExC", "cudaLaunchCooperativeKernel", "cuLaunchKernel",
                "cuLaunchKernelEx", "cuLaunchCooperativeKernel", "cudaLaunchCooperativeKernelMultiDevice",
                "cuLaunchCooperativeKernelMultiDevice"):
        return "kernel_launch"
    if base in ("cudaGraphLaunch", "cuGraphLaunch"):
        return "graph_launch"
    if base in ("cudaMemcpyAsync", "cudaMemcpy2DAsync", "cudaMemcpy3DAsync", "cudaMemcpyPeerAsync",
                "cudaMemcpyToSymbolAsync", "cudaMemcpyFromSymbolAsync") or \
            (base.startswith("cuMemcpy") and base.endswith("Async")):
        return "memcpy_async"
    if base in ("cudaMemsetAsync", "cudaMemset2DAsync", "cudaMemset3DAsync") or \
            (base.startswith("cuMemsetD") and base.endswith("Async")):
        return "memset_async"
    return "other"


LAUNCH_KINDS = {"kernel_launch", "graph_launch", "memcpy_async", "memset_async"}


def ns(v):
    return int(Decimal(str(v)) * 1000)


def ext_of(args):
    v = args.get("External id", args.get("external id"))
    return v if isinstance(v, int) else -1


def read(path):
    with gzip.open(path, "rt") if path.endswith(".gz") else open(path) as f:
        doc = json.load(f, parse_float=Decimal)
    events = doc["traceEvents"] if isinstance(doc, dict) else doc
    gpu, api, ops = [], [], []
    for e in events:
        if e.get("ph") != "X":
            continue
        cat = e.get("cat", "")
        if cat not in GPU_CATS and cat not in API_CATS and cat not in OP_CATS:
            continue
        args = e.get("args") or {}
        r = {"name": e.get("name", ""), "ts": ns(e["ts"]), "dur": ns(e.get("dur", 0)), "pid": e.get("pid"),
             "tid": e.get("tid")}
        corr = args.get("correlation")
        r["corr"] = corr if isinstance(corr, int) else -1
        if cat in GPU_CATS:
            r.update(kind=GPU_CATS[cat], device=args.get("device", -1), stream=args.get("stream", -1))
            gpu.append(r)
        elif cat in API_CATS:
            r.update(kind=api_kind(r["name"]), ext=ext_of(args))
            api.append(r)
        else:
            r.update(ext=ext_of(args))
            ops.append(r)
    return gpu, api, ops


def union(intervals, lo, hi):
    total, cur = 0, None
    for s, e in sorted((max(s, lo), min(e, hi)) for s, e in intervals):
        if e <= s:
            continue
        if cur and s <= cur[1]:
            cur[1] = max(cur[1], e)
        else:
            if cur:
                total += cur[1] - cur[0]
            cur = [s, e]
    return total + (cur[1] - cur[0] if cur else 0)


def expected(path):
    gpu, api, ops = read(path)
    x = {"kernels": sum(g["kind"] == "kernel" for g in gpu), "memcpys": sum(g["kind"] == "memcpy" for g in gpu),
         "memsets": sum(g["kind"] == "memset" for g in gpu), "gpu_activities": len(gpu), "api_calls": len(api),
         "operators": len(ops), "launch_calls": sum(c["kind"] in LAUNCH_KINDS for c in api),
         "graph_launches": sum(c["kind"] == "graph_launch" for c in api),
         "sync_calls": sum(c["kind"] == "sync" for c in api)}
    kernel_durs = [g["dur"] for g in gpu if g["kind"] == "kernel"]
    x["akd_ns"] = sum(kernel_durs) / len(kernel_durs) if kernel_durs else 0.0
    owner = {}
    for i, c in enumerate(api):
        if c["corr"] >= 0:
            owner.setdefault(c["corr"], []).append(i)
    linked = {}  # api index -> [gpu indices]
    x["orphan_activities"] = x["activities_of_other_calls"] = 0
    for j, g in enumerate(gpu):
        calls = owner.get(g["corr"], []) if g["corr"] >= 0 else []
        launches = sorted((api[i]["ts"], i) for i in calls if api[i]["kind"] in LAUNCH_KINDS)
        if launches:
            linked.setdefault(launches[0][1], []).append(j)
        elif calls:
            x["activities_of_other_calls"] += 1
        else:
            x["orphan_activities"] += 1
    tk = tk_launch = tk_queue = api_time = skew = 0
    per_call = {}
    for i, js in linked.items():
        c = api[i]
        first = min(gpu[j]["ts"] for j in js)
        lat = first - c["ts"]
        if lat < 0:
            skew += 1
            lat = 0
        q = max(0, first - (c["ts"] + c["dur"]))
        per_call[i] = (lat, lat - q, q, sum(gpu[j]["dur"] for j in js), len(js))
        tk, tk_launch, tk_queue, api_time = tk + lat, tk_launch + lat - q, tk_queue + q, api_time + c["dur"]
    x.update(tklqt_ns=tk, tklqt_launch_ns=tk_launch, tklqt_queue_ns=tk_queue, api_time_ns=api_time,
             clock_skew_clamped=skew, linked_launch_calls=len(linked),
             bound=(("gpu" if tk_queue > tk_launch else "cpu") if linked else None))
    dup = sum(len([i for i in v if api[i]["kind"] in LAUNCH_KINDS]) - 1 for v in owner.values()
              if any(api[i]["kind"] in LAUNCH_KINDS for i in v))
    x["duplicate_correlation_calls"] = dup
    x["orphan_launch_calls"] = x["launch_calls"] - len(linked) - dup
    # IL window.
    begin = min(o["ts"] for o in ops) if ops else min(c["ts"] for c in api)
    end = max(g["ts"] + g["dur"] for g in gpu)
    x.update(t_begin_ns=begin, t_end_ns=end, inference_latency_ns=end - begin)
    x["gpu_busy_ns"] = union([(g["ts"], g["ts"] + g["dur"]) for g in gpu], begin, end)
    x["gpu_idle_ns"] = x["inference_latency_ns"] - x["gpu_busy_ns"]
    counts = {}
    for c in api:
        if c["kind"] in LAUNCH_KINDS:
            counts[(c["pid"], c["tid"])] = counts.get((c["pid"], c["tid"]), 0) + 1
    thread = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
    mine = [(e["ts"], e["ts"] + e["dur"]) for e in ops + api if (e["pid"], e["tid"]) == thread]
    sync = [(c["ts"], c["ts"] + c["dur"]) for c in api if (c["pid"], c["tid"]) == thread and c["kind"] == "sync"]
    x["host_sync_ns"] = union(sync, begin, end)
    x["host_active_ns"] = union(mine, begin, end) - x["host_sync_ns"]
    x["cpu_idle_ns"] = x["inference_latency_ns"] - x["host_active_ns"]
    x["launch_thread"] = {"pid": thread[0], "tid": thread[1], "launches": counts[thread]}
    # Per API name.
    apis = {}
    for i, c in enumerate(api):
        r = apis.setdefault(c["name"], {"name": c["name"], "kind": c["kind"], "calls": 0, "linked": 0,
                                        "api_total_ns": 0, "latency_total_ns": 0, "launch_total_ns": 0,
                                        "queue_total_ns": 0, "timed_calls": 0})
        r["calls"] += 1
        r["api_total_ns"] += c["dur"]
        r["timed_calls"] += 1  # every Kineto call carries its duration
        if i in per_call:
            lat, lp, q, _, _ = per_call[i]
            r["linked"] += 1
            r["latency_total_ns"] += lat
            r["launch_total_ns"] += lp
            r["queue_total_ns"] += q
    x["apis"] = apis
    kernels = {}
    for g in gpu:
        if g["kind"] == "kernel":
            k = kernels.setdefault(g["name"], {"count": 0, "total_ns": 0, "min_ns": g["dur"], "max_ns": g["dur"]})
            k["count"] += 1
            k["total_ns"] += g["dur"]
            k["min_ns"] = min(k["min_ns"], g["dur"])
            k["max_ns"] = max(k["max_ns"], g["dur"])
    x["kernel_stats"] = kernels
    # Per operator: innermost operator per linked launch call, by External id, else by containment.
    opstat = {}
    for o in ops:
        r = opstat.setdefault(o["name"], {"calls": 0, "kernels": 0, "launch_tax_ns": 0, "gpu_time_ns": 0,
                                          "cpu_time_ns": 0})
        r["calls"] += 1
        r["cpu_time_ns"] += o["dur"]
    links = {"by_external_id": 0, "by_containment": 0, "none": 0}
    for i, (lat, _, _, gtime, n) in per_call.items():
        c = api[i]
        cands = [(o["ts"], -o["dur"], k) for k, o in enumerate(ops) if c["ext"] >= 0 and o["ext"] == c["ext"]]
        how = "by_external_id"
        if not cands:
            how = "by_containment"
            cands = [(o["ts"], -o["dur"], k) for k, o in enumerate(ops)
                     if (o["pid"], o["tid"]) == (c["pid"], c["tid"]) and o["ts"] <= c["ts"] < o["ts"] + o["dur"]]
        if not cands:
            links["none"] += 1
            continue
        links[how] += 1
        r = opstat[ops[max(cands)[2]]["name"]]
        r["kernels"] += n
        r["launch_tax_ns"] += lat
        r["gpu_time_ns"] += gtime
    x["operator_stats"], x["operator_links"] = opstat, links
    streams, devices = {}, {}
    for g in gpu:
        s = streams.setdefault((g["device"], g["stream"]), {"kernels": 0, "memcpys": 0, "memsets": 0,
                                                            "kernel_time_ns": 0, "iv": []})
        s[g["kind"] + "s"] += 1
        if g["kind"] == "kernel":
            s["kernel_time_ns"] += g["dur"]
        s["iv"].append((g["ts"], g["ts"] + g["dur"]))
        devices.setdefault(g["device"], []).append((g["ts"], g["ts"] + g["dur"]))
    for s in streams.values():
        s["busy_ns"] = union(s.pop("iv"), begin, end)
    x["streams"] = streams
    x["devices"] = {d: union(iv, begin, end) for d, iv in devices.items()}
    return x


def close(got, want):
    """A float key against its recomputed value (both from the same integers: only rounding differs)."""
    return isinstance(got, (int, float)) and abs(got - want) <= 1e-9 * max(1.0, abs(want))


def compare(path, got):
    tag = os.path.basename(path)
    want = expected(path)
    if got.get("skipped"):
        # Our reading keeps every complete event; a skipped one would shift the figures below.
        failures.append("%s: reader skipped events %s; the plain recompute does not model that" % (tag, got["skipped"]))
        return
    for key in ("kernels", "memcpys", "memsets", "gpu_activities", "api_calls", "operators", "launch_calls",
                "linked_launch_calls", "graph_launches", "sync_calls", "tklqt_ns", "tklqt_launch_ns",
                "tklqt_queue_ns", "api_time_ns", "clock_skew_clamped", "orphan_activities", "orphan_launch_calls",
                "activities_of_other_calls", "duplicate_correlation_calls", "t_begin_ns", "t_end_ns",
                "inference_latency_ns", "gpu_busy_ns", "gpu_idle_ns", "host_sync_ns", "host_active_ns",
                "cpu_idle_ns", "bound", "launch_thread", "operator_links"):
        if got.get(key) != want[key]:
            failures.append("%s: %s = %r, recomputed %r" % (tag, key, got.get(key), want[key]))
    if abs(got["akd_ns"] - want["akd_ns"]) > 1e-6 * max(1.0, want["akd_ns"]):
        failures.append("%s: akd_ns = %r, recomputed %r" % (tag, got["akd_ns"], want["akd_ns"]))
    if got["tklqt_ns"] != got["tklqt_launch_ns"] + got["tklqt_queue_ns"]:
        failures.append("%s: TKLQT is not the sum of its parts" % tag)
    # Tables: every row, every column.
    apis = {r["name"]: {k: r[k] for k in want["apis"].get(r["name"], r) if k in r} for r in got["apis"]}
    if apis != want["apis"]:
        failures.append("%s: apis differ:\n got %r\nwant %r" % (tag, apis, want["apis"]))
    # The means and shares each key carries (docs/analyze.md), from the recomputed totals.
    for r in got["apis"]:
        w = want["apis"].get(r["name"])
        if not w:
            continue
        n = w["linked"]
        # A mean over no linked call is unknown: null (the text and HTML print "-").
        means = {"mean_api_ns": w["api_total_ns"] / w["timed_calls"],
                 "mean_latency_ns": w["latency_total_ns"] / n if n else None,
                 "mean_launch_ns": w["launch_total_ns"] / n if n else None,
                 "mean_queue_ns": w["queue_total_ns"] / n if n else None}
        for k, v in means.items():
            if (v is None) != (r.get(k) is None) or (v is not None and not close(r.get(k), v)):
                failures.append("%s: apis %s: %s = %r, recomputed %r" % (tag, r["name"], k, r.get(k), v))
    for r in got["kernel_stats"]:
        w = want["kernel_stats"].get(r["name"])
        if w and not close(r.get("mean_ns"), w["total_ns"] / w["count"]):
            failures.append("%s: kernel_stats %s: mean_ns = %r" % (tag, r["name"], r.get("mean_ns")))
    il = want["inference_latency_ns"]
    for key, part in (("gpu_idle_fraction", "gpu_idle_ns"), ("cpu_idle_fraction", "cpu_idle_ns")):
        recomputed = want[part] / il if il > 0 else 0.0
        if not close(got.get(key), recomputed):
            failures.append("%s: %s = %r, recomputed %r" % (tag, key, got.get(key), recomputed))
    ks = {r["name"]: {k: r[k] for k in ("count", "total_ns", "min_ns", "max_ns")} for r in got["kernel_stats"]}
    if ks != want["kernel_stats"]:
        failures.append("%s: kernel_stats differ" % tag)
    totals = [r["total_ns"] for r in got["kernel_stats"]]
    if totals != sorted(totals, reverse=True):
        failures.append("%s: kernel_stats not sorted by total time" % tag)
    os_ = {r["name"]: {k: r[k] for k in ("calls", "kernels", "launch_tax_ns", "gpu_time_ns", "cpu_time_ns")}
           for r in got["operator_stats"]}
    if os_ != want["operator_stats"]:
        bad = {k: (os_.get(k), v) for k, v in want["operator_stats"].items() if os_.get(k) != v}
        failures.append("%s: operator_stats differ (got, want): %r" % (tag, dict(list(bad.items())[:5])))
    st = {(r["device"], r["stream"]): {k: r[k] for k in ("kernels", "memcpys", "memsets", "kernel_time_ns", "busy_ns")}
          for r in got["streams"]}
    if st != want["streams"]:
        failures.append("%s: streams differ: got %r want %r" % (tag, st, want["streams"]))
    dv = {r["device"]: r["busy_ns"] for r in got["devices"]}
    if dv != want["devices"] or any(r["idle_ns"] != got["inference_latency_ns"] - r["busy_ns"] for r in got["devices"]):
        failures.append("%s: devices differ: got %r want %r" % (tag, dv, want["devices"]))


def analyze_json(paths):
    r = run("analyze", "--json", *paths)
    if r.returncode != 0:
        failures.append("analyze --json %s exited %d: %s" % (" ".join(paths), r.returncode, r.stderr[-2000:]))
        return None
    return json.loads(r.stdout)


inputs = examples + [p for p in shared if os.path.basename(p) not in {os.path.basename(e) for e in examples}]
if not inputs:
    print("no Kineto traces found (examples/traces or ../shared/fixtures/kineto-h100)")
    sys.exit(77)

# One trace: every key at the top level, with schema_version and kind.
for path in inputs:
    doc = analyze_json([path])
    if doc is None:
        continue
    if doc.get("schema_version") != 1 or doc.get("kind") != "analyze" or doc.get("file") != path:
        failures.append("%s: schema_version/kind/file wrong: %r" % (path, {k: doc.get(k) for k in ("schema_version", "kind", "file")}))
    compare(path, doc)

# The GPT-2 prefill sweep: launch-dominated through batch 8, queue-dominated from 16.
sweep = {int(re.search(r"bs(\d+)", p).group(1)): p for p in inputs if re.search(r"gpt2_prefill_bs\d+\.json", p)}
if len(sweep) < 7:
    failures.append("expected the 7 GPT-2 prefill traces, found %r" % sorted(sweep))
doc = analyze_json([sweep[b] for b in sorted(sweep)])
if doc is not None:
    if "traces" not in doc or len(doc["traces"]) != len(sweep) or doc.get("schema_version") != 1:
        failures.append("several traces should give schema_version 1 and one object per trace under 'traces'")
    else:
        for b, t in zip(sorted(sweep), doc["traces"]):
            want = "cpu" if b <= 8 else "gpu"
            if t["file"] != sweep[b] or t["bound"] != want:
                failures.append("gpt2 batch %d: bound %r (file %s), expected %r" % (b, t["bound"], t["file"], want))
            print("gpt2 bs%-3d bound=%s launch=%d us queue=%d us IL=%d us gpu_idle=%.1f%% cpu_idle=%.1f%%" % (
                b, t["bound"], t["tklqt_launch_ns"] // 1000, t["tklqt_queue_ns"] // 1000,
                t["inference_latency_ns"] // 1000, 100 * t["gpu_idle_fraction"], 100 * t["cpu_idle_fraction"]))

        # The sweep sentence names the GPU-bound batches past the transition whose GPU is still idle
        # half the inference latency or more (their idle fractions were checked above against this
        # test's own computation), and only those (review UX H1).
        bursty = [b for b, t in zip(sorted(sweep), doc["traces"])
                  if b >= 16 and t["bound"] == "gpu" and t["gpu_idle_fraction"] >= 0.5]
        r = run("sweep", "--json", *[sweep[b] for b in sorted(sweep)])
        summary = json.loads(r.stdout).get("summary", "") if r.returncode == 0 else ""
        want = ("at %s %s: kernels queue in bursts" % ("batch" if len(bursty) == 1 else "batches",
                                                       ", ".join(str(b) for b in bursty[:-1]) + " and " + str(bursty[-1])
                                                       if len(bursty) > 1 else str(bursty[0]))) if bursty else None
        if r.returncode != 0 or (want is None) != ("bursts" not in summary) or (want and want not in summary):
            failures.append("sweep summary should name the bursty GPU-bound batches %r: %r (exit %d)" %
                            (bursty, summary, r.returncode))

# Text tables and CSV agree with the JSON.
with tempfile.TemporaryDirectory() as d:
    two = [sweep[1], sweep[64]] if 1 in sweep and 64 in sweep else inputs[:2]
    r = run("analyze", "--top", "3", "--csv", d, *two)
    if r.returncode != 0:
        failures.append("analyze --csv exited %d: %s" % (r.returncode, r.stderr))
    else:
        for needle in ("TKLQT", "launch part", "queue part", "Top kernels by total time", "Operators by launch tax",
                       "GPU streams", two[0], two[1]):
            if needle not in r.stdout:
                failures.append("text output lacks %r" % needle)
        doc = analyze_json(two)
        with open(os.path.join(d, "summary.csv")) as f:
            rows = list(csv.DictReader(f))
        for t in (doc or {}).get("traces", []):
            got = {r["metric"]: r["value"] for r in rows if r["file"] == t["file"]}
            if got.get("tklqt_ns") != str(t["tklqt_ns"]) or got.get("bound") != t["bound"]:
                failures.append("summary.csv disagrees with JSON for %s" % t["file"])
        with open(os.path.join(d, "kernels.csv")) as f:
            n = sum(1 for _ in csv.DictReader(f))
        if doc and n != sum(len(t["kernel_stats"]) for t in doc["traces"]):
            failures.append("kernels.csv should hold every kernel row of every trace")

# Usage and input errors.
r = run("analyze")
if r.returncode != 2:
    failures.append("analyze without a trace should exit 2, got %d" % r.returncode)
r = run("analyze", "--top", "0", inputs[0])
if r.returncode != 2:
    failures.append("--top 0 should exit 2, got %d" % r.returncode)
with tempfile.TemporaryDirectory() as d:
    bad = os.path.join(d, "truncated.json")
    with gzip.open(inputs[0], "rt") as f:
        text = f.read()
    with open(bad, "w") as f:
        f.write(text[: len(text) // 2])
    r = run("analyze", "--json", bad)
    if r.returncode != 1 or bad not in r.stderr or r.stdout.strip():
        failures.append("truncated trace: want exit 1, the file named and nothing on stdout; got %d %r" %
                        (r.returncode, r.stderr[-300:]))

if failures:
    print("\n".join(failures))
    sys.exit(1)
print("analyze: %d traces recomputed independently, sweep boundedness ok" % len(inputs))
