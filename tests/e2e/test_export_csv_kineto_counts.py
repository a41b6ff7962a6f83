"""`export --csv` of a Kineto trace writes its operators (operators.csv, as SQLite's operator table
holds them) and its summary line counts every table it wrote, gpu.csv's and operators.csv's rows
too (review DJ L4: no operator table, and the 247 GPU rows went uncounted). The counts expected are
the rows of the files written, and SQLite's operator table's."""
import os
import re
import sqlite3
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from _harness import check, failures, run  # noqa: E402

TRACE = os.path.join(os.environ["INFERTRACE_SOURCE_DIR"], "examples", "traces", "gpt2_prefill_bs1.json.gz")


def rows(path):
    with open(path) as f:
        return sum(1 for _ in f) - 1  # less the header (names hold no newline)


with tempfile.TemporaryDirectory() as d:
    out, db = os.path.join(d, "csv"), os.path.join(d, "t.sqlite")
    r = run("export", TRACE, "--csv", out, "--sqlite", db)
    check(r.returncode == 0, f"export: {r.returncode} {r.stderr}")
    line = next((ln for ln in r.stdout.splitlines() if ln.startswith("csv: ")), "")
    counts = dict((k.strip(), int(v)) for k, v in re.findall(r"([A-Za-z ]+?) (\d+)(?:,|\))", line.split("(", 1)[-1]))
    check(os.path.isfile(os.path.join(out, "operators.csv")), f"no operators.csv: {sorted(os.listdir(out)) if os.path.isdir(out) else out}")
    if os.path.isfile(os.path.join(out, "operators.csv")):
        ops = rows(os.path.join(out, "operators.csv"))
        with sqlite3.connect(db) as c:
            in_db = c.execute("SELECT count(*) FROM operator").fetchone()[0]
        check(ops == in_db and ops > 0, f"operators.csv {ops} rows, SQLite operator {in_db}")
        check(counts.get("operators") == ops, f"summary {line!r}: operators, want {ops}")
    gpu = rows(os.path.join(out, "gpu.csv"))
    check(gpu > 0 and counts.get("GPU activities") == gpu, f"summary {line!r}: GPU activities, want {gpu}")
    check(counts.get("API calls") == rows(os.path.join(out, "launches.csv")), f"summary {line!r}: API calls")

if failures:
    sys.exit(1)
print("ok")
