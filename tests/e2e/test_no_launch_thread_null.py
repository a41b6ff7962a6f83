"""No launching thread is null, not pid/tid -1 (review FMT M2): `analyze --json`'s `launch_thread`
is null (docs/analyze.md: "object or null") and `export --sqlite`'s `launch_summary` stores
`launch_thread_pid` / `launch_thread_tid` as SQL NULL (docs/sqlite-schema.md), both for a CPU-only
trace (the legacy torch fixture) and for a trace with GPU work and no launch call (docs/analyze.md,
"No launch calls"). A trace with a launch call keeps its thread. The HTML report still reads a
saved analysis written before the fix (launch_thread {"pid": -1, "tid": -1, "launches": 0}) as no
launching thread, as it reads the new null. `sched --json`'s `main_thread` has pid/tid null too."""
import json
import os
import sqlite3
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from _harness import as_json, check, failures, run  # noqa: E402

src = os.environ["INFERTRACE_SOURCE_DIR"]
ROW = '<td class="l">launching thread</td>'  # the HTML summary row
CPU_ONLY = os.path.join(src, "tests", "fixtures", "torch-cpu", "decode_legacy_sched_cycle2.json.gz")


def trace(with_launch):
    """An operator on thread 10/11 and one kernel; with or without the launch call that started it."""
    ev = [{"ph": "X", "cat": "cpu_op", "name": "aten::mm", "pid": 10, "tid": 11, "ts": 1000000, "dur": 100,
           "args": {"External id": 1}},
          {"ph": "X", "cat": "kernel", "name": "k", "pid": 0, "tid": 7, "ts": 1000030, "dur": 10,
           "args": {"device": 0, "stream": 7, "correlation": 7}}]
    if with_launch:
        ev.append({"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "pid": 10, "tid": 11,
                   "ts": 1000010, "dur": 5, "args": {"correlation": 7, "External id": 1}})
    return {"schemaVersion": 1, "traceEvents": ev}


def sqlite_thread(path, db):
    r = run("export", path, "--sqlite", db)
    check(r.returncode == 0, f"export {path}: exit {r.returncode}: {r.stderr}")
    if r.returncode != 0:
        return None
    with sqlite3.connect(db) as c:
        return dict(c.execute("select metric, value from launch_summary where metric in "
                              "('launch_thread_pid', 'launch_thread_tid')").fetchall())


with tempfile.TemporaryDirectory() as d:
    paths = {"cpu_only": CPU_ONLY}
    for name, launch in (("no_launch", False), ("launch", True)):
        paths[name] = os.path.join(d, name + ".json")
        with open(paths[name], "w") as f:
            json.dump(trace(launch), f)

    for name in ("cpu_only", "no_launch"):
        j = as_json(run("analyze", paths[name], "--json"), "analyze " + name)
        check("launch_thread" in j and j["launch_thread"] is None, f"{name}: launch_thread {j.get('launch_thread')!r}")
        got = sqlite_thread(paths[name], os.path.join(d, name + ".sqlite"))
        check(got == {"launch_thread_pid": None, "launch_thread_tid": None}, f"{name}: sqlite {got}")
    # sched --json's main launching thread: the same rule, the same null (docs/sched.md).
    for name in ("cpu_only", "no_launch"):
        mt = as_json(run("sched", paths[name], "--json"), "sched " + name).get("main_thread", {})
        check(mt.get("pid", 0) is None and mt.get("tid", 0) is None, f"{name}: sched main_thread {mt!r}")
    mt = as_json(run("sched", paths["launch"], "--json"), "sched launch").get("main_thread", {})
    check(mt.get("pid") == 10 and mt.get("tid") == 11, f"launch: sched main_thread {mt!r}")
    j = as_json(run("analyze", paths["launch"], "--json"), "analyze launch")
    check(j.get("launch_thread") == {"pid": 10, "tid": 11, "launches": 1}, f"launch: {j.get('launch_thread')!r}")
    got = sqlite_thread(paths["launch"], os.path.join(d, "launch.sqlite"))
    check(got == {"launch_thread_pid": 10, "launch_thread_tid": 11}, f"launch: sqlite {got}")

    # The HTML report from a saved analysis: the new null and an old document's -1 read alike (no
    # "launching thread" row, no tid -1), and a real thread still gets its row.
    def saved_page(name, edit=None):
        doc = as_json(run("analyze", paths[name], "--json"), "analyze " + name)
        if edit:
            edit(doc)
        saved = os.path.join(d, name + ".an.json")
        with open(saved, "w") as f:
            json.dump(doc, f)
        page = os.path.join(d, name + ".html")
        r = run("report", saved, "-o", page)
        check(r.returncode == 0, f"report {name}: exit {r.returncode}: {r.stderr}")
        if r.returncode != 0:
            return ""
        with open(page) as f:
            return f.read()

    def old_form(doc):
        doc["launch_thread"] = {"pid": -1, "tid": -1, "launches": 0}

    for label, html in (("new", saved_page("no_launch")), ("old", saved_page("no_launch", old_form))):
        check(html and ROW not in html and "tid -1" not in html and "launching thread -1" not in html,
              f"report {label} no-launch document: shows a launching thread")
    html = saved_page("launch")
    check(ROW in html and "tid 11" in html, "report: the launching thread's row is missing")

if failures:
    sys.exit(1)
print("ok")
