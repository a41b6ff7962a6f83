"""Option values inside a larger text ("cuda:N", "bs=N", "-t 1,2", "--lengths 2,4"), a prompt that
--json cannot hold and a --metric-regex without a capture group: each gets a usage error (exit 2)
that names the option and says what is wrong, before anything runs (review AW items 7, 8, 12 and
its LOW messages). Before: "error: stoi"; nlohmann's bare "invalid UTF-8 byte at index 0"; a number
too large called "not a whole number" or "expected thread counts like 1,2,4"; a regex without a
group reported later as "matched nothing in the output". Duplicate thread counts are measured once."""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from _harness import check, failures, refused, run  # noqa: E402


with tempfile.TemporaryDirectory() as tmp:
    model = os.path.join(tmp, "tiny.gguf")
    made = run("model", "synth", "--preset", "tiny", "-o", model)
    check(made.returncode == 0, "model synth: %s" % made.stderr)
    trace = os.path.join(tmp, "t_bs1.json")
    with open(trace, "w") as f:
        json.dump({"traceEvents": []}, f)

    refused(["bench", "membw", "--device", "cuda:99999999999"], "--device cuda:99999999999", "above 2147483647")
    refused(["bench", "membw", "--device", "cuda:x"], "expected cpu, cuda or cuda:N")
    refused(["bench", "membw", "-t", "0,1"], "-t 0,1", "below 1")
    refused(["bench", "membw", "-t", "99999999999"], "-t 99999999999", "far more than any machine's CPUs")
    refused(["bench", "membw", "-t", "1,,2"], "expected thread counts like 1,2,4")
    # 100000 fits an int: the machine's cap says why it is too many (as for -t 9 on a small machine).
    refused(["bench", "membw", "-t", "100000"], "-t 100000", "100000 threads is more than")
    refused(["fusion", trace, "--lengths", "99999999999"], "--lengths", "'99999999999' is above 1048576")
    refused(["fusion", trace, "--lengths", "1"], "--lengths", "'1' is below 2")
    refused(["fusion", trace, "--lengths", "2,x"], "--lengths", "'x' is not a whole number")
    refused(["sweep", trace, trace, "--label", "bs=99999999999999999999", "--label", "bs=2"],
            "--label bs=99999999999999999999", "too large")
    refused(["sweep", trace, trace, "--label", "bs=0", "--label", "bs=2"], "--label bs=0", "positive whole number")
    refused(["model", "tokenize", "-m", model, "-p", "\udcff\udcfe", "--json"],
            "-p", "not valid UTF-8", "byte 0 is 0xFF")
    # Valid UTF-8 is unchanged in the JSON.
    r = run("model", "tokenize", "-m", model, "-p", "h\u00e9llo", "--json")
    check(r.returncode == 0 and json.loads(r.stdout)["decoded"].endswith("h\u00e9llo"), "tokenize --json of UTF-8: %s" % r.stderr)
    batch = os.path.join(tmp, "batch.json")
    with open(batch, "w") as f:
        f.write('["\\ud800"]')
    refused(["model", "tokenize", "-m", model, "--batch", batch], "--batch is not valid JSON", "surrogate", rc=1)
    refused(["bench", "interference", "--record", "off", "--scenarios", "baseline", "-r", "1", "--warmup", "0",
             "--out-dir", os.path.join(tmp, "if"), "--metric-regex", "x",
             "--", "/bin/echo", "x"], "--metric-regex x", "capture group")
    check(not os.path.exists(os.path.join(tmp, "if")), "bench interference ran with a regex without a group")

    # -t 1,1 measures one point (fusion merges duplicate --lengths the same way).
    r = run("bench", "membw", "-t", "1,1", "--size-mib", "1", "-r", "1", "-o", "json")
    check(r.returncode == 0, "bench membw -t 1,1: %s" % r.stderr)
    if r.returncode == 0:
        pts = json.loads(r.stdout)["points"]
        check([p["threads"] for p in pts] == [1], "bench membw -t 1,1 points: %s" % [p["threads"] for p in pts])

if failures:
    sys.exit(1)
print("ok")
