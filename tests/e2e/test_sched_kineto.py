"""`infertrace sched` on a Kineto trace (examples/traces), which carries no scheduler events: the text
gives the verdict alone, naming the trace a profiler's and `infertrace record`; `--json` puts the
null pair groups down to what the trace is (not to `record --events`, an option of a command that
did not make it), counts each thread's launches from the trace and leaves its switch, off-CPU and
IRQ figures null rather than 0 (docs/sched.md "Events not recorded"); its saved analysis in the
HTML report says the same. Skips (77) without the example traces."""
import glob
import gzip
import json
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from _harness import as_json, check, failures, run, skip  # noqa: E402
from _report_page import section_text  # noqa: E402

examples = sorted(glob.glob(os.path.join(os.environ["INFERTRACE_SOURCE_DIR"], "examples", "traces", "*.json.gz")))
if not examples:
    skip("no example Kineto traces")
trace = examples[0]

# Launch calls per thread, read here from the raw trace: the launch class of docs/metrics.md (kernel
# and graph launches, async copies and sets), version suffixes aside.
with gzip.open(trace, "rt") as f:
    events = json.load(f)["traceEvents"]
launch_re = re.compile(r"^(cudaLaunch(Cooperative)?Kernel(ExC)?|cuLaunch(Cooperative)?Kernel(Ex)?|cudaGraphLaunch|"
                       r"cuGraphLaunch|cudaMemcpy(Peer)?Async|cuMemcpy\w*Async|cudaMemsetAsync|cuMemsetD\w*Async)"
                       r"(_ptsz|_ptds)?(_v\d+)?$")
per_tid = {}
for e in events:
    if e.get("ph") == "X" and e.get("cat") in ("cuda_runtime", "Runtime", "cuda_driver") and \
            launch_re.match(e.get("name", "")):
        per_tid[e["tid"]] = per_tid.get(e["tid"], 0) + 1

r = run("sched", trace)
check(r.returncode == 0, f"sched exit {r.returncode}: {r.stderr}")
check("a profiler trace, not a recording" in r.stdout and "`infertrace record`" in r.stdout, f"text: {r.stdout}")
check("Traced threads" not in r.stdout and "0 ns" not in r.stdout, f"text shows tables of nothing: {r.stdout}")

r = run("sched", "--json", trace)
d = as_json(r, "sched --json")
reason = d.get("pairs_undefined_reason", "")
check("a Kineto trace carries no scheduler or IRQ events" in reason and "`infertrace record`" in reason
      and "--events" not in reason, f"pairs_undefined_reason {reason!r}")
for g in ("clean", "interrupted", "interrupted_only", "switched", "preempted", "blocked"):
    check(d.get("pairs", {}).get(g, 0) is None, f"pairs.{g} = {d.get('pairs', {}).get(g)}, not null")
threads = d.get("threads", [])
check(threads, "no thread in the JSON")
for th in threads:
    for k in ("switch_outs", "preemptions", "blocks", "offcpu_ns", "irqs_hard", "irqs_soft"):
        check(th.get(k, 0) is None, f"thread {th.get('tid')} {k} = {th.get(k)}, not null")
# Each launching thread's launches are the trace's launch calls, less the nested runtime/driver calls
# merged into one logical launch (counted over all threads).
launching = {th["tid"]: th["launches"] for th in threads if th.get("launches")}
check(per_tid and set(launching) == set(per_tid), f"launching threads {sorted(launching)} != {sorted(per_tid)}")
check(sum(launching.values()) == sum(per_tid.values()) - d.get("merged_launch_calls", -1),
      f"launches {launching}, launch calls {per_tid}, merged {d.get('merged_launch_calls')}")
check(d.get("main_thread", {}).get("offcpu_ns", 0) is None, f"main_thread {d.get('main_thread')}")

with tempfile.TemporaryDirectory() as tmp:
    saved, page = os.path.join(tmp, "kineto.sched.json"), os.path.join(tmp, "kineto.html")
    with open(saved, "w") as f:
        f.write(r.stdout)
    h = run("report", saved, "-o", page)
    check(h.returncode == 0, f"report exit {h.returncode}: {h.stderr}")
    if h.returncode == 0:
        with open(page) as f:
            text = section_text(f.read(), "doc-0")
        check("record the run with infertrace record" in text and "--events" not in text, f"page: {text[:600]}")

if failures:
    print("\n".join(failures))
    sys.exit(1)
print("ok")
