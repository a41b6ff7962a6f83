"""`--` in the verbs that take several inputs (analyze, compare, ingest, report, sweep) ends the
options: inputs may come before and after it, in the order given, and a word after it is an input
even when it starts with '-' (review S42 L7: `analyze --json A -- B` said "The following argument
was not expected: B", `analyze A -- --json` the same of --json). Run on the H100 fixtures
(../shared/fixtures/kineto-h100; skipped, exit 77, without them). Each expectation is the same verb
run without `--` (the form that always worked) or on one file at a time."""
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import h100_fixtures, as_json, check, failures, run, skip  # noqa: E402

fixtures = h100_fixtures()
if fixtures is None:
    skip("no ../shared/fixtures/kineto-h100")
A, B, C = (os.path.join(fixtures, "gpt2_prefill_bs%d.json.gz" % bs) for bs in (1, 2, 4))


def run_in(cwd, *args):
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return run(*args)
    finally:
        os.chdir(old)


def ok(r, what):
    check(r.returncode == 0, "%s: exit %d, %s" % (what, r.returncode, r.stderr.strip()[-300:]))
    return r.returncode == 0


def without_timings(doc):
    """`doc` less its measured times (ingest's read_seconds), which differ from run to run."""
    if isinstance(doc, dict):
        return {k: without_timings(v) for k, v in doc.items() if not k.endswith("_seconds")}
    if isinstance(doc, list):
        return [without_timings(v) for v in doc]
    return doc


def without_file(d):
    return {k: v for k, v in d.items() if k not in ("file", "kind", "schema_version")}


with tempfile.TemporaryDirectory() as tmp:
    # Files whose names start with '-', readable only after `--` (or as ./-NAME).
    shutil.copy(B, os.path.join(tmp, "-b.json.gz"))
    shutil.copy(B, os.path.join(tmp, "--json"))

    # analyze: one input on each side; each trace's figures are those of analyzing it alone.
    alone = {}
    for name, path in (("a", A), ("b", B)):
        r = run("analyze", "--json", path)
        if ok(r, "analyze --json " + name):
            alone[name] = without_file(as_json(r, "analyze " + name))
    r = run_in(tmp, "analyze", "--json", A, "--", "-b.json.gz")
    if ok(r, "analyze --json A -- -b.json.gz") and len(alone) == 2:
        traces = as_json(r, "analyze A -- -b").get("traces", [])
        check([t.get("file") for t in traces] == [A, "-b.json.gz"],
              "analyze A -- -b: files %r" % [t.get("file") for t in traces])
        for t, want in zip(traces, ("a", "b")):
            # (the multi-trace document lists per-trace tables under its own keys: the scalars must agree)
            got = {k: v for k, v in without_file(t).items() if not isinstance(v, (dict, list))}
            exp = {k: v for k, v in alone[want].items() if not isinstance(v, (dict, list)) and k in got}
            check(got == exp and len(got) > 10, "analyze A -- -b: trace %s differs from analyzing it alone" % want)
    # order as given: two before, none after; one before, two after
    r1 = run("analyze", "--json", B, A, "--")
    r2 = run("analyze", "--json", B, "--", A, C)
    if ok(r1, "analyze B A --") and ok(r2, "analyze B -- A C"):
        check([t.get("file") for t in as_json(r1, "r1").get("traces", [])] == [B, A], "analyze B A --: order")
        check([t.get("file") for t in as_json(r2, "r2").get("traces", [])] == [B, A, C], "analyze B -- A C: order")

    # `--json` after `--` is a file, not the flag: tables, two sections, the second of the file --json.
    r = run_in(tmp, "analyze", A, "--", "--json")
    if ok(r, "analyze A -- --json"):
        check(not r.stdout.lstrip().startswith("{"), "analyze A -- --json printed JSON: the flag was taken")
        sections = [ln for ln in r.stdout.splitlines() if ln.startswith("Launch and queue summary (")]
        check(sections == ["Launch and queue summary (%s)" % A, "Launch and queue summary (--json)"],
              "analyze A -- --json: sections %r" % sections)

    # compare, sweep, ingest: the same document as without `--`.
    for verb, args in (("compare", [A, B, C]), ("sweep", [A, B, C]), ("ingest", [A, B])):
        plain = run(verb, "--json", *args)
        dashed = run(verb, "--json", args[0], "--", *args[1:])
        if ok(plain, verb + " --json") and ok(dashed, verb + " --json A -- ..."):
            check(without_timings(as_json(plain, verb)) == without_timings(as_json(dashed, verb + " --")), verb + ": `A -- B ...` differs from `A B ...`")
    r = run_in(tmp, "compare", "--json", A, "--", "-b.json.gz")
    if ok(r, "compare A -- -b.json.gz"):
        names = [s.get("name") for s in as_json(r, "compare -b").get("scenarios", [])]
        check(names == ["gpt2_prefill_bs1", "-b"], "compare A -- -b.json.gz: names %r" % names)

    # report: the same page and findings as without `--`.
    out1, out2 = os.path.join(tmp, "r1.html"), os.path.join(tmp, "r2.html")
    plain = run("report", "-o", out1, A, B)
    dashed = run("report", "-o", out2, A, "--", B)
    if ok(plain, "report A B") and ok(dashed, "report A -- B"):
        with open(out1, "rb") as f1, open(out2, "rb") as f2:
            check(f1.read() == f2.read(), "report A -- B: page differs from report A B")
        check(plain.stdout.replace(out1, "OUT") == dashed.stdout.replace(out2, "OUT"), "report A -- B: findings differ")

    # Still refused: an unknown option before `--`, and no input at all.
    r = run("analyze", "--bogus", A, "--", B)
    check(r.returncode == 2 and "--bogus" in r.stderr, "analyze --bogus A -- B: exit %d %r" % (r.returncode, r.stderr))
    r = run("analyze", "--json", "--")
    check(r.returncode == 2 and "required" in r.stderr, "analyze --json --: exit %d %r" % (r.returncode, r.stderr))

if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("ok")
