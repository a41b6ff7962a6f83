"""A truncated .json.gz (a trace still being written) fails with "gzip stream is truncated" without
first faulting in the size its last 4 bytes claim (review FL58 L4: the gzip trailer of a cut file
is compressed data, read as a size of up to 4 GiB, and that much memory was faulted in before the
inflate failed: 2.9 GB peak for a 15 MB piece of a 16 MB trace). Here an 8 MB trace is cut at
90% and its last 4 bytes claim 300 MB: the peak resident set must stay near the whole file's.
The memory part is skipped under the sanitizers (their shadow memory swamps the peaks)."""
import gzip
import json
import os
import struct
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import check, failures, run, run_peak_rss, sanitized  # noqa: E402


def trace(n):
    ev = []
    for i in range(n):
        t = 1000.0 + 10.0 * i
        ev.append({"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "pid": 1, "tid": 1, "ts": t,
                   "dur": 4.0, "args": {"correlation": i + 1}})
        ev.append({"ph": "X", "cat": "kernel", "name": "kernel_%d" % (i % 50), "pid": 0, "tid": 7, "ts": t + 5.0,
                   "dur": 1.0, "args": {"device": 0, "stream": 7, "correlation": i + 1}})
    return {"traceEvents": ev}


with tempfile.TemporaryDirectory() as d:
    whole, cut = os.path.join(d, "whole.json.gz"), os.path.join(d, "cut.json.gz")
    data = gzip.compress(json.dumps(trace(30000)).encode(), compresslevel=6)
    with open(whole, "wb") as f:
        f.write(data)
    claimed = 300 << 20  # below the 1032:1 deflate bound, so the trailer is believed as a size
    check(claimed < len(data) * 9 // 10 * 1032, "test setup: the claimed size is above the deflate bound")
    with open(cut, "wb") as f:
        f.write(data[: len(data) * 9 // 10 - 4] + struct.pack("<I", claimed))

    r = run("fusion", whole)
    check(r.returncode == 0, "whole file: %s" % r.stderr)
    r = run("fusion", cut)
    check(r.returncode != 0 and "gzip stream is truncated" in r.stderr, "cut file: exit %d, %r" % (r.returncode, r.stderr))

    if not sanitized():
        _, rss_whole = run_peak_rss("fusion", whole)
        _, rss_cut = run_peak_rss("fusion", cut)
        print("peak RSS: whole %.1f MB, truncated %.1f MB" % (rss_whole / 1e6, rss_cut / 1e6))
        check(rss_cut <= rss_whole + 64e6,
              "truncated file: peak RSS %.1f MB, whole file %.1f MB" % (rss_cut / 1e6, rss_whole / 1e6))

if failures:
    sys.exit(1)
print("ok")
