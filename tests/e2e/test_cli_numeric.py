"""Numeric options refuse the values CLI11 2.1 would silently change (cli/numeric_options.h), in a
table over every kind of number the CLI takes. Measured before the check, all exit 0 or a run:
  - unsigned (strtoull): "-1" was 2^64-1 (`model synth --seed -1` wrote the file of seed
    18446744073709551615, `ingest --chunk-bytes -1` read in 16 EiB pieces); for a 64-bit one
    (uint64_t, size_t), 2^64 or more was 2^64-1;
  - 64-bit signed (strtoll): beyond +-2^63 was clamped (`engine run -n 99999999999999999999` asked for
    2^63-1 tokens);
  - int (32-bit; no option holds a 32-bit unsigned): CLI11 already refused what does not fit
    ("Could not convert"), and still does;
  - double (strtold, cast): 1e999 and 1e400 were inf, 1e-400 was 0, nan and inf were taken (a
    `record --duration nan` passed the verb's `< 0` check).
Each is now a one-line usage error (exit 2) naming the option and the value; a valid value of the
same option still runs."""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import check, failures, run  # noqa: E402

SERVE_EXE = os.path.join(os.path.dirname(os.environ["INFERTRACE"]), "infertrace-serve")

# Bad values per kind of option: (value, what the error says besides the option and the value).
BAD = {
    "unsigned": [("-1", "must not be negative"), ("-18446744073709551615", "must not be negative"),
                 # (a space or hex: not the one form numbers take, review CA L6)
                 (" -3", "decimal digits"), ("18446744073709551616", "out of range"),
                 ("99999999999999999999", "out of range"), ("0x10000000000000000", "decimal digits")],
    # An option with its own CLI::Range (checked first) says that instead.
    "unsigned ranged": [(v, "not in range") for v in ("-1", "-18446744073709551615", "18446744073709551616",
                                                      "99999999999999999999")] + [(" -3", "decimal digits")],
    "int64": [("9223372036854775808", "out of range"), ("-9223372036854775809", "out of range"),
              ("99999999999999999999", "out of range"), ("-99999999999999999999", "out of range")],
    "int32": [("2147483648", "Could not convert"), ("99999999999", "Could not convert"),
              ("99999999999999999999", "out of range")],
    "double": [("1e999", "out of range"), ("-1e999", "out of range"), ("1e400", "out of range"),
               ("1e-400", "out of range"), ("nan", "must be a finite number"), ("NaN", "must be a finite number"),
               ("inf", "must be a finite number"), ("-inf", "must be a finite number"),
               ("infinity", "must be a finite number")],
}

with tempfile.TemporaryDirectory() as tmp:
    model = os.path.join(tmp, "tiny.gguf")
    trace = os.path.join(tmp, "empty.json")
    with open(trace, "w") as f:
        json.dump({"traceEvents": []}, f)
    made = run("model", "synth", "--preset", "tiny", "-o", model)
    check(made.returncode == 0, "model synth of the test model: %s" % made.stderr)
    engine = ["engine", "run", "-m", model, "-p", "a"]

    # (kind, arguments before the option, option, a valid value, arguments after, valid run's exit
    # code or None: not checked). The valid run of bench serve stops at its own check (neither --url
    # nor -m): exit 2, about that.
    TABLE = [
        ("unsigned", ["model", "synth", "--preset", "tiny", "-o", os.path.join(tmp, "s.gguf")], "--seed", "7", [], 0),
        ("unsigned", engine + ["-n", "1"], "--seed", "7", [], 0),
        ("unsigned", ["ingest", trace], "--chunk-bytes", "4096", [], 0),
        ("unsigned ranged", ["analyze", trace], "--top", "5", [], None),
        ("unsigned ranged", ["fusion", trace], "--top", "5", [], None),
        ("unsigned ranged", ["sched", os.path.join(tmp, "none.itrace")], "--top", "5", [], None),
        ("int64", engine, "-n", "1", [], 0),
        ("int64", engine + ["-n", "1"], "--ctx", "64", [], 0),
        ("int32", engine + ["-n", "1"], "--top-k", "5", [], 0),
        ("double", engine + ["-n", "1"], "--temp", "0.5", [], 0),
        ("double", engine + ["-n", "1"], "--top-p", "0.9", [], 0),
    ]
    if os.path.exists(SERVE_EXE):
        TABLE += [
            ("unsigned", ["bench", "serve", "--prompt-tokens", "4"], "--seed", "7", [], 2),
            ("int64", ["bench", "serve"], "--prompt-tokens", "4", [], 2),
            ("double", ["bench", "serve"], "--timeout", "5", [], 2),
            # A list option: each element is checked.
            ("double", ["bench", "serve", "--profile", "constant"], "--rate", "1,2", [], 2),
        ]
    else:
        print("note: infertrace-serve not built (no cpp-httplib): bench serve not checked")

    for kind, before, opt, good, after, good_rc in TABLE:
        what = " ".join(before[:2] + [opt])
        bad_values = BAD[kind]
        if opt == "--rate":
            bad_values = [("1," + v, says) for v, says in bad_values if not v.startswith(" ")]
        for bad, says in bad_values:
            r = run(*before, opt, bad, *after)
            check(r.returncode == 2, "%s %r: usage error (2), got %d %r" % (what, bad, r.returncode, r.stderr))
            shown = bad.strip().split(",")[-1]
            check(r.stderr.startswith("infertrace: error: ") and r.stderr.count("\n") == 1 and opt in r.stderr
                  and shown in r.stderr and says in r.stderr,
                  "%s %r: one line naming %s and %s, saying %r, got %r" % (what, bad, opt, shown, says, r.stderr))
        # The same through --opt=VALUE.
        bad = bad_values[0][0]
        r = run(*before, opt + "=" + bad, *after)
        check(r.returncode == 2 and opt in r.stderr, "%s=%s: usage error naming it, got %d %r" % (what, bad, r.returncode, r.stderr))
        # A valid value: accepted (the verb runs, or stops later for a reason not about this option).
        r = run(*before, opt, good, *after)
        if good_rc is not None:
            check(r.returncode == good_rc, "%s %s: exit %d expected, got %d %r" % (what, good, good_rc, r.returncode, r.stderr))
        check(opt not in r.stderr, "%s %s: accepted, got %r" % (what, good, r.stderr))

    # -0 is 0 for an unsigned option, not a negative number: `--seed -0` writes the file of seed 0.
    zero, minus_zero = os.path.join(tmp, "z.gguf"), os.path.join(tmp, "mz.gguf")
    r0 = run("model", "synth", "--preset", "tiny", "--seed", "0", "-o", zero)
    r1 = run("model", "synth", "--preset", "tiny", "--seed", "-0", "-o", minus_zero)
    same = False
    if r0.returncode == 0 and r1.returncode == 0:
        with open(zero, "rb") as a, open(minus_zero, "rb") as b:
            same = a.read() == b.read()
    check(r1.returncode == 0 and same, "model synth --seed -0 = --seed 0: %d %r, same file %s" % (r1.returncode, r1.stderr, same))
    r = run("model", "synth", "--preset", "tiny", "--seed", "-0x1", "-o", minus_zero)
    check(r.returncode == 2 and "decimal digits" in r.stderr, "--seed -0x1 is refused (hex, review CA L6): %r" % r.stderr)

    # Only what the type cannot hold is refused: the largest seed written as a number is still a
    # seed (and it is not the file "-1" used to give: that run is refused above), the largest int64
    # is a context size the verb itself judges, and a subnormal double is a number.
    big = run("model", "synth", "--preset", "tiny", "--seed", "18446744073709551615", "-o", os.path.join(tmp, "big.gguf"))
    check(big.returncode == 0, "model synth --seed 2^64-1 is accepted: %d %r" % (big.returncode, big.stderr))
    r = run(*engine, "-n", "1", "--ctx", "9223372036854775807")
    check(r.returncode != 0 and "out of range" not in r.stderr and "exceeds the model's training context" in r.stderr,
          "engine run --ctx 2^63-1 reaches the verb's own check: %d %r" % (r.returncode, r.stderr))
    r = run(*engine, "-n", "1", "--temp", "1e-310")
    check(r.returncode == 0, "engine run --temp 1e-310 (subnormal) is accepted: %d %r" % (r.returncode, r.stderr))
    # --top-p 1e-50 is in (0, 1] as a double but 0.0f as the sampler's float: refused like 0, one line.
    for tiny_p in ("1e-50", "0"):
        r = run(*engine, "-n", "1", "--top-p", tiny_p)
        check(r.returncode == 2 and "--top-p" in r.stderr and r.stderr.count("\n") == 1,
              "engine run --top-p %s: one-line usage error, got %d %r" % (tiny_p, r.returncode, r.stderr))
    r = run(*engine, "-n", "1", "--top-p", "1e-44")  # 1e-44 is a (subnormal) float above 0
    check(r.returncode == 0, "engine run --top-p 1e-44 is accepted: %d %r" % (r.returncode, r.stderr))
    # float's range is checked by engine run itself (it reads --temp as a double, samples in float).
    r = run(*engine, "-n", "1", "--temp", "1e39")
    check(r.returncode == 2 and "--temp" in r.stderr and "1e+39" in r.stderr and r.stderr.count("\n") == 1,
          "engine run --temp 1e39 (beyond float): one-line usage error, got %d %r" % (r.returncode, r.stderr))

    # A double option with its own CLI::Range (check_range: type name "FLOAT", the bounds in its text) is checked
    # too: NaN passes any range (every comparison with it is false), so only this check refuses it
    # (bench launch-loop --seconds nan never reached its end time).
    for before, opt in ((["bench", "launch-loop"], "--seconds"), (["bench", "interference"], "--warmup")):
        try:
            r = run(*before, opt, "nan", timeout=10)  # refused while parsing: at once
            rc, err = r.returncode, r.stderr
        except subprocess.TimeoutExpired:
            rc, err = None, "still running after 10 s"
        check(rc == 2 and opt in err and "must be a finite number (got nan)" in err,
              "%s %s nan: usage error, got %s %r" % (" ".join(before), opt, rc, err))

    # Help still shows the types as before (the checks add no description to them).
    h = run("model", "synth", "--help")
    check("--seed UINT=42" in h.stdout, "model synth --help: --seed UINT=42 as before: %r" % h.stdout[-600:])
    h = run("engine", "run", "--help")
    check("--temp FLOAT=0 " in h.stdout and "--top-p FLOAT=0.95 " in h.stdout and "--top-k INT=40 " in h.stdout,
          "engine run --help: types and defaults as before: %r" % h.stdout)

# record --duration: 0 is the default (until the command ends), so a negative one is refused as
# negative, not as "not positive" (review UX L7); checked before anything is recorded.
r = run("record", "--duration", "-1", "-o", os.path.join(tempfile.gettempdir(), "never.itrace"), "--", "true")
if run("record", "--help").returncode == 0:  # a build with the record verb
    check(r.returncode == 2 and "--duration must not be negative" in r.stderr and "positive" not in r.stderr,
          "record --duration -1: rc=%d %r" % (r.returncode, r.stderr))

if failures:
    sys.exit(1)
print("ok")
