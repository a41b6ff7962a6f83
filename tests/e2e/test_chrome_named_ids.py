"""`export --chrome` of a Kineto trace with named pids and tids (string pids, numbers below -1),
read back: every API call, operator and thread keeps its pid and tid, and every process and
thread its name. The export writes a named id as its number, which the reader takes as a name
and numbers again by first use (docs/ingest.md, "Named pids and tids"), so the metadata must
come in the id order -2, -3, ..., gaps included; once it came in ascending pid order, and -4
read back as -2. A call or operator without a pid or tid (stored -1) must come back without one:
the reader makes a thread of any event with both given, -1 included, and the export once wrote
both always, so such an event gained a thread (review EL)."""
import json
import os
import sqlite3
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from _harness import check, failures, run  # noqa: E402


MISSING = object()  # a pid or tid left out of the event (None writes a JSON null)


def x(cat, name, ts, pid, tid, **args):
    e = {"ph": "X", "cat": cat, "name": name, "ts": ts, "dur": 3}
    for k, v in (("pid", pid), ("tid", tid)):
        if v is not MISSING:
            e[k] = v
    if args:
        e["args"] = args
    return e


def meta(what, pid, tid, name):
    return {"ph": "M", "name": what, "pid": pid, "tid": tid, "args": {"name": name}}


# First use sets the named ids (pids and tids apart). Pids: "Spans" -2 (its span makes no row: an
# id no row keeps), "Worker" -3, the number -9 -4, "Server" -5. Tids: "idle" -2 (named by
# metadata only, no row either), "main" -3, -7 -4, "loader" -5. The rows use them out of id order.
EVENTS = [
    meta("process_name", "Spans", 0, "Spans"),
    {"ph": "X", "cat": "Trace", "name": "PyTorch Profiler (0)", "ts": 1000, "dur": 900, "pid": "Spans",
     "tid": "PyTorch Profiler"},
    meta("thread_name", "Worker", "idle", "idle thread"),
    x("cuda_runtime", "cudaLaunchKernel", 1010, "Worker", "main", correlation=1, **{"External id": 11}),
    x("cpu_op", "aten::mm", 1008, -9, -7, **{"External id": 11}),
    x("cpu_op", "aten::add", 1020, "Server", "loader", **{"External id": 12}),
    x("cuda_runtime", "cudaLaunchKernel", 1022, "Server", "loader", correlation=2, **{"External id": 12}),
    x("cpu_op", "aten::relu", 1030, -9, "main"),
    x("cuda_runtime", "cudaMemcpyAsync", 1032, "Worker", -7, correlation=3),
    x("cpu_op", "aten::copy_", 1040, 439, 440),
    x("cpu_op", "aten::view", 1044, -1, "loader"),  # (an explicit -1: "none", but given, so a thread)
    meta("thread_name", -9, -7, "dataloader"),
    meta("process_name", "Server", 0, "the server"),
    x("kernel", "k1", 1012, 0, 7, correlation=1, device=0, stream=7, **{"External id": 11}),
    x("kernel", "k2", 1024, 0, 7, correlation=2, device=0, stream=7, **{"External id": 12}),
    x("gpu_memcpy", "Memcpy HtoD", 1034, 0, 7, correlation=3, device=0, stream=7),
    # A pid or tid missing (or null): none of these makes a thread. New names: pid "-11" -6, tid "spare" -6.
    x("cpu_op", "aten::mul", 1050, "Worker", MISSING),  # (-3, -1)
    x("cpu_op", "aten::sub", 1052, None, "loader"),  # (-1, -5): a row's key, after the row's last end
    x("cpu_op", "aten::sum", 1044, MISSING, "loader"),  # (-1, -5), within the row's times (its end too)
    x("cuda_runtime", "cudaStreamSynchronize", 1054, 5, MISSING),  # (5, -1)
    x("cpu_op", "aten::neg", 1056, -11, None),  # (-6, -1)
    x("cpu_op", "aten::abs", 1058, MISSING, "spare"),  # (-1, -6)
    x("cpu_op", "aten::exp", 1060, MISSING, MISSING),  # (-1, -1)
]
# A gap of named ids no row keeps: 300 pids named by process_name alone (-7..-306), 300 tids by
# thread_name alone (-7..-306, under pid -1: a number, so no pid is numbered), then a thread of a
# new pid and tid (-307, -307), which reads back as itself only if every id of the gap is written.
GAP = 300
EVENTS += [meta("process_name", "gap pid %d" % i, 0, "unused %d" % i) for i in range(GAP)]
EVENTS += [meta("thread_name", -1, "gap tid %d" % i, "unused %d" % i) for i in range(GAP)]
EVENTS.append(x("cpu_op", "aten::late", 1070, "Late", "late"))
LATE = -(6 + GAP + 1)

# What the reading must give, written out by hand from the rules above: (pid, tid) of each row.
WANT_OPS = {"aten::mm": (-4, -4), "aten::add": (-5, -5), "aten::relu": (-4, -3), "aten::copy_": (439, 440),
            "aten::view": (-1, -5), "aten::mul": (-3, -1), "aten::sub": (-1, -5), "aten::sum": (-1, -5),
            "aten::neg": (-6, -1), "aten::abs": (-1, -6), "aten::exp": (-1, -1), "aten::late": (LATE, LATE)}
WANT_API = {1010: (-3, -3), 1022: (-5, -5), 1032: (-3, -4), 1054: (5, -1)}
WANT_THREADS = {(-5, -5): "loader", (-4, -4): "dataloader", (-4, -3): "main", (-3, -4): "-7",
                (-3, -3): "main", (-1, -5): "loader", (439, 440): "", (LATE, LATE): "late"}
# (-1 and 439 have no name; -6 and 5 ran no thread, and only processes that did are named)
WANT_PROCESSES = {-5: "the server", -4: "-9", -3: "Worker", LATE: "Late"}
# (-1, -5) runs from aten::view's start to its end: neither missing-pid operator is its.
WANT_TIMES = {(-1, -5): (1044000, 1047000)}


def tables(path, d, tag):
    """Threads, operators, API calls and process names of a trace, as the SQLite export has them."""
    db = os.path.join(d, tag + ".db")
    r = run("export", path, "--sqlite", db)
    check(r.returncode == 0, "%s: export --sqlite: %s" % (tag, r.stderr))
    if r.returncode != 0:
        return None
    c = sqlite3.connect(db)
    i = lambda v: -1 if v is None else v  # noqa: E731 (the export stores -1, "none", as NULL)
    out = {
        "threads": {(i(p), i(t)): comm or "" for p, t, comm in c.execute("SELECT pid, tid, comm FROM thread")},
        "thread_times": {(i(p), i(t)): (f, l) for p, t, f, l in c.execute("SELECT pid, tid, first_ts_ns, last_ts_ns FROM thread")},
        "ops": {n: (i(p), i(t)) for n, p, t in c.execute("SELECT name, pid, tid FROM operator")},
        "api": {ts // 1000: (i(p), i(t)) for ts, p, t in c.execute("SELECT ts_ns, pid, tid FROM api_call")},
        "processes": {int(k[len("process_name."):]): v for k, v in
                      c.execute("SELECT key, value FROM meta WHERE key LIKE 'process_name.%'")},
    }
    c.close()
    return out


def exported_comm(tid, comm):
    """The export names a thread's track with its tid after the name, and the name read back is
    that track name; a nameless thread's track is "thread N", which reads back as no name."""
    return comm + " " + str(tid) if comm else ""


with tempfile.TemporaryDirectory() as d:
    src = os.path.join(d, "named.json")
    with open(src, "w") as f:
        json.dump({"traceEvents": EVENTS}, f)
    a = tables(src, d, "original")
    if a:
        check(a["ops"] == WANT_OPS, "original: operators %r, want %r" % (a["ops"], WANT_OPS))
        check(a["api"] == WANT_API, "original: API calls %r, want %r" % (a["api"], WANT_API))
        check(a["threads"] == WANT_THREADS, "original: threads %r, want %r" % (a["threads"], WANT_THREADS))
        check(a["processes"] == WANT_PROCESSES, "original: processes %r, want %r" % (a["processes"], WANT_PROCESSES))
        for k, v in WANT_TIMES.items():
            check(a["thread_times"].get(k) == v, "original: thread %r runs %r, want %r" %
                  (k, a["thread_times"].get(k), v))

    chrome = os.path.join(d, "named.chrome.json")
    e = run("export", src, "--chrome", chrome)
    check(e.returncode == 0, "export --chrome: %s" % e.stderr)
    b = tables(chrome, d, "chrome") if e.returncode == 0 else None
    if e.returncode == 0:
        # Every event has both fields, a missing id as null: chrome://tracing (catapult) refuses the
        # whole file over one event without a pid (review EP). Three calls/operators lack a pid here.
        with open(chrome) as f:
            events = json.load(f)["traceEvents"]
        bare = [ev for ev in events if "pid" not in ev or "tid" not in ev]
        check(not bare, "events without a pid or tid field: %r" % bare[:3])
        nulls = [ev for ev in events if ev.get("ph") == "X" and ev.get("pid", 0) is None]
        check(len(nulls) >= 3, "slices with a null pid: %d, want at least 3" % len(nulls))
    if a and b:
        for k in ("ops", "api", "thread_times"):
            check(a[k] == b[k], "%s changed in the round trip: %r, read back %r" % (k, a[k], b[k]))
        want = {k: exported_comm(k[1], v) for k, v in a["threads"].items()}
        check(b["threads"] == want, "threads after the round trip: %r, want %r" % (b["threads"], want))
        # A process without a name is written as "process N" (a track name for the viewers).
        want = {p: a["processes"].get(p, "process %d" % p) for p, _ in a["threads"]}
        check(b["processes"] == want, "processes after the round trip: %r, want %r" % (b["processes"], want))
        # A second round trip changes nothing: a name read back already ends with its tid, and
        # once gained another " tid" on every export.
        chrome2 = os.path.join(d, "named.chrome2.json")
        e2 = run("export", chrome, "--chrome", chrome2)
        check(e2.returncode == 0, "second export --chrome: %s" % e2.stderr)
        c = tables(chrome2, d, "chrome2") if e2.returncode == 0 else None
        if c:
            for k in ("threads", "processes", "ops", "api", "thread_times"):
                check(c[k] == b[k], "%s changed in the second round trip: %r, read back %r" % (k, b[k], c[k]))
        ra, rb = run("analyze", src, "--json"), run("analyze", chrome, "--json")
        check(ra.returncode == 0 and rb.returncode == 0, "analyze failed: %s %s" % (ra.stderr, rb.stderr))
        if ra.returncode == 0 and rb.returncode == 0:
            ja, jb = json.loads(ra.stdout), json.loads(rb.stdout)
            # (Three launch calls, the memcpy's included, each linked by its correlation.)
            check(ja["launch_calls"] == 3 and ja["linked_launch_calls"] == 3, "analyze: launches %r, linked %r" %
                  (ja["launch_calls"], ja["linked_launch_calls"]))
            for k in sorted(set(ja) | set(jb)):
                if k != "file":
                    check(ja.get(k) == jb.get(k), "analyze %s differs after the round trip: %r vs %r" %
                          (k, str(ja.get(k))[:200], str(jb.get(k))[:200]))

if failures:
    print("FAILED:\n  " + "\n  ".join(failures))
    sys.exit(1)
print("ok")
