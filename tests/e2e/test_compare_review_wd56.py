"""Review WD56 on `compare` (docs/sched.md "compare --json"): the report page shows a tiny rate as
the terminal does, in three significant digits, not "0.0" (M1); a note says only what applies to
its row: no "the slowdown assumes ..." for a row without one, no "check each scenario's throughput"
where none has a throughput (L4); the kernel-difference note cuts long (templated) kernel names,
keeping them distinct, while the JSON key keeps them whole (M2). Inputs: saved sched documents
written here, and the shipped gpt2 bs2 trace with its kernels renamed."""
import gzip
import json
import os
import re
import tempfile

from _harness import check, failures, run, as_json

src = os.environ["INFERTRACE_SOURCE_DIR"]
bs2 = os.path.join(src, "examples", "traces", "gpt2_prefill_bs2.json.gz")


def sched_doc(path, wall_ns, throughput=None):
    doc = {"kind": "sched", "schema_version": 1, "launches": 5000, "wall_ns": wall_ns, "sched_per_1k": 4.0,
           "irq_per_1k_hard": 1.0, "irq_per_1k_soft": 3.0,
           "penalty_ns": {"overall": 800, "preempted": 800, "blocked": None},
           "main_thread": {"offcpu_share": 0.01}, "signature": "clean", "launch_window": None}
    if throughput is not None:
        doc["throughput"] = throughput
    with open(path, "w") as f:
        json.dump(doc, f)


def page_text(html):
    text = re.sub(r"<[^>]*>", " ", html).replace("&amp;", "&")
    return re.sub(r"\s+", " ", text)


with tempfile.TemporaryDirectory() as tmp:
    # M1: throughputs 1e-300 and 2e-300, terminal and page alike.
    a, b = os.path.join(tmp, "a.json"), os.path.join(tmp, "b.json")
    sched_doc(a, 2_000_000_000, 1e-300)
    sched_doc(b, 2_000_000_000, 2e-300)
    r = run("compare", a, b)
    check(r.returncode == 0 and "1e-300" in r.stdout and "2e-300" in r.stdout, "terminal:\n" + r.stdout + r.stderr)
    cmp_json = os.path.join(tmp, "cmp.json")
    r = run("compare", "--json", a, b)
    check(r.returncode == 0, "compare --json: " + r.stderr)
    with open(cmp_json, "w") as f:
        f.write(r.stdout)
    page = os.path.join(tmp, "cmp.html")
    r = run("report", cmp_json, "-o", page)
    check(r.returncode == 0, "report: " + r.stderr)
    if r.returncode == 0:
        with open(page) as f:
            text = page_text(f.read())
        text = text[text.find("Slowdown against"):]  # the compare section, past the page's style
        # Each row: the throughput, then the rate (the same figure on this basis).
        check(" a 1e-300 1e-300 " in text and " b 2e-300 2e-300 " in text, "page rows: " + text[:1500])
        check(" 0.0 0.0 " not in text, "tiny rates shown as 0.0 on the page: " + text[:1500])

    # L4: the same documents but for the wall (2 s and 1000 ns), neither with a throughput nor a launch
    # mix: launch rates a million times apart, no slowdown.
    g, h = os.path.join(tmp, "g.json"), os.path.join(tmp, "h.json")
    sched_doc(g, 2_000_000_000)
    sched_doc(h, 1000)
    r = run("compare", g, h)
    check(r.returncode == 0 and "more than a million times apart" in r.stdout, "g h:\n" + r.stdout + r.stderr)
    check("the slowdown assumes both ran the same work" not in r.stdout, "unchecked-mix note on a row without a slowdown:\n" + r.stdout)
    check("check each scenario's throughput" not in r.stdout and "check each scenario's launch count and wall time" in r.stdout,
          "launch-rate advice:\n" + r.stdout)
    # With throughputs that far apart the advice is the throughput's.
    sched_doc(g, 2_000_000_000, 1.0)
    sched_doc(h, 2_000_000_000, 1e9)
    r = run("compare", g, h)
    check("check each scenario's throughput" in r.stdout, "throughput advice:\n" + r.stdout)
    # A row that keeps its slowdown keeps the unchecked-mix note.
    sched_doc(g, 2_000_000_000)
    sched_doc(h, 2_100_000_000)
    r = run("compare", g, h)
    check("the slowdown assumes both ran the same work" in r.stdout, "note lost on a row with a slowdown:\n" + r.stdout)

    # M2: bs2's kernels renamed to long templated names, alike at both ends (the original name in
    # the middle): the note cuts them and keeps them apart; the JSON key has them whole.
    with gzip.open(bs2, "rt") as f:
        doc = json.load(f)
    pad = "float, " * 300
    long_name = lambda n: "void tmpl<" + pad + n + ", " + pad + "int>(T*)"  # noqa: E731
    for e in doc["traceEvents"]:
        if e.get("cat") == "kernel":
            e["name"] = long_name(e["name"])
    renamed = os.path.join(tmp, "templated_bs2.json")
    with open(renamed, "w") as f:
        json.dump(doc, f)
    out = as_json(run("compare", "--json", bs2, renamed), "compare templated")
    if out:
        row = out["scenarios"][1]
        check(row["launch_mix_differs"] is True, "launch mix should differ: %r" % row["launch_mix_similarity"])
        full = row["launch_mix_difference"] or ""
        names = sorted({e["name"] for e in doc["traceEvents"] if e.get("cat") == "kernel"})
        check(all(n in full for n in names[:3]), "JSON launch_mix_difference lost whole names: %r" % full[:400])
        note = next((n for n in out["notes"] if "launches in common" in n), "")
        check(note != "", "no launch-mix note: %r" % out["notes"])
        m = re.search(r"\(only in templated_bs2: (.*) and \d+ more; only in the baseline", note)
        check(m is not None, "note: %r" % note[:600])
        if m:
            shown = m.group(1).split(", void ")
            check(len(shown) == 3 and len(set(shown)) == 3, "names not distinct: %r" % shown)
            check(all("..." in s for s in shown), "names not cut: %r" % shown)
            check(len(m.group(1)) < 1200, "note names %d bytes" % len(m.group(1)))

if failures:
    raise SystemExit("\n".join(failures))
print("ok")
