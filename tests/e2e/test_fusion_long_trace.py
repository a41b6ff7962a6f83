"""`infertrace fusion` on long, periodic traces (review FL58): a 30,000-kernel trace that repeats 37
kernel names on one stream with no sync, at threshold 0.4.
- M1: asking for every length 2..3000 must not hold each length's best candidates with all their
  kernel names: the peak resident set stays within 1.5x (+ 16 MB) of the one for lengths 2..20
  (before the fix: about 8x). Skipped under the sanitizers (their shadow memory swamps the peaks).
- M2: ties between candidates are ordered by kernel name, not by which name the file mentions
  first: the same events in reversed file order give byte-identical --json."""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import as_json, check, failures, run, run_peak_rss, sanitized  # noqa: E402


def periodic(n, period, names=None):
    """n launches and kernels, kernel i named names[i % period] (k0, k1, ... by default)."""
    ev = []
    t = 1_000_000
    for i in range(n):
        name = names[i % period] if names else "k%d" % (i % period)
        ev.append({"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "pid": 1, "tid": 1,
                   "ts": t / 1000, "dur": 4.0, "args": {"correlation": i + 1}})
        ev.append({"ph": "X", "cat": "kernel", "name": name, "pid": 0, "tid": 7, "ts": (t + 5000) / 1000,
                   "dur": 1.0, "args": {"device": 0, "stream": 7, "correlation": i + 1}})
        t += 6000
    return ev


with tempfile.TemporaryDirectory() as d:
    if not sanitized():
        path = os.path.join(d, "per30k.json")
        with open(path, "w") as f:
            json.dump({"traceEvents": periodic(30000, 37)}, f)
        few = ",".join(str(L) for L in range(2, 21))
        many = ",".join(str(L) for L in range(2, 3001))
        r_few, rss_few = run_peak_rss("fusion", path, "--threshold", "0.4", "--lengths", few)
        r_many, rss_many = run_peak_rss("fusion", path, "--threshold", "0.4", "--lengths", many)
        check(r_few.returncode == 0 and r_many.returncode == 0, "fusion failed: %s %s" % (r_few.stderr, r_many.stderr))
        print("peak RSS: lengths 2..20 %.1f MB, 2..3000 %.1f MB" % (rss_few / 1e6, rss_many / 1e6))
        check(rss_many <= 1.5 * rss_few + 16e6,
              "M1: peak RSS for lengths 2..3000 is %.1f MB, for 2..20 %.1f MB" % (rss_many / 1e6, rss_few / 1e6))

    # M2: two disjoint chains, each fused equally often with equal launch time saved: A->B and
    # C->D. The file names C and D first once reversed; the ranking must not change.
    ev = periodic(400, 4, ["A", "B", "C", "D"])
    fwd, rev = os.path.join(d, "tie.json"), os.path.join(d, "tie_rev.json")
    with open(fwd, "w") as f:
        json.dump({"traceEvents": ev}, f)
    with open(rev, "w") as f:
        json.dump({"traceEvents": ev[::-1]}, f)
    a = run("fusion", fwd, "--lengths", "2", "--json")
    b = run("fusion", rev, "--lengths", "2", "--json")
    check(a.returncode == 0 and b.returncode == 0, "fusion failed: %s %s" % (a.stderr, b.stderr))
    ja, jb = as_json(a, "fusion"), as_json(b, "fusion")
    ja.pop("trace", None), jb.pop("trace", None)
    check(ja == jb, "M2: reversed file order changes the result")
    chains = [c["chain"] for c in ja.get("candidates", [])]
    check(chains[:2] == ["A -> B", "C -> D"], "M2: ties not in name order: %s" % chains)

if failures:
    sys.exit(1)
print("ok")
