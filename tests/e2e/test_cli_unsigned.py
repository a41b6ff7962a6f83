"""Unsigned options refuse a negative number (cli/unsigned_options.h). CLI11 converts an unsigned
option with strtoull, which reads "-1" as 2^64-1: `model synth --seed -1` wrote the file of seed
18446744073709551615 and `ingest --chunk-bytes -1` read in 16 EiB pieces, both exit 0. Every
unsigned option of every verb, in a table: a negative value is a one-line usage error (exit 2)
that names the option; a valid value of the same option still runs."""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import check, failures, run  # noqa: E402

SERVE_EXE = os.path.join(os.path.dirname(os.environ["INFERTRACE"]), "infertrace-serve")

with tempfile.TemporaryDirectory() as tmp:
    model = os.path.join(tmp, "tiny.gguf")
    trace = os.path.join(tmp, "empty.json")
    with open(trace, "w") as f:
        json.dump({"traceEvents": []}, f)
    made = run("model", "synth", "--preset", "tiny", "-o", model)
    check(made.returncode == 0, "model synth of the test model: %s" % made.stderr)

    # (arguments before the option, option, a valid value, arguments after, valid run's exit code,
    # the layer that refuses a negative value). Two layers refuse a sign: the unsigned check
    # (cli/unsigned_options.h, "must not be negative"), the only one on the --seed and --chunk-bytes
    # rows, which ran with 2^64-1 without it; and a CLI::Range the option has itself, which comes
    # first on the --top rows ("not in range"), so those rows held before the unsigned check and
    # test only that the two together still refuse.
    # The valid run of bench serve stops at its own check (neither --url nor -m): exit 2, about that.
    UNSIGNED, RANGE = "must not be negative (got %s)", "not in range"
    TABLE = [
        (["model", "synth", "--preset", "tiny", "-o", os.path.join(tmp, "s.gguf")], "--seed", "7", [], 0, UNSIGNED),
        (["engine", "run", "-m", model, "-n", "1", "-p", "a"], "--seed", "7", [], 0, UNSIGNED),
        (["ingest", trace], "--chunk-bytes", "4096", [], 0, UNSIGNED),
        (["analyze", trace], "--top", "5", [], None, RANGE),
        (["fusion", trace], "--top", "5", [], None, RANGE),
        (["sched", os.path.join(tmp, "none.itrace")], "--top", "5", [], None, RANGE),
    ]
    if os.path.exists(SERVE_EXE):
        TABLE.append((["bench", "serve", "--prompt-tokens", "4"], "--seed", "7", [], 2, UNSIGNED))
    else:
        print("note: infertrace-serve not built (no cpp-httplib): bench serve --seed not checked")

    for before, opt, good, after, good_rc, layer in TABLE:
        what = " ".join(before[:2] + [opt])
        for bad in ("-1", "-18446744073709551615", " -3"):
            r = run(*before, opt, bad, *after)
            refusal = layer % bad if layer == UNSIGNED else layer
            check(r.returncode == 2, "%s %r: usage error (2), got %d %r" % (what, bad, r.returncode, r.stderr))
            check(r.stderr.startswith("infertrace: error: %s: " % opt) and r.stderr.count("\n") == 1
                  and refusal in r.stderr, "%s %r: one line naming %s, %r, got %r" % (what, bad, opt, refusal, r.stderr))
        # The same through --opt=VALUE.
        r = run(*before, opt + "=-1", *after)
        refusal = layer % "-1" if layer == UNSIGNED else layer
        check(r.returncode == 2 and opt in r.stderr and refusal in r.stderr,
              "%s=-1: usage error naming it, %r, got %d %r" % (what, refusal, r.returncode, r.stderr))
        # A valid value: accepted (the verb runs, or stops later for a reason not about this option).
        r = run(*before, opt, good, *after)
        if good_rc is not None:
            check(r.returncode == good_rc, "%s %s: exit %d expected, got %d %r" % (what, good, good_rc, r.returncode, r.stderr))
        check(opt not in r.stderr, "%s %s: accepted, got %r" % (what, good, r.stderr))

    # Only the sign is refused: the largest seed written as a number is still a seed, and it is not
    # the file "-1" used to give (that run is now refused above).
    big = run("model", "synth", "--preset", "tiny", "--seed", "18446744073709551615", "-o", os.path.join(tmp, "big.gguf"))
    check(big.returncode == 0, "model synth --seed 2^64-1 is accepted: %d %r" % (big.returncode, big.stderr))

    # Help still shows the type as before (the check adds no description to it).
    h = run("model", "synth", "--help")
    check("--seed UINT=42" in h.stdout, "model synth --help: --seed UINT=42 as before: %r" % h.stdout[-600:])

if failures:
    sys.exit(1)
print("ok")
