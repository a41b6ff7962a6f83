"""scripts/gpu_tools/run_docs.py (parts 40 and 45 read the `engine run --json` documents they appended
to one file): pretty-printed documents one after another come back whole and in order, without the
token lists; a document cut short ends the list with a note instead of an exception; a missing file
is no runs."""
import contextlib
import io
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from _harness import check, failures  # noqa: E402

src = os.environ.get("INFERTRACE_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(src, "scripts", "gpu_tools"))
import run_docs  # noqa: E402

docs = [{"mode": "graph", "tg_tokens_per_second": 2100.5, "prompt_ids": [1, 2], "output_ids": [3], "text": "x"},
        {"mode": "eager", "n_seq": 4, "decode_window_ns": {"start": 1, "end": 2}}]
with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "runs.tmp")
    with open(path, "w") as f:
        for d in docs:
            f.write(json.dumps(d, indent=2) + "\n")
        f.write('{"mode": "fused", "tg_tok')  # the third run was killed while printing
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        rows = run_docs.read_run_docs(path)
    want = [{k: v for k, v in d.items() if k not in ("prompt_ids", "output_ids", "text")} for d in docs]
    check(rows == want, "rows %r, want %r" % (rows, want))
    check("2 run(s) kept" in err.getvalue(), "no note on the cut document: %r" % err.getvalue())
    out = os.path.join(tmp, "runs.jsonl")
    run_docs.write_jsonl(rows, out)
    check([json.loads(line) for line in open(out)] == want, "JSON lines differ")
    check(run_docs.read_run_docs(os.path.join(tmp, "missing")) == [], "a missing file is no runs")

if failures:
    sys.exit(1)
print("ok")
