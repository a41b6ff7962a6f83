"""`infertrace sched` on a Kineto trace (examples/traces), which carries no scheduler events: the text
gives the verdict, naming the trace a profiler's and `infertrace record`, and the one pair group that
needs no OS event, all pairs (count, p50/p90/p99), equal to `--json` `pairs.all` (review FMT L2); `--json` puts the
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
from _report_page import fmt_ns, row, section_text  # noqa: E402

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

sched_text = run("sched", trace)
check(sched_text.returncode == 0, f"sched exit {sched_text.returncode}: {sched_text.stderr}")
check("a profiler trace, not a recording" in sched_text.stdout and "`infertrace record`" in sched_text.stdout, f"text: {sched_text.stdout}")
# The all-pairs row is the one table; no other group (they need switches or IRQs) and no table of nothing.
all_rows = [l.split() for l in sched_text.stdout.splitlines() if l.startswith("all ")]
rest = "\n".join(l for l in sched_text.stdout.splitlines() if not l.startswith("all "))
check("Traced threads" not in rest and "0 ns" not in rest and "clean" not in rest and "switched" not in rest,
      f"text shows tables of nothing: {sched_text.stdout}")

r = run("sched", "--json", trace)
d = as_json(r, "sched --json")
pa = d.get("pairs", {}).get("all") or {}
check(pa.get("count", 0) > 0 and d.get("launches", 0) > pa.get("count", 0), f"pairs.all {pa}, launches {d.get('launches')}")
if pa.get("count"):
    want = ["all", f"{pa['count']:,}"] + " ".join(fmt_ns(pa[k]) for k in ("p50_ns", "p90_ns", "p99_ns")).split()
    check(all_rows == [want], f"text all-pairs row {all_rows}, JSON says {want}:\n{sched_text.stdout}")
    check(f"{d['launches']:,} logical launches" in sched_text.stdout, f"text launches, JSON {d['launches']}:\n{sched_text.stdout}")
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
    page = report_page(tmp, "kineto.sched.json", r.stdout)
    if page is not None:
        check("record the run with infertrace record" in page and "--events" not in page, f"page: {page[:600]}")
        if pa.get("count"):
            cells = row("all", f"{pa['count']:,}", *(fmt_ns(pa[k]) for k in ("p50_ns", "p90_ns", "p99_ns")))
            check(cells in page and "clean" not in page, f"page lacks the all-pairs row {cells!r}: {page[:1500]}")

if failures:
    print("\n".join(failures))
    sys.exit(1)
print("ok")
