"""`infertrace sweep` end to end on the shipped GPT-2 batch sweep (and the BERT sweep of the shared
fixtures when present): per-batch TKLQT parts, kernels, IL, GPU idle and bound recomputed in
Python from the JSON traces, the transition batch from those bounds (and as the fixtures' README
states it), the SVG plot, labels, and the error paths."""
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _fusion_plain  # noqa: E402

exe = os.environ["INFERTRACE"]
src = os.environ["INFERTRACE_SOURCE_DIR"]
failures = []


def run(*args):
    return subprocess.run([exe] + list(args), capture_output=True, text=True, timeout=300)


def batch_of(path):
    return int(re.search(r"_bs(\d+)", os.path.basename(path)).group(1))


def check_sweep(model, paths, want_transition, tmp):
    svg = os.path.join(tmp, model + ".svg")
    r = run("sweep", *paths, "--json", "--plot", svg)
    if r.returncode != 0:
        failures.append("%s sweep: exit %d: %s" % (model, r.returncode, r.stderr))
        return None
    doc = json.loads(r.stdout)
    if doc.get("schema_version") != 1 or doc.get("kind") != "sweep":
        failures.append(model + ": schema_version/kind missing")
    batches = sorted(batch_of(p) for p in paths)
    if [p["batch"] for p in doc["points"]] != batches:
        failures.append("%s: batches %s, want %s" % (model, [p["batch"] for p in doc["points"]], batches))
        return doc
    bounds = {}
    for p in doc["points"]:
        want = _fusion_plain.launch_summary(*_fusion_plain.read(p["source"]))
        bounds[p["batch"]] = want["bound"]
        for key, value in want.items():
            if p[key] != value:
                failures.append("%s bs%d: %s = %s, want %s" % (model, p["batch"], key, p[key], value))
        il = p["inference_latency_ns"]
        if not 0 <= p["cpu_idle_ns"] <= il or abs(p["cpu_idle_share"] - p["cpu_idle_ns"] / il) > 1e-12 or \
                abs(p["gpu_idle_share"] - p["gpu_idle_ns"] / il) > 1e-12:
            failures.append("%s bs%d: idle shares inconsistent" % (model, p["batch"]))
        if p["balanced"] != (p["gpu_idle_ns"] / il < 0.5 and p["cpu_idle_ns"] / il < 0.5):
            failures.append("%s bs%d: balanced flag wrong" % (model, p["batch"]))
    # Transition: the smallest batch from which every larger batch is GPU-bound.
    transition = None
    for b in reversed(batches):
        if bounds[b] != "gpu":
            break
        transition = b
    if doc["transition_batch"] != transition:
        failures.append("%s: transition %s, want %s" % (model, doc["transition_batch"], transition))
    if transition != want_transition:
        failures.append("%s: the fixtures' README describes the transition at batch %s, recomputed %s" % (
            model, want_transition, transition))
    balanced = [p["batch"] for p in doc["points"] if p["balanced"]]
    if doc["balanced_batches"] != balanced:
        failures.append(model + ": balanced_batches wrong")
    if (doc["balanced_region"] is None) != (not balanced):
        failures.append(model + ": balanced_region should be null exactly when no batch is balanced")
    if transition is not None and transition > batches[0]:
        below = max(b for b in batches if b < transition)
        if "up to batch %d" % below not in doc["summary"] or "from batch %d" % transition not in doc["summary"]:
            failures.append(model + ": summary should name the last launch-bound and first GPU-bound batch: " + doc["summary"])
    # The plot: valid SVG with one dot per series and batch (TKLQT launch, queue, GPU idle, CPU idle).
    try:
        root = ET.parse(svg).getroot()
        marks = [e for e in root.iter() if e.get("class") == "mark"]
        if len(marks) != 4 * len(batches):
            failures.append("%s plot: %d marks, want %d" % (model, len(marks), 4 * len(batches)))
        # TKLQT parts spanning more than 1.5 decades are on a log y axis, so that every batch's
        # point stands apart from the others (review UX M2: linear, batches 1-32 sat on the 0 line).
        parts = [p[k] for k in ("tklqt_launch_ns", "tklqt_queue_ns") for p in doc["points"]]
        want_log = min(parts) > 0 and max(parts) > min(parts) * 10 ** 1.5
        if ("time (log scale)" in ET.tostring(root, encoding="unicode")) != want_log:
            failures.append("%s plot: log scale %s, want %s (parts %s)" % (model, not want_log, want_log, parts))
        # The axis label alone says "log scale"; a point's tooltip gives its value ("time = 2.50 ms").
        noted = [t.text for t in root.iter() if t.tag.endswith("title") and "log scale" in (t.text or "")]
        if noted:
            failures.append("%s plot: tooltips repeat the axis note: %s" % (model, noted[:2]))
        if want_log and len(marks) == 4 * len(batches):
            n = len(batches)
            for k, key in enumerate(("tklqt_launch_ns", "tklqt_queue_ns")):
                pts = [(doc["points"][i][key], float(marks[k * n + i].get("cy"))) for i in range(n)]
                for (va, ya), (vb, yb) in ((a, b) for a in pts for b in pts if a[0] * 1.25 <= b[0]):
                    if not yb < ya - 2:  # SVG y grows downwards: the larger value at least 2 px higher
                        failures.append("%s plot: %s %d at y %.1f, %d at y %.1f" % (model, key, va, ya, vb, yb))
    except (OSError, ET.ParseError) as e:
        failures.append("%s plot: %s" % (model, e))
    return doc


gpt2 = sorted(glob.glob(os.path.join(src, "examples", "traces", "gpt2_prefill_bs*.json.gz")), key=batch_of)
if run("sweep", "--help").returncode != 0:
    failures.append("sweep --help should exit 0")

with tempfile.TemporaryDirectory() as tmp:
    doc = check_sweep("gpt2", gpt2, 16, tmp)
    # The shared fixtures sit next to the main checkout (../shared) or next to a worktree's parent.
    bert = []
    for up in (["..", "shared"], ["..", "..", "shared"]):
        bert = bert or sorted(glob.glob(os.path.join(src, *up, "fixtures", "kineto-h100", "bert_prefill_bs*.json.gz")),
                              key=batch_of)
    if bert:
        check_sweep("bert", bert, 32, tmp)
    else:
        print("note: no BERT fixtures next to the repository; checked GPT-2 only")

    # Terminal output: the table and the sentence.
    r = run("sweep", *gpt2)
    if r.returncode != 0 or "Transition to GPU-bound: batch 16" not in r.stdout or "Launch-bound up to batch 8" not in r.stdout:
        failures.append("terminal output:\n" + r.stdout + r.stderr)

    # Labels instead of file names: copies named without bs<N> give the same figures.
    copies, labels = [], []
    for i, p in enumerate(gpt2):
        c = os.path.join(tmp, "run%d.json.gz" % i)
        shutil.copy(p, c)
        copies.append(c)
        labels += ["--label", "bs=%d" % batch_of(p)]
    r = run("sweep", *copies, *labels, "--json")
    if r.returncode != 0:
        failures.append("labelled sweep: %s" % r.stderr)
    elif doc is not None:
        got = json.loads(r.stdout)
        strip = lambda pts: [{k: v for k, v in p.items() if k != "source"} for p in pts]  # noqa: E731
        if strip(got["points"]) != strip(doc["points"]) or got["transition_batch"] != doc["transition_batch"]:
            failures.append("labelled sweep differs from the file-name sweep")

    # Errors: unlabelled file without bs<N>, label count, bad label, duplicate batch -> 2; corrupt -> 1.
    usage = [("no batch size", copies[:2]),
             ("label count", copies[:2] + ["--label", "bs=1"]),
             ("bad label", copies[:2] + ["--label", "bs=x", "--label", "bs=2"]),
             # N is a whole number above 0, all of the label's text (bs=8x is not batch 8).
             ("batch zero", copies[:2] + ["--label", "bs=0", "--label", "bs=2"]),
             ("negative batch", copies[:2] + ["--label", "bs=-4", "--label", "bs=2"]),
             ("label with trailing text", copies[:2] + ["--label", "bs=8x", "--label", "bs=2"]),
             ("duplicate batch", copies[:2] + ["--label", "bs=4", "--label", "bs=4"]),
             ("one trace", gpt2[:1]),
             ("plot not svg", gpt2[:2] + ["--plot", os.path.join(tmp, "x.png")])]
    for what, args in usage:
        r = run("sweep", *args)
        if r.returncode != 2:
            failures.append("%s: want exit 2, got %d: %s" % (what, r.returncode, r.stderr))
    r = run("sweep", *copies[:2])
    if "run0.json.gz" not in r.stderr:
        failures.append("missing batch size should name the file: " + r.stderr)
    # A missing trace or a directory is an input error naming it, before any batch size is read
    # (it was "no batch size" for a missing file, exit 2).
    for what, bad in (("missing", os.path.join(tmp, "missing.json.gz")), ("directory", tmp)):
        r = run("sweep", gpt2[0], bad)
        msg = r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ""
        want = "cannot open: No such file or directory" if what == "missing" else "is a directory"
        if r.returncode != 1 or bad not in msg or want not in msg or "batch size" in msg:
            failures.append("%s trace: want exit 1 '%s' naming it, got %d: %s" % (what, want, r.returncode, r.stderr))
    broken = os.path.join(tmp, "broken_bs2.json")
    with open(broken, "w") as f:
        f.write('{"traceEvents": [{"ph": "X",, }]}')
    r = run("sweep", gpt2[0], broken)
    if r.returncode != 1 or "broken_bs2.json" not in r.stderr:
        failures.append("corrupt trace: want exit 1 naming it, got %d: %s" % (r.returncode, r.stderr))

    # A kernel without `dur` is left out of a point's figures: the point says so (JSON and text),
    # for sweep and fusion alike, and the launch call it leaves without GPU work is an orphan.
    import gzip
    with gzip.open(gpt2[0], "rt") as f:
        doc = json.load(f)
    kernel = next(e for e in doc["traceEvents"] if e.get("ph") == "X" and e.get("cat") == "kernel")
    del kernel["dur"]
    holed = os.path.join(tmp, "holed_bs%d.json" % batch_of(gpt2[0]))
    with open(holed, "w") as f:
        json.dump(doc, f)
    r = run("sweep", holed, gpt2[1], "--json")
    if r.returncode != 0:
        failures.append("sweep with a kernel missing dur: exit %d %s" % (r.returncode, r.stderr))
    else:
        pt = json.loads(r.stdout)["points"][0]
        if pt.get("skipped") != {"skipped_missing_dur": 1} or pt.get("orphan_launch_calls", 0) < 1:
            failures.append("sweep point does not show the skipped kernel: %s" % {k: pt.get(k) for k in
                                                                                ("skipped", "orphan_launch_calls")})
    r = run("sweep", holed, gpt2[1])
    if "skipped: skipped_missing_dur 1" not in r.stdout:
        failures.append("sweep text does not show the skipped kernel:\n" + r.stdout)
    r = run("fusion", holed, "--json")
    if r.returncode != 0 or json.loads(r.stdout).get("skipped") != {"skipped_missing_dur": 1}:
        failures.append("fusion --json does not show the skipped kernel: %s" % r.stderr)

for f in failures:
    print("FAIL:", f)
sys.exit(1 if failures else 0)
