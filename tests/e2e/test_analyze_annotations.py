"""`infertrace analyze` and `sweep` on real H100 traces (examples/traces) given the shapes real captures
have and the examples lack (review KV): a ProfilerStep#N / record_function range around the model on the
launching thread, several profiler steps, launch calls the reader does not know (ROCm's hip*), and two
processes' traces merged with repeated correlation ids. Expected values are computed here from the JSON
(docs/metrics.md section 2; docs/analyze.md "Annotations and profiler steps", "No launch calls",
"Merged processes"), not by the C++ reader."""
import copy
import gzip
import json
import os
import sys
import tempfile
from decimal import Decimal

sys.path.insert(0, os.path.dirname(__file__))
import _kineto_plain  # noqa: E402
from _harness import check, failures  # noqa: E402
import _harness  # noqa: E402

src = os.environ["INFERTRACE_SOURCE_DIR"]
EXAMPLES = os.path.join(src, "examples", "traces")


def load(name):
    with gzip.open(os.path.join(EXAMPLES, name), "rt") as f:
        return json.load(f, parse_float=Decimal)


def dumps(v):
    """JSON with every number written as read (Decimal keeps the traces' microseconds exact)."""
    if isinstance(v, dict):
        return "{" + ",".join(json.dumps(k) + ":" + dumps(x) for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ",".join(dumps(x) for x in v) + "]"
    if isinstance(v, Decimal):
        return str(v)
    return json.dumps(v)


def write(doc, path):
    with open(path, "w") as f:
        f.write(dumps(doc))


def run(*args):
    p = _harness.run(*args)
    return p.returncode, p.stdout, p.stderr


def analyze_json(path):
    rc, out, err = run("analyze", path, "--json")
    check(rc == 0, f"analyze {path} exited {rc}: {err}")
    return json.loads(out) if rc == 0 else {}


def union(intervals, lo, hi):
    total, cur_s, cur_e = 0, None, None
    for s, e in sorted((max(s, lo), min(e, hi)) for s, e in intervals):
        if e <= s:
            continue
        if cur_e is None or s > cur_e:
            if cur_e is not None:
                total += cur_e - cur_s
            cur_s, cur_e = s, e
        else:
            cur_e = max(cur_e, e)
    return total + (cur_e - cur_s if cur_e is not None else 0)


def plain_figures(path, leave_out_annotations):
    """IL, host active and CPU idle by docs/metrics.md, with or without the annotation ranges."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        doc = json.load(f, parse_float=Decimal)
    gpu, api, ops = [], [], []
    for e in doc["traceEvents"]:
        if e.get("ph") != "X" or "ts" not in e:
            continue
        cat = e.get("cat", "")
        rec = (e.get("pid"), e.get("tid"), _kineto_plain.ns(e["ts"]), _kineto_plain.ns(e.get("dur", 0)), e.get("name", ""),
               cat)
        if cat in _kineto_plain.GPU_CATS:
            gpu.append(rec)
        elif cat in _kineto_plain.API_CATS:
            api.append(rec)
        elif cat in _kineto_plain.OP_CATS:
            ops.append(rec)
    lo = min(o[2] for o in ops)
    hi = max(g[2] + g[3] for g in gpu)
    launches = {}
    for c in api:
        if _kineto_plain.is_launch(c[4]):
            launches[(c[0], c[1])] = launches.get((c[0], c[1]), 0) + 1
    thread = min(launches, key=lambda k: (-launches[k], k))
    mine_ops = [o for o in ops if (o[0], o[1]) == thread and not (
        leave_out_annotations and (o[5] == "user_annotation" or o[4].startswith("ProfilerStep#")))]
    mine_api = [c for c in api if (c[0], c[1]) == thread]
    active = union([(o[2], o[2] + o[3]) for o in mine_ops] + [(c[2], c[2] + c[3]) for c in mine_api], lo, hi)
    sync = union([(c[2], c[2] + c[3]) for c in mine_api if "Synchronize" in c[4]], lo, hi)
    il = hi - lo
    return {"il": il, "host_active": active - sync, "cpu_idle": il - (active - sync), "thread": thread}


def launching_thread(doc):
    counts = {}
    for e in doc["traceEvents"]:
        if e.get("ph") == "X" and e.get("cat") in _kineto_plain.API_CATS and _kineto_plain.is_launch(e.get("name", "")):
            k = (e["pid"], e["tid"])
            counts[k] = counts.get(k, 0) + 1
    return min(counts, key=lambda k: (-counts[k], k))


def host_span(doc, thread):
    """First start and last end of the thread's host events."""
    evs = [e for e in doc["traceEvents"] if e.get("ph") == "X" and (e.get("pid"), e.get("tid")) == thread
           and e.get("cat") in (_kineto_plain.OP_CATS | _kineto_plain.API_CATS)]
    return min(e["ts"] for e in evs), max(e["ts"] + e.get("dur", 0) for e in evs)


def with_steps(doc, spans):
    """The trace with one ProfilerStep#N user_annotation per (start, end) on the launching thread."""
    d = copy.deepcopy(doc)
    pid, tid = launching_thread(d)
    for n, (s, e) in enumerate(spans, start=1):
        d["traceEvents"].append({"ph": "X", "cat": "user_annotation", "name": f"ProfilerStep#{n}", "pid": pid, "tid": tid,
                                 "ts": s, "dur": e - s, "args": {"External id": 900000 + n}})
    return d


with tempfile.TemporaryDirectory() as tmp:
    bs1 = load("gpt2_prefill_bs1.json.gz")
    first, last = host_span(bs1, launching_thread(bs1))

    # 1. One ProfilerStep#1 from 1000 us before the first host event to the last one's end.
    one = os.path.join(tmp, "gpt2_prefill_bs1_step.json")
    write(with_steps(bs1, [(first - 1000, last)]), one)
    j = analyze_json(one)
    lit, bare = plain_figures(one, False), plain_figures(one, True)
    check(j.get("inference_latency_ns") == lit["il"], f"IL {j.get('inference_latency_ns')} != {lit['il']}")
    check(j.get("cpu_idle_ns") == lit["cpu_idle"], f"CPU idle (as defined) {j.get('cpu_idle_ns')} != {lit['cpu_idle']}")
    check(j.get("cpu_idle_without_annotations_ns") == bare["cpu_idle"],
          f"CPU idle without annotations {j.get('cpu_idle_without_annotations_ns')} != {bare['cpu_idle']}")
    check(j.get("host_active_without_annotations_ns") == bare["host_active"],
          f"host active without annotations {j.get('host_active_without_annotations_ns')} != {bare['host_active']}")
    check(bare["cpu_idle"] > 10 * lit["cpu_idle"], f"the step should cover the gaps: {bare['cpu_idle']} vs {lit['cpu_idle']}")
    check(j.get("launch_thread_annotations") == 1 and j.get("profiler_steps") == 1,
          f"annotations {j.get('launch_thread_annotations')}, steps {j.get('profiler_steps')}")
    rc, text, _ = run("analyze", one)
    pct = f"{bare['cpu_idle'] / lit['il'] * 100.0:.1f}%"
    check(rc == 0 and "without annotations" in text and pct in text and "1 annotation range" in text,
          f"analyze text lacks the without-annotations row with {pct}")
    check("profiler steps" not in text, "one step needs no profiler-steps row")

    # The plain example: no annotation, the figures without them are the figures.
    plain = analyze_json(os.path.join(EXAMPLES, "gpt2_prefill_bs1.json.gz"))
    check(plain.get("launch_thread_annotations") == 0 and plain.get("profiler_steps") == 0, "annotations in the example")
    check(plain.get("cpu_idle_without_annotations_ns") == plain.get("cpu_idle_ns"), "without annotations != as defined")

    # 2. Three steps: counted and said.
    third = (last - first) // 3
    three = os.path.join(tmp, "gpt2_prefill_bs1_3steps.json")
    write(with_steps(bs1, [(first, first + third), (first + third, first + 2 * third), (first + 2 * third, last)]), three)
    j = analyze_json(three)
    check(j.get("profiler_steps") == 3 and j.get("launch_thread_annotations") == 3,
          f"3 steps: {j.get('profiler_steps')} / {j.get('launch_thread_annotations')}")
    rc, text, _ = run("analyze", three)
    check("profiler steps" in text and "span all 3 steps" in text, "the text does not say the IL spans 3 steps")

    # 3. A sweep of two batches, each with a step: the sentence gives the shares without annotations.
    bs2 = load("gpt2_prefill_bs2.json.gz")
    f2, l2 = host_span(bs2, launching_thread(bs2))
    two = os.path.join(tmp, "gpt2_prefill_bs2_step.json")
    write(with_steps(bs2, [(f2 - 20, l2)]), two)
    rc, out, err = run("sweep", one, two, "--json")
    check(rc == 0, f"sweep exited {rc}: {err}")
    if rc == 0:
        s = json.loads(out)
        shares = [f"{plain_figures(p, True)['cpu_idle'] / plain_figures(p, True)['il'] * 100.0:.1f}%" for p in (one, two)]
        check(f"without them CPU idle is {shares[0]}, {shares[1]} of the inference latency" in s["summary"],
              f"sweep sentence {s['summary']!r} lacks {shares}")
        for p, path in zip(s["points"], (one, two)):
            want = plain_figures(path, True)["cpu_idle"]
            check(p["cpu_idle_without_annotations_ns"] == want, f"sweep point {p['batch']}: {p['cpu_idle_without_annotations_ns']} != {want}")

    # 4. ROCm's names: no launch call, so no launching thread: CPU idle is null with a reason.
    hip = copy.deepcopy(bs1)
    renamed = 0
    for e in hip["traceEvents"]:
        if e.get("cat") in _kineto_plain.API_CATS and _kineto_plain.is_launch(e.get("name", "")):
            e["name"] = "hipLaunchKernel"
            renamed += 1
    hip_path = os.path.join(tmp, "hip.json")
    write(hip, hip_path)
    j = analyze_json(hip_path)
    check(j.get("launch_calls") == 0, f"hip: launch calls {j.get('launch_calls')}")
    for k in ("cpu_idle_ns", "cpu_idle_fraction", "host_active_ns", "host_sync_ns", "cpu_idle_without_annotations_ns"):
        check(k in j and j[k] is None, f"hip: {k} = {j.get(k)!r}, not null")
    reason = j.get("host_undefined_reason", "")
    check(reason.startswith("no launch calls") and f"{renamed} hip* API calls" in reason, f"hip reason {reason!r}")
    check(j.get("gpu_idle_ns") is not None, "hip: GPU idle is still measured")
    rc, text, _ = run("analyze", hip_path)
    check(any(line.split()[:3] == ["CPU", "idle", "-"] and "undefined: no launch calls" in line for line in text.splitlines()),
          "hip: the text's CPU idle row is not '-' with the reason")
    rc, out, err = run("sweep", hip_path, one, "--label", "bs=1", "--label", "bs=2", "--json")
    check(rc == 0, f"hip sweep exited {rc}: {err}")
    if rc == 0:
        p = json.loads(out)["points"][0]
        check(p["cpu_idle_share"] is None and p["balanced"] is False and p.get("host_undefined_reason", "").startswith("no launch"),
              f"hip sweep point {p}")

    # 5. Two processes merged, correlation ids repeated: the second process's calls are named.
    merged = copy.deepcopy(bs1)
    pid, _ = launching_thread(bs1)
    rank1 = []
    for e in bs1["traceEvents"]:
        if e.get("ph") != "X":
            continue
        e2 = copy.deepcopy(e)
        if e.get("cat") in _kineto_plain.GPU_CATS:
            e2["args"]["device"] = 1
            e2["pid"] = 1
        elif e.get("pid") == pid:
            e2["pid"] = pid + 1000
        else:
            continue
        e2["ts"] = e["ts"] + 3
        rank1.append(e2)
    merged["traceEvents"] += rank1
    rank1_launches = sum(1 for e in rank1 if e.get("cat") in _kineto_plain.API_CATS and _kineto_plain.is_launch(e["name"]))
    merged_path = os.path.join(tmp, "merged.json")
    write(merged, merged_path)
    j = analyze_json(merged_path)
    check(j.get("duplicate_calls_of_other_processes") == rank1_launches,
          f"merged: {j.get('duplicate_calls_of_other_processes')} calls of other processes, want {rank1_launches}")
    check(plain.get("duplicate_calls_of_other_processes") == 0, "the example has calls of other processes")
    rc, text, _ = run("analyze", merged_path)
    check("of other processes" in text and "analyze each process's trace on its own" in text,
          "merged: the text does not name the other process's calls")

if failures:
    print(f"{len(failures)} failure(s)")
    sys.exit(1)
print("annotations, steps, no launch calls and merged processes: all checks passed")
