#!/usr/bin/env python3
"""Mutation check: do the tests notice a plausible bug?

Each mutant in a list file changes one exact piece of one source file (a `<` made `<=`, a field
swapped, a clip dropped). For every mutant this script applies the change, rebuilds the dev build,
runs the tests named by the mutant's ctest regex, and restores the file. A mutant is

  killed    a test failed (what we want);
  survived  the build passed and every selected test passed: a bug the tests cannot see, or an
            equivalent change (the list file says which, in a comment);
  invalid   the mutant did not compile (says nothing about the tests);
  stale     the search text is not in the file exactly once (the code moved on: update the list).

List file format (docs/testing.md): one mutant per line, fields separated by TABs:

  ID <TAB> PATH <TAB> SEARCH <TAB> REPLACE <TAB> CTEST_REGEX

PATH is relative to the repository root; SEARCH and REPLACE are literal text (\\t and \\n escapes
allowed); lines starting with '#' and blank lines are ignored. Not run by CI (each mutant is a
rebuild): run it after changing an analysis, e.g.

  scripts/mutation_check.py tests/mutants/kineto_analysis.tsv
  scripts/mutation_check.py tests/mutants/kineto_analysis.tsv --only launch-07,launch-08

It needs a configured dev build (cmake --preset dev). The working tree's file is restored after
each mutant, also when the script is interrupted.
"""
import argparse
import os
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def unescape(s):
    return s.replace("\\t", "\t").replace("\\n", "\n").replace("\\\\", "\\")


def read_mutants(path):
    mutants = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            fields = line.split("\t")
            if len(fields) != 5:
                sys.exit(f"{path}:{lineno}: expected 5 TAB-separated fields, found {len(fields)}")
            mid, rel, search, replace, regex = fields
            if not search:
                sys.exit(f"{path}:{lineno}: empty search text")
            mutants.append(dict(id=mid.strip(), path=rel.strip(), search=unescape(search),
                                replace=unescape(replace), regex=regex.strip(), line=lineno))
    ids = [m["id"] for m in mutants]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        sys.exit(f"{path}: duplicate mutant ids: {', '.join(sorted(dup))}")
    return mutants


def run(cmd, timeout):
    """Runs cmd in ROOT; returns (exit code, combined output). A timeout counts as a failure."""
    try:
        p = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout, text=True, errors="replace")
        return p.returncode, p.stdout
    except subprocess.TimeoutExpired as e:
        out = e.stdout if isinstance(e.stdout, str) else (e.stdout or b"").decode("utf-8", "replace")
        return 124, out + f"\n(timed out after {timeout} s)"


def failed_tests(ctest_output):
    names = []
    for line in ctest_output.splitlines():
        # ctest's summary lists failures as "  12 - name (Failed)" after "The following tests FAILED:"
        line = line.strip()
        if " - " in line and line.endswith(")") and line.split(" ", 1)[0].isdigit():
            names.append(line.split(" - ", 1)[1].rsplit(" (", 1)[0])
    return names


def check(m, args):
    path = os.path.join(ROOT, m["path"])
    try:
        with open(path, encoding="utf-8") as f:
            original = f.read()
    except OSError as e:
        return "stale", str(e)
    if original.count(m["search"]) != 1:
        return "stale", f"search text found {original.count(m['search'])} times in {m['path']}"
    mutated = original.replace(m["search"], m["replace"], 1)

    def restore(*_):
        with open(path, "w", encoding="utf-8") as f:
            f.write(original)

    old_int = signal.signal(signal.SIGINT, lambda *a: (restore(), sys.exit(130)))
    old_term = signal.signal(signal.SIGTERM, lambda *a: (restore(), sys.exit(143)))
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(mutated)
        rc, out = run(["cmake", "--build", "--preset", "dev", "-j", str(args.jobs)], args.build_timeout)
        if rc != 0:
            return "invalid", out.strip().splitlines()[-1] if out.strip() else "build failed"
        rc, out = run(["ctest", "--preset", "dev", "-j", str(args.jobs), "--timeout",
                       str(args.test_timeout), "-R", m["regex"]], args.build_timeout)
        if "No tests were found" in out:
            return "stale", f"ctest regex {m['regex']!r} selects no test"
        if rc != 0:
            names = failed_tests(out)
            return "killed", ", ".join(names[:4]) + (" ..." if len(names) > 4 else "")
        return "survived", ""
    finally:
        restore()
        signal.signal(signal.SIGINT, old_int)
        signal.signal(signal.SIGTERM, old_term)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("list", help="mutant list file (TSV, see the script's header)")
    ap.add_argument("--only", help="comma-separated mutant ids to run")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--build-timeout", type=int, default=1800, help="seconds for a build or a test run")
    ap.add_argument("--test-timeout", type=int, default=300, help="ctest --timeout per test")
    args = ap.parse_args()

    mutants = read_mutants(args.list)
    if args.only:
        wanted = set(args.only.split(","))
        unknown = wanted - {m["id"] for m in mutants}
        if unknown:
            sys.exit(f"unknown mutant ids: {', '.join(sorted(unknown))}")
        mutants = [m for m in mutants if m["id"] in wanted]
    if not os.path.isdir(os.path.join(ROOT, "build", "dev")):
        sys.exit("no dev build: run `cmake --preset dev` first")

    # The unmutated tree must build and pass the selected tests, or every mutant reads "killed".
    rc, out = run(["cmake", "--build", "--preset", "dev", "-j", str(args.jobs)], args.build_timeout)
    if rc != 0:
        sys.exit("the unmutated tree does not build:\n" + out[-2000:])
    # One ctest run per distinct regex, not one run of their union: ctest's regular expressions
    # (cmsys) allow at most 9 parenthesised groups, so a union of a dozen mutants' regexes does not
    # compile ("Too many parentheses") and selects no test.
    for regex in dict.fromkeys(m["regex"] for m in mutants):
        rc, out = run(["ctest", "--preset", "dev", "-j", str(args.jobs), "--timeout", str(args.test_timeout),
                       "-R", regex], args.build_timeout)
        if rc != 0 or "No tests were found" in out:
            sys.exit(f"the unmutated tree fails the tests of {regex!r} (or it selects none): "
                     + (", ".join(failed_tests(out)) or out.strip()[-500:]))

    counts = {}
    for m in mutants:
        t0 = time.time()
        verdict, detail = check(m, args)
        counts[verdict] = counts.get(verdict, 0) + 1
        print(f"{m['id']:<24} {verdict:<8} {time.time() - t0:6.0f} s  {m['path']}  {detail}", flush=True)
    # Leave the build matching the restored sources.
    run(["cmake", "--build", "--preset", "dev", "-j", str(args.jobs)], args.build_timeout)
    print("; ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    return 1 if counts.get("survived") or counts.get("stale") else 0


if __name__ == "__main__":
    sys.exit(main())
