"""Words a verb does not take are named as typed: in their order and without the `--` that ended
the options. CLI11 named them last first with that `--` among them: `sched -- a b` said "The
following arguments were not expected: b -- (see --help)". A `--` typed after the first one is a
word like any other and is named."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import check, failures, run  # noqa: E402

T = os.path.join(os.environ["INFERTRACE_SOURCE_DIR"], "examples", "traces", "gpt2_prefill_bs1.json.gz")
ONE = "The following argument was not expected: "
MANY = "The following arguments were not expected: "

CASES = [
    (["sched", "--", "a", "b"], ONE + "b"),  # a is the trace: b alone is extra
    (["sched", "a", "b"], ONE + "b"),
    (["sched", T, "x", "y"], MANY + "x y"),
    (["sched", T, "--", "x", "y"], MANY + "x y"),
    (["sched", "--", T, "x", "y"], MANY + "x y"),
    (["sched", "--", "a", "--", "b"], MANY + "-- b"),
    (["sched", "a", "--", "--", "b"], MANY + "-- b"),
    (["sched", "x", T, "x"], MANY + T + " x"),
    (["demo", "x"], ONE + "x"),
    (["demo", "x", "y"], MANY + "x y"),
    (["demo", "--", "x", "y"], MANY + "x y"),
    (["demo", "-o", "d", "x", "--"], ONE + "x"),
    (["export", T, "x"], ONE + "x"),
    (["export", T, "x", "y"], MANY + "x y"),
    (["export", T, "--", "x", "y"], MANY + "x y"),
    (["export", "--", T, "x"], ONE + "x"),
    (["export", "--chrome", "out.json", T, "x", "y"], MANY + "x y"),
    (["analyze", "--json", "--top", "3", T, "--", "--top"], None),  # analyze takes every word: not this error
]

for words, want in CASES:
    r = run(*words)
    last = r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ""
    if want is None:
        check("not expected" not in r.stderr, "%s: %r" % (" ".join(words), last))
        continue
    want_line = "infertrace: error: " + want + " (see --help)"
    check(r.returncode == 2 and last == want_line, "%s: exit %d, %r (want %r)"
          % (" ".join(words), r.returncode, last, want_line))

if failures:
    sys.exit(1)
print("ok")
