"""`infertrace compare` between runs of different work with matching launch counts (docs/sched.md,
"Scenario comparison"): gpt2 prefill at batch 1 and 2 launch the same kernels by name, with other
grids. The share of launches in common is recomputed here from the traces' kernel events (name,
grid and block, each shape's smaller share summed), independently of the tool's buckets; the
same trace twice keeps its slowdown; a saved analysis carries the mix (and one saved before the key
compares as before); a damaged mix is an input error naming the file."""
import collections
import gzip
import json
import os
import shutil
import sys
import tempfile

from _harness import check, failures, run, as_json

src = os.environ["INFERTRACE_SOURCE_DIR"]
traces = os.path.join(src, "examples", "traces")
bs1, bs2 = (os.path.join(traces, "gpt2_prefill_bs%d.json.gz" % b) for b in (1, 2))


def shapes(path):
    with gzip.open(path, "rt") as f:
        events = json.load(f)["traceEvents"]
    return collections.Counter((e["name"], json.dumps(e.get("args", {}).get("grid")), json.dumps(e.get("args", {}).get("block")))
                               for e in events if e.get("ph") == "X" and e.get("cat") == "kernel")


def similarity(a, b):
    na, nb = sum(a.values()), sum(b.values())
    return sum(min(a[k] / na, b[k] / nb) for k in a if k in b)


want = similarity(shapes(bs1), shapes(bs2))
check(want < 0.8, "the two batch sizes share %.3f of their launches: not a test of different work" % want)

r = run("compare", "--json", bs1, bs2)
doc = as_json(r, "compare --json")
if doc:
    row = doc["scenarios"][1]
    check(abs(row["launch_mix_similarity"] - want) < 1e-9,
          "similarity %r, recomputed from the shapes %r" % (row["launch_mix_similarity"], want))
    check(row["launch_mix_differs"] is True, "launch_mix_differs %r" % row["launch_mix_differs"])
    check(row["launch_count_mismatch"] is None, "launch counts %r" % row["launch_count_mismatch"])
    check(row["slowdown_pct"] is None, "a slowdown between batch sizes: %r" % row["slowdown_pct"])
    check(row["rate"] is not None, "the launch rate is a fact and stays")
    check(row["verdict"].startswith("no verdict: %.0f%% of its launches match" % (100 * want)), row["verdict"])
    check(doc["scenarios"][0]["launch_mix_similarity"] is None, "the baseline's own row has no similarity")
r = run("compare", bs1, bs2)
check(r.returncode == 0 and "slower" not in r.stdout and "faster" not in r.stdout and
      "launches in common with the baseline's: gpt2_prefill_bs2 %.0f%%" % (100 * want) in r.stdout,
      "compare text:\n" + r.stdout + r.stderr)

with tempfile.TemporaryDirectory() as tmp:
    # The same run twice: every shape in common, the slowdown stands (0%).
    again = os.path.join(tmp, "again.json.gz")
    shutil.copy(bs1, again)
    doc = as_json(run("compare", "--json", bs1, again), "compare same")
    if doc:
        row = doc["scenarios"][1]
        check(row["launch_mix_similarity"] == 1.0 and not row["launch_mix_differs"], "same trace: %r" % row)
        check(row["slowdown_pct"] == 0.0, "same trace slowdown %r" % row["slowdown_pct"])

    # A saved analysis carries the mix: the same figures as from the trace.
    saved = os.path.join(tmp, "bs2.json")
    r = run("sched", "--json", bs2)
    check(r.returncode == 0, "sched --json: " + r.stderr)
    with open(saved, "w") as f:
        f.write(r.stdout)
    mix = json.loads(r.stdout)["launch_mix"]
    check(mix["basis"] == "kernel_shapes" and mix["launches"] == sum(shapes(bs2).values()) and
          sum(mix["buckets"].values()) == mix["launches"], "saved launch_mix %r" % mix)
    doc = as_json(run("compare", "--json", bs1, saved), "compare saved")
    if doc:
        check(abs(doc["scenarios"][1]["launch_mix_similarity"] - want) < 1e-9 and doc["scenarios"][1]["slowdown_pct"] is None,
              "saved: %r" % doc["scenarios"][1])
    # Saved before the key existed: no mix, compared on launch counts as before (same count: a slowdown).
    old = json.loads(r.stdout)
    del old["launch_mix"]
    old_path = os.path.join(tmp, "old.json")
    with open(old_path, "w") as f:
        json.dump(old, f)
    doc = as_json(run("compare", "--json", bs1, old_path), "compare old")
    if doc:
        check(doc["scenarios"][1]["launch_mix_similarity"] is None and doc["scenarios"][1]["slowdown_pct"] is not None,
              "saved before the key: %r" % doc["scenarios"][1])
    # A damaged mix is refused naming the file (exit 1), not read as another mix.
    bad = json.loads(r.stdout)
    bad["launch_mix"]["buckets"] = {"99999": bad["launch_mix"]["launches"]}
    bad_path = os.path.join(tmp, "bad.json")
    with open(bad_path, "w") as f:
        json.dump(bad, f)
    r = run("compare", bs1, bad_path)
    check(r.returncode == 1 and bad_path in r.stderr and "bucket \"99999\" is not an index" in r.stderr,
          "damaged launch_mix: rc %d %r" % (r.returncode, r.stderr))

if failures:
    print("\n".join(failures))
    sys.exit(1)
print("ok")
