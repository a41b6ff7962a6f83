"""A side input (model tokenize --batch, export --attach, --decode-window) over the 1 GiB bound is
refused before it is read when it is a regular file: it was read up to its first GiB first, which
took time and a GiB of memory for nothing. A 2 GiB sparse file costs the test no disk."""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from _gguf import mini_llama  # noqa: E402
from _harness import check, failures, run_peak_rss  # noqa: E402

with tempfile.TemporaryDirectory() as d:
    model = os.path.join(d, "m.gguf")
    with open(model, "wb") as f:
        f.write(mini_llama().bytes())
    big = os.path.join(d, "big.json")
    with open(big, "wb") as f:
        f.truncate(2 << 30)
    # One that fits is read (and still checked as JSON); its peak is the baseline below.
    small = os.path.join(d, "small.json")
    with open(small, "w") as f:
        f.write('["ab", "a b"]')
    r, small_peak = run_peak_rss("model", "tokenize", "-m", model, "--batch", small, timeout=120)
    check(r.returncode == 0 and r.stdout.count("detokenized") == 2, f"small --batch: {r.returncode} {r.stderr[-300:]!r}")

    r, peak = run_peak_rss("model", "tokenize", "-m", model, "--batch", big, timeout=120)
    last = r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ""
    check(r.returncode == 1 and big in last and "--batch: over 1024 MiB: not a side input" in last,
          f"big --batch: {r.returncode} {last!r}")
    # Not read: the process never held a quarter of the bound above the small run's peak.
    check(peak < small_peak + (1 << 30) // 4, f"big --batch: peak RSS {peak} B, a small run's {small_peak} B")

if failures:
    sys.exit(1)
print("ok")
