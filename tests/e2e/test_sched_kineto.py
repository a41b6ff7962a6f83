"""`infertrace sched` on a Kineto trace (examples/traces), which carries no scheduler events: the text
gives the verdict alone, naming the trace a profiler's and `infertrace record`; `--json` puts the
null pair groups down to what the trace is (not to `record --events`, an option of a command that
did not make it), counts each thread's launches from the trace and leaves its switch, off-CPU and
IRQ figures null rather than 0 (docs/sched.md "Events not recorded"), the top-level counts too;
its saved analysis in the HTML report says the same, and `compare` of it says "not recorded" in its
scheduler and IRQ cells. Skips (77) without the example traces."""
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
# The top-level counts too: unknown, not 0 (the trace has no switch or IRQ event to count).
for k in ("switch_outs", "preemptions", "blocks", "switch_ins_missing", "irq_count_hard", "irq_count_soft",
          "irq_nested", "irq_stolen_ns"):
    check(k in d and d[k] is None, f"{k} = {d.get(k, 'absent')}, not null")

# `compare` of two Kineto inputs (the trace analysed here, and its saved analysis): every cell that
# needs switches or IRQs says "not recorded", in the terminal and on the report page, as `sched`
# says it; the JSON keeps those figures null and says why per scenario.
def report_page(tmp, name, doc_text):
    """The text of the first document's section of `report`'s page for doc_text (saved as
    tmp/name); None (a failure recorded) when report fails."""
    doc, page = os.path.join(tmp, name), os.path.join(tmp, name + ".html")
    with open(doc, "w") as f:
        f.write(doc_text)
    h = run("report", doc, "-o", page)
    check(h.returncode == 0, f"report of {name}: exit {h.returncode}: {h.stderr}")
    if h.returncode != 0:
        return None
    with open(page) as f:
        return section_text(f.read(), "doc-0")


sched_cols = ("Sched/1K", "x base", "window Sched/1K", "window x base", "IRQ/1K hard", "IRQ/1K soft", "penalty", "off-CPU")
with tempfile.TemporaryDirectory() as tmp:
    saved = os.path.join(tmp, "saved.json")
    with open(saved, "w") as f:
        f.write(r.stdout)
    c = run("compare", "live=" + trace, "saved=" + saved)
    check(c.returncode == 0, f"compare exit {c.returncode}: {c.stderr}")
    lines = c.stdout.splitlines()
    head = next((l for l in lines if l.startswith("scenario ")), "")
    cols = re.split(r" {2,}", head.strip())
    for name in ("live", "saved"):
        line = next((l for l in lines if l.startswith(name + " ")), "")
        cells = dict(zip(cols, re.split(r" {2,}", line.strip())))
        for col in sched_cols:
            check(cells.get(col) == "not recorded", f"compare {name} {col}: {cells.get(col)!r} in\n{c.stdout}")
    cj = run("compare", "--json", "live=" + trace, "saved=" + saved)
    doc = as_json(cj, "compare --json")
    for sc in doc.get("scenarios", []):
        check(sc.get("switches_recorded") is False and sc.get("irqs_recorded") is False, f"flags of {sc.get('name')}")
        check(sc.get("sched_per_1k", 0) is None and sc.get("penalty_ns", 0) is None, f"figures of {sc.get('name')}")
    text = report_page(tmp, "verb_compare.json", cj.stdout)
    if text is not None:
        # The cells (each followed by the next cell); the notes under the table say "not recorded: ..."
        check(len(re.findall(r" not recorded(?=\s)", text)) == 2 * len(sched_cols), f"page of compare: {text[:1500]}")
        check("not recorded: live, saved hold no context switches" in text, f"page of compare, notes: {text[-600:]}")

with tempfile.TemporaryDirectory() as tmp:
    text = report_page(tmp, "kineto.sched.json", r.stdout)
    if text is not None:
        check("record the run with infertrace record" in text and "--events" not in text, f"page: {text[:600]}")

if failures:
    print("\n".join(failures))
    sys.exit(1)
print("ok")
