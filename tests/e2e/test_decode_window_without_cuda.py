"""`--decode-window RUN.json` on a trace without CUDA work (review BK item 6): a CPU-only torch
profile (tests/fixtures/torch-cpu) has no launch to cut and nothing to check the run's window
against; `fusion` printed "0 kernels" and exit 0, `sweep` a table of nothing. Both refuse it as they
refuse a window that keeps none of a trace's CUDA work: an input error (exit 1) naming the trace
and the run's file. Without --decode-window, fusion on the same trace still runs."""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import check, failures, refused, run  # noqa: E402

src = os.environ["INFERTRACE_SOURCE_DIR"]
cpu_trace = os.path.join(src, "tests", "fixtures", "torch-cpu", "decode_legacy_t1.json.gz")

with tempfile.TemporaryDirectory() as tmp:
    doc = os.path.join(tmp, "run.json")
    with open(doc, "w") as f:  # an engine run --json of the CPU backend, as it prints one
        json.dump({"schema_version": 1, "backend": "cpu", "n_prompt": 2, "n_generated": 4, "n_decode_evals": 3,
                   "tg_tokens_per_second": 100.0, "decode_window_ns": {"start": 1000, "end": 2000000}}, f)
    r = run("fusion", cpu_trace)
    check(r.returncode == 0, "fusion without --decode-window: exit %d %s" % (r.returncode, r.stderr[-300:]))
    refused(["fusion", cpu_trace, "--decode-window", doc], cpu_trace, "--decode-window " + doc, "no CUDA API calls", rc=1)
    # (The one trace twice needs two windows: one file cut by one window twice is refused first.)
    doc2 = os.path.join(tmp, "run2.json")
    with open(doc2, "w") as f:
        json.dump({"schema_version": 1, "backend": "cpu", "n_prompt": 2, "n_generated": 4, "n_decode_evals": 3,
                   "tg_tokens_per_second": 100.0, "decode_window_ns": {"start": 2000, "end": 3000000}}, f)
    refused(["sweep", cpu_trace, cpu_trace, "--label", "bs=1", "--label", "bs=2", "--decode-window", doc,
             "--decode-window", doc2], cpu_trace, "--decode-window " + doc, "no CUDA API calls", rc=1)
    refused(["sweep", cpu_trace, cpu_trace, "--label", "bs=1", "--label", "bs=2", "--decode-window", doc,
             "--decode-window", doc], cpu_trace, "the same file cut by the same decode window", rc=2)

if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("ok")
