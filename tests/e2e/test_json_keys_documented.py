"""Every key that `sweep --json` (top level and each point), `fusion --json` and `sched --json` write
is listed in its schema block in the docs (review DJ M1, L1: sweep's block listed `names_cleaned`,
which sweep did not write, fusion's and sched's left out the `names_cleaned` they write), and every
key `analyze --json` writes (top level, and each table's rows in that table's row of analyze.md's
JSON table). The keys are read from the docs as written, not from the code."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
from _harness import as_json, check, failures, run  # noqa: E402

SRC = os.environ["INFERTRACE_SOURCE_DIR"]
TRACES = os.path.join(SRC, "examples", "traces")
RECORDING = os.path.join(SRC, "fuzz", "corpus", "recording", "workload_small.itrace")


def block_text(doc, marker):
    """The first ``` block after the line holding `marker` in docs/DOC."""
    with open(os.path.join(SRC, "docs", doc)) as f:
        text = f.read()
    at = text.find(marker)
    check(at >= 0, f"{doc}: no {marker!r}")
    start = text.find("```", at)
    return text[start:text.find("```", start + 3)]


def block_keys(doc, marker):
    """The quoted keys of that block."""
    return set(re.findall(r'"([a-z_0-9]+)"', block_text(doc, marker)))


def all_documented(doc, marker, keys, what):
    documented = block_keys(doc, marker)
    missing = sorted(k for k in keys if k not in documented)
    check(not missing, f"{what}: keys written but not in {doc}'s block: {missing}")


sweep = as_json(run("sweep", os.path.join(TRACES, "gpt2_prefill_bs1.json.gz"),
                    os.path.join(TRACES, "gpt2_prefill_bs2.json.gz"), "--json"), "sweep")
all_documented("fusion.md", "### `sweep --json`", sweep.keys(), "sweep --json")
check(len(sweep.get("points", [])) == 2, f"sweep points: {sweep.get('points')}")
for p in sweep.get("points", []):
    all_documented("fusion.md", "### `sweep --json`", p.keys(), f"sweep --json point {p.get('batch')}")
    # Names cleaned are said per point, as analyze and fusion say them (review DJ M1).
    check(p.get("names_cleaned") == {}, f"sweep point {p.get('batch')}: names_cleaned {p.get('names_cleaned')}")
    check(p.get("source") == os.path.join(TRACES, f"gpt2_prefill_bs{p.get('batch')}.json.gz"),
          f"sweep source {p.get('source')}")
# The example's source is the path as given, as above (review DJ M1: it showed the file's base name).
m = re.search(r'"source": "([^"]*)"', block_text("fusion.md", "### `sweep --json`"))
check(m is not None and m.group(1).startswith("examples/traces/"), f"sweep example source {m and m.group(1)}")

fusion = as_json(run("fusion", os.path.join(TRACES, "gpt2_prefill_bs1.json.gz"), "--json", "--lengths", "2"), "fusion")
all_documented("fusion.md", "### `fusion --json`", fusion.keys(), "fusion --json")

sched = as_json(run("sched", RECORDING, "--json"), "sched")
check(sched.get("kind") == "sched", f"sched --json kind {sched.get('kind')}")
all_documented("sched.md", "`infertrace sched --json`", sched.keys(), "sched --json")

# analyze --json: every key of each table's rows is named in that table's row of analyze.md's JSON
# table (`kernel_stats`: the launch and queue keys added for review MX L3), and every top-level key
# somewhere in the page.
with open(os.path.join(SRC, "docs", "analyze.md")) as f:
    analyze_doc = f.read()
analyze = as_json(run("analyze", os.path.join(TRACES, "gpt2_prefill_bs1.json.gz"), "--json"), "analyze")
ticked = set(re.findall(r"`([a-z_0-9]+)`", analyze_doc))
check(not [k for k in analyze if k not in ticked], f"analyze --json keys not in analyze.md: {[k for k in analyze if k not in ticked]}")
for table in ("apis", "kernel_stats", "operator_stats", "streams", "devices"):
    line = next((l for l in analyze_doc.splitlines() if l.startswith(f"| `{table}` |")), "")
    documented = set(re.findall(r"`([a-z_0-9]+)`", line))
    rows = analyze.get(table) or [{}]
    missing = sorted(k for k in rows[0] if k not in documented)
    check(line and not missing, f"analyze --json {table}: keys written but not in analyze.md's row: {missing}")

if failures:
    sys.exit(1)
print("ok")
