"""`sweep` says when its traces do not run the same top-level operators (review MA L5): a sweep is
one model at several batch sizes, and BERT's traces beside a GPT-2 one made a transition with no word
of doubt. The top-level operator names (in no other operator of their thread, torch's nesting rule)
are computed here from the raw Kineto JSON, with exact decimal timestamps."""
import collections
import decimal
import gzip
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from _harness import as_json, check, failures, h100_fixtures, run, skip  # noqa: E402

F = h100_fixtures("bert_prefill_bs1.json.gz")
if F is None:
    skip("the H100 fixtures are not there")


def top_level_names(path):
    with gzip.open(path, "rt") as f:
        doc = json.load(f, parse_float=decimal.Decimal)
    by_thread = collections.defaultdict(list)
    for e in doc["traceEvents"]:
        if e.get("cat") == "cpu_op" and e.get("ph") == "X":
            by_thread[(e["pid"], e["tid"])].append((decimal.Decimal(e["ts"]), decimal.Decimal(e.get("dur", 0)), e["name"]))
    names = set()
    for ops in by_thread.values():
        ops.sort(key=lambda o: (o[0], -o[1]))
        open_ends = []
        for ts, dur, name in ops:
            end = ts + max(dur, 0)
            # what ends after an open operator, or starts at or after its end, is not inside it
            while open_ends and (open_ends[-1] < end or open_ends[-1] <= ts):
                open_ends.pop()
            if not open_ends:
                names.add(name)
            open_ends.append(end)
    return sorted(names)


def only(x, y, batch):
    d = [n for n in x if n not in set(y)]
    if not d:
        return ""
    s = "only in batch %d: %s" % (batch, ", ".join(d[:3]))
    return s + (" and %d more" % (len(d) - 3) if len(d) > 3 else "")


bert = [os.path.join(F, "bert_prefill_bs%d.json.gz" % b) for b in (1, 2, 4, 8, 16, 32)]
gpt2 = os.path.join(F, "gpt2_prefill_bs64.json.gz")

# One model: no caution, an empty list.
j = as_json(run("sweep", *bert, "--json"), "sweep bert")
check(j.get("operators_differ") == [] and "top-level operators" not in j.get("summary", ""),
      "one model: %r %r" % (j.get("operators_differ"), j.get("summary")))

# BERT at 1..32 and GPT-2 at 64.
r = run("sweep", *bert, gpt2, "--json")
j = as_json(r, "sweep bert+gpt2")
a, b = top_level_names(bert[0]), top_level_names(gpt2)
check(a != b, "the fixtures' top-level operators should differ")
diff = only(b, a, 64)
diff += ("; " if diff and only(a, b, 1) else "") + only(a, b, 1)
want = ("Caution: batch 64 runs other top-level operators than batch 1 (%s), so the traces may not be one model "
        "at several batch sizes." % diff)
check(j.get("operators_differ") == [64], "mixed: operators_differ %r" % j.get("operators_differ"))
check(want in j.get("summary", ""), "mixed: summary %r\n want %r" % (j.get("summary"), want))
# The text output carries the same sentence.
r = run("sweep", *bert, gpt2)
check(r.returncode == 0 and want in " ".join(r.stdout.split()), "text: %r" % r.stdout[-600:])

# One model whose steps are wrapped in ProfilerStep#N ranges with different N (a user annotation, or
# an operator as old traces write it) and in record_function ranges of different labels: the
# annotations are not operators of the model, and what they contain is compared (review S54 M1).
def wrapped(src, dst, outer, cat):
    with gzip.open(src, "rt") as f:
        doc = json.load(f)
    ops = [e for e in doc["traceEvents"] if e.get("cat") == "cpu_op" and e.get("ph") == "X"]
    main = collections.Counter((e["pid"], e["tid"]) for e in ops).most_common(1)[0][0]
    mine = [e for e in ops if (e["pid"], e["tid"]) == main]
    t0 = min(e["ts"] for e in mine)
    t1 = max(e["ts"] + e["dur"] for e in mine)
    for name, c, pad in ((outer, cat, 2), ("label %s" % outer, "user_annotation", 1)):
        doc["traceEvents"].append({"ph": "X", "cat": c, "name": name, "pid": main[0], "tid": main[1],
                                   "ts": t0 - pad, "dur": t1 - t0 + 2 * pad})
    with open(dst, "w") as f:
        json.dump(doc, f)


with tempfile.TemporaryDirectory() as d:
    a1, a8 = os.path.join(d, "m_bs1.json"), os.path.join(d, "m_bs8.json")
    wrapped(bert[0], a1, "ProfilerStep#3", "user_annotation")
    wrapped(bert[3], a8, "ProfilerStep#5", "cpu_op")
    j = as_json(run("sweep", a1, a8, "--json"), "sweep wrapped")
    check(j.get("operators_differ") == [] and "top-level operators" not in j.get("summary", ""),
          "annotations: %r %r" % (j.get("operators_differ"), j.get("summary")))

if failures:
    sys.exit(1)
print("ok")
