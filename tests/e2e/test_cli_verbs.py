"""The command line: `infertrace VERB ...` builds only that verb's options (cli/main.cpp), so every
verb must still parse, show its own help and reject what it rejected before; `infertrace --help`
and a misspelt verb still see every verb."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import check, failures, run  # noqa: E402

VERBS = ["demo", "analyze", "ingest", "record", "sched", "sweep", "compare", "fusion", "engine", "model",
         "report", "export", "bench"]

top = run("--help")
check(top.returncode == 0, "--help exits 0, got %d" % top.returncode)
for verb in VERBS:
    check(("\n  " + verb + " ") in top.stdout, "--help lists " + verb)
    h = run(verb, "--help")
    check(h.returncode == 0, verb + " --help exits 0, got %d" % h.returncode)
    check(("infertrace " + verb) in h.stdout, verb + " --help shows its usage line: " + h.stdout[:200])
    bad = run(verb, "--no-such-option-xyz")
    check(bad.returncode == 2, verb + " rejects an unknown option as a usage error (2), got %d" % bad.returncode)

# record: `--lib`/`--pid` take one value each, so the `--` after them still starts the command and
# the command's own options are not read as record's (`--lib X -- sh -c CMD` was "unknown option -c").
# With --pid as well, the parse gets as far as record's own check (either --pid or a command).
both = run("record", "--pid", "1", "--lib", "/nonexistent/libcuda.so", "--", "sh", "-c", "true")
check(both.returncode == 2 and "either --pid" in both.stderr and "unknown option" not in both.stderr,
      "record --pid P --lib X -- sh -c: %d %s" % (both.returncode, both.stderr.strip()))

# record --expected-rate sizes buffers through a cast from double: a value that is not a positive
# rate is refused before anything is loaded (it was accepted, the cast undefined).
for rate in ("-5", "0", "nan", "1e30"):
    r = run("record", "--expected-rate", rate, "--", "true")
    check(r.returncode == 2 and "--expected-rate" in r.stderr, "record --expected-rate %s: %d %s" % (rate, r.returncode, r.stderr))

# A misspelt verb: a usage error that points at --help, with every verb still known.
miss = run("analyse", "trace.json")
check(miss.returncode == 2, "a misspelt verb is a usage error (2), got %d" % miss.returncode)
check("--help" in miss.stderr, "a misspelt verb points at --help: " + miss.stderr[:200])
check("unknown verb 'analyse'" in miss.stderr and "analyze" in miss.stderr,
      "a misspelt verb is named, with the verbs there are: " + miss.stderr[:300])
# Errors the option parser finds read like every other error: one line, "infertrace: error: ...".
for args in (["analyze", "x.json", "--top", "-1"], ["analyze"], ["model", "tokenize", "-m", "x", "-p", "a", "--batch", "b"],
             ["record", "--cuda", "foo", "--", "true"], ["engine"]):
    r = run(*args)
    check(r.returncode == 2 and r.stderr.startswith("infertrace: error: ") and r.stderr.count("\n") == 1,
          "%s: one-line usage error, got %d %r" % (" ".join(args), r.returncode, r.stderr))
ver = run("--version")
check(ver.returncode == 0 and ver.stdout.startswith("infertrace "), "--version: " + ver.stdout[:80])

if failures:
    print("\n".join("FAIL: " + f for f in failures))
    sys.exit(1)
print("ok")
