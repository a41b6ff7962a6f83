"""The command line: `infertrace VERB ...` builds only that verb's options (cli/main.cpp), so every
verb must still parse, show its own help and reject what it rejected before; `infertrace --help`
and a misspelt verb still see every verb."""
import os
import re
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
    # Named even when a required positional, option or subcommand is missing too (review DJ M2:
    # "traces is required" / "A subcommand is required" hid the misspelt option).
    check("--no-such-option-xyz" in bad.stderr, verb + " names the unknown option: " + bad.stderr.strip()[:200])

# An unknown option with its value as a word of its own, before a command after `--`: named, not
# the command's words (review S42 M2: "not expected: hi /bin/echo"); a bare `--` is no option (L1).
for words, want in ((["record", "-o", "x.itrace", "--durration", "1", "--", "/bin/echo", "hi"], "--durration"),
                    (["record", "--bogus", "2", "--", "/bin/echo", "--weird"], "--bogus"),
                    (["analyze", "--json", "--"], "traces is required"),
                    (["sched", "--json", "--"], "input is required")):
    r = run(*words)
    check(r.returncode == 2 and want in r.stderr and "/bin/echo" not in r.stderr,
          " ".join(words) + ": expected exit 2 naming " + want + ", got %d %s" % (r.returncode, r.stderr.strip()[:200]))


def positionals_listed(words):
    """The usage line of `infertrace WORDS --help` names only positionals its Positionals section
    lists (by name, without "[...]"): fusion's hidden catch-all once read "trace [...]" (review UX L3)."""
    h = run(*words, "--help")
    usage = next((l for l in h.stdout.splitlines() if l.startswith("Usage: ")), "")
    tail = usage.split("[OPTIONS]", 1)[-1].split()
    listed = re.findall(r"^  (\S+) ", h.stdout.split("Positionals:", 1)[1], re.M) if "Positionals:" in h.stdout else []
    for word in tail:
        name = word.strip("[]").replace("...", "")
        if name in ("SUBCOMMAND", "SUBCOMMANDS"):
            continue
        check(name in listed, "%s --help: usage word %r is not a listed positional (%s)" % (" ".join(words), word, usage))
    return tail


SUBVERBS = [["model", "synth"], ["model", "info"], ["model", "preset"], ["model", "tokenize"], ["engine", "run"]] + \
    [["bench", b] for b in ("threads", "membw", "launch", "launch-loop", "interference", "serve")]
for words in [[v] for v in VERBS] + SUBVERBS:
    positionals_listed(words)
# What each verb takes, as its usage says it: fusion, sched, export one input; model preset an
# optional name; analyze, sweep, compare, report, ingest one or more (sweep and compare at least two,
# said in the description).
for words, expected in ((["fusion"], ["trace"]), (["sched"], ["input"]), (["export"], ["trace"]),
                        (["model", "info"], ["file"]), (["model", "preset"], ["[name]"]),
                        (["analyze"], ["traces..."]), (["sweep"], ["traces..."]), (["compare"], ["inputs..."])):
    tail = positionals_listed(words)
    check(tail == expected, "%s --help usage: %r, expected %r" % (" ".join(words), tail, expected))
# Each option's type reads as CLI11's plain TEXT, INT, UINT or FLOAT (a range or a set of values is
# said in the option's text): a validator's own text made "--top UINT:INT in [1 - 1000000]=10" and
# "--cuda TEXT:{cupti,uprobe,auto}=auto" (review UX L12).
for words in [[v] for v in VERBS] + SUBVERBS:
    h = run(*words, "--help").stdout
    for m in re.finditer(r"^  (-\S+) ((?:TEXT|INT|UINT|FLOAT)\S*)", h, re.M):
        check(":" not in m.group(2), "%s --help: %s shows a validator's text in its type: %s"
              % (" ".join(words), m.group(1), m.group(0)))
for verb in ("analyze", "sched", "fusion"):
    check(re.search(r"--top UINT=\d+ .*\(1 to 1000000\)", run(verb, "--help").stdout),
          verb + " --help: --top UINT=N with its range in the text")
# A flag that takes one value each time (repeat the flag for more) says "(repeatable)", not CLI11's
# "TEXT ...", which reads as several values after one flag (review FMT L6: `--attach A B` is refused).
for words, flag in ((("export",), "--attach"), (("record",), "--pid"), (("record",), "--lib"),
                    (("sweep",), "--label"), (("sweep",), "--decode-window")):
    line = [ln for ln in run(*words, "--help").stdout.splitlines() if ln.strip().startswith(flag + " ")]
    check(len(line) == 1 and "..." not in line[0].split("  ")[1] and "(repeatable)" in line[0],
          "%s --help: %s %r" % (" ".join(words), flag, line))
check('docs/fusion.md, section "sweep --json"' in run("sweep", "--help").stdout, "sweep --json names its section")
check("at least two" in run("sweep", "--help").stdout, "sweep --help says it needs at least two traces")
check("then one or more scenarios" in run("compare", "--help").stdout, "compare --help says it needs a scenario")

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
