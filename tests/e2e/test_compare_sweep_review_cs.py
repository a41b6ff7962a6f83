"""Review CS on `compare` and `sweep` (docs/sched.md "compare --json", docs/fusion.md): a scenario
whose capture holds no GPU kernel gets no verdict and says the launch mix was not compared (M1);
traces from another GPU model are named as such in both verbs (M2); one capture under two batch
names, a --label that contradicts the file name and a trace without a single event are refused
(L4, L5, L6). The inputs are the shipped gpt2 traces, edited here: GPU events removed, the
deviceProperties name changed, an empty traceEvents."""
import gzip
import json
import os
import shutil
import tempfile

from _harness import check, failures, run, as_json

src = os.environ["INFERTRACE_SOURCE_DIR"]
traces = os.path.join(src, "examples", "traces")
bs1, bs2 = (os.path.join(traces, "gpt2_prefill_bs%d.json.gz" % b) for b in (1, 2))
GPU_CATS = {"kernel", "gpu_memset", "gpu_memcpy", "gpu_user_annotation", "ac2g"}


def load(path):
    with gzip.open(path, "rt") as f:
        return json.load(f)


def save(doc, path):
    with open(path, "w") as f:
        json.dump(doc, f)


with tempfile.TemporaryDirectory() as tmp:
    # M1: bs2 without its GPU side (kernels, memsets, flows): its launch calls reached no GPU work.
    doc = load(bs2)
    doc["traceEvents"] = [e for e in doc["traceEvents"] if e.get("cat") not in GPU_CATS]
    check(not any(e.get("cat") == "kernel" for e in doc["traceEvents"]), "kernels left in the edited trace")
    nogpu = os.path.join(tmp, "nogpu_bs2.json")
    save(doc, nogpu)
    out = as_json(run("compare", "--json", bs2, nogpu), "compare nogpu")
    if out:
        row = out["scenarios"][1]
        want = "its %d launch calls reached no GPU work in its capture (no GPU kernel)" % row["launches"]
        check(row["launches"] == out["scenarios"][0]["launches"], "same launch calls on both sides: %r" % row["launches"])
        check(row["slowdown_pct"] is None, "a slowdown for work nobody could check: %r" % row["slowdown_pct"])
        check(row["launch_mix_unchecked_reason"] == want, "reason %r, want %r" % (row["launch_mix_unchecked_reason"], want))
        check(row["verdict"].startswith("no verdict: " + want), "verdict %r" % row["verdict"])
        check(any("launch mix not compared" in n for n in out["notes"]), "notes %r" % out["notes"])
        check(out["scenarios"][0]["launch_mix_unchecked_reason"] is None, "baseline row reason")
    r = run("compare", bs2, nogpu)
    check(r.returncode == 0 and "no measurable change" not in r.stdout and "launch mix not compared" in r.stdout,
          "compare nogpu text:\n" + r.stdout + r.stderr)
    # The same trace on both sides keeps its verdict and gives no reason.
    again = os.path.join(tmp, "again_bs2.json.gz")
    shutil.copy(bs2, again)
    out = as_json(run("compare", "--json", bs2, again), "compare same")
    if out:
        check(out["scenarios"][1]["launch_mix_unchecked_reason"] is None and out["scenarios"][1]["slowdown_pct"] == 0.0,
              "same trace: %r" % out["scenarios"][1])

    # M2: bs2 renamed to another GPU model.
    doc = load(bs2)
    models = sorted({d["name"] for d in doc["deviceProperties"]})
    for d in doc["deviceProperties"]:
        d["name"] = "NVIDIA A100-SXM4-80GB"
    a100 = os.path.join(tmp, "a100_bs2.json")
    save(doc, a100)
    out = as_json(run("compare", "--json", bs2, a100), "compare a100")
    if out:
        row = out["scenarios"][1]
        check(row["gpu_models"] == ["NVIDIA A100-SXM4-80GB"] and out["scenarios"][0]["gpu_models"] == models,
              "gpu_models %r %r" % (out["scenarios"][0]["gpu_models"], row["gpu_models"]))
        check(row["gpu_models_differ"] is True and out["scenarios"][0]["gpu_models_differ"] is False, "gpu_models_differ")
        check("ran on another GPU model (NVIDIA A100-SXM4-80GB)" in row["verdict"], "verdict %r" % row["verdict"])
    out = as_json(run("sweep", "--json", bs1, a100), "sweep a100")
    if out:
        check(out["gpu_models_differ"] == [2], "sweep gpu_models_differ %r" % out["gpu_models_differ"])
        check(out["points"][0]["gpu_models"] == models, "point models %r" % out["points"][0]["gpu_models"])
        check("Caution: batch 2 ran on another GPU model than batch 1 (%s; batch 2 on NVIDIA A100-SXM4-80GB)" % ", ".join(models)
              in out["summary"], "summary %r" % out["summary"])
    out = as_json(run("sweep", "--json", bs1, bs2), "sweep same model")
    if out:
        check(out["gpu_models_differ"] == [] and "another GPU model" not in out["summary"], "same model: %r" % out["summary"])

    # L7: kernels renamed (the same timing and grids): the names only on each side are given.
    doc = load(bs2)
    names = sorted({e["name"] for e in doc["traceEvents"] if e.get("cat") == "kernel"})
    for e in doc["traceEvents"]:
        if e.get("cat") == "kernel":
            e["name"] = "renamed_" + e["name"]
    renamed = os.path.join(tmp, "renamed_bs2.json")
    save(doc, renamed)
    out = as_json(run("compare", "--json", bs2, renamed), "compare renamed")
    if out:
        row = out["scenarios"][1]
        more = lambda n: " and %d more" % (len(names) - 3) if len(names) > 3 else ""  # noqa: E731
        want = ("only in renamed_bs2: " + ", ".join("renamed_" + n for n in names[:3]) + more(0) +
                "; only in the baseline: " + ", ".join(names[:3]) + more(0))
        check(row["launch_mix_differs"] is True and row["launch_mix_difference"] == want,
              "launch_mix_difference %r, want %r" % (row["launch_mix_difference"], want))
        # The note cuts each name to 96 bytes, its start and end kept (review WD56 M2); these
        # ASCII names, distinct once cut, as util/utf8_cut.h middle_ellipsis cuts them.
        cut = lambda n: n if len(n) <= 96 else n[:62] + "..." + n[-31:]  # noqa: E731
        want_note = ("only in renamed_bs2: " + ", ".join(cut("renamed_" + n) for n in names[:3]) + more(0) +
                     "; only in the baseline: " + ", ".join(cut(n) for n in names[:3]) + more(0))
        check(any(want_note in n for n in out["notes"]), "notes %r, want %r" % (out["notes"], want_note))

    # L4: one capture under two batch names: a caution naming both batches.
    same = os.path.join(tmp, "same")
    os.mkdir(same)
    copy = os.path.join(same, "gpt2_prefill_bs4.json.gz")
    shutil.copy(bs1, copy)
    out = as_json(run("sweep", "--json", bs1, copy), "sweep same capture")
    if out:
        check(out["points"][1]["same_bytes_as"] == 1 and out["points"][0]["same_bytes_as"] is None,
              "same_bytes_as %r" % [p["same_bytes_as"] for p in out["points"]])
        check("Caution: the traces of batches 1 and 4 hold the same bytes" in out["summary"], "summary %r" % out["summary"])
        # Both files named (review WD56 L2).
        check(out["points"][0]["source"] + " and " + out["points"][1]["source"] in out["summary"],
              "both files in %r" % out["summary"])
    out = as_json(run("sweep", "--json", bs1, bs2), "sweep distinct")
    if out:
        check("same bytes" not in out["summary"] and "--label" not in out["summary"], "distinct traces: %r" % out["summary"])

    # L5: --label against the file name's bs<N>: a caution.
    out = as_json(run("sweep", "--json", bs1, bs2, "--label", "bs=64", "--label", "bs=2"), "sweep label conflict")
    if out:
        check([p["file_name_batch"] for p in out["points"]] == [None, 1], "file_name_batch %r" % [p["file_name_batch"] for p in out["points"]])
        check("is labelled batch 64 but its file name says batch 1: check the --label." in out["summary"], "summary %r" % out["summary"])
    out = as_json(run("sweep", "--json", bs1, bs2, "--label", "bs=1", "--label", "bs=2"), "sweep labels agree")
    if out:
        check(all(p["file_name_batch"] is None for p in out["points"]), "labels that agree with the names")

    # L6: a trace without a single event.
    empty = os.path.join(tmp, "noev_bs4.json")
    save({"traceEvents": []}, empty)
    r = run("sweep", bs1, empty)
    check(r.returncode == 1 and empty in r.stderr and "no events in the trace" in r.stderr, "empty trace: %d %s" % (r.returncode, r.stderr))

if failures:
    raise SystemExit("\n".join(failures))
print("ok")
