#!/usr/bin/env python3
"""Mutation check: do the tests notice a plausible bug?

Each mutant in a list file changes one exact piece of one source file (a `<` made `<=`, a field
swapped, a clip dropped). For every mutant this script applies the change, rebuilds the dev build,
runs the tests named by the mutant's ctest regex, and restores the file. A mutant is

  killed      a test failed (what we want);
  survived    the build passed and every selected test passed: a bug the tests cannot see;
  equivalent  it survived, and the list marks it as a change no test can see (below);
  invalid     the mutant did not compile (says nothing about the tests: fix the list);
  stale       the search text is not in the file exactly once (the code moved on: update the list).

List file format (docs/testing.md): one mutant per line, fields separated by TABs:

  ID <TAB> PATH <TAB> SEARCH <TAB> REPLACE <TAB> CTEST_REGEX

PATH is relative to the repository root; SEARCH and REPLACE are literal text (\\t and \\n escapes
allowed); lines starting with '#' and blank lines are ignored, except a comment line
`# ID: EQUIVALENT ...`, which marks mutant ID as equivalent (the rest of the comment says why).
Not run by CI (each mutant is a rebuild): run it as root (the e2e tests that record with eBPF skip
otherwise, and a skipped test notices nothing: skipped tests are listed) after changing an
analysis, e.g.

  scripts/mutation_check.py tests/mutants/kineto_analysis.tsv
  scripts/mutation_check.py tests/mutants/kineto_analysis.tsv --only launch-07,launch-08

Exit status: 0 when every mutant is killed or equivalent; 1 when one survived, is stale or
does not compile; 2 when the check could not start (bad list, no build, a failing or empty test
selection, uncommitted changes in a file to mutate). It needs a configured dev build (cmake --preset dev).
The working tree's file is restored after each mutant, also when the script is interrupted
(SIGINT, SIGTERM, SIGHUP; the build or test run in progress is stopped with it).
"""
import argparse
import os
import re
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAX_GROUPS = 9  # CMake's regular expressions (cmsys) compile at most 9 parenthesised groups

# What an interruption must undo: the child process group in flight and the mutated file.
_child = None
_restore = None


def die(msg):
    print(f"mutation_check: {msg}", file=sys.stderr)
    sys.exit(2)


def stop_group(child):
    """Stops child's whole process group: SIGTERM first, which ninja passes on to the compilers and
    linkers it runs in process groups of their own (SIGKILL would orphan them), then SIGKILL to
    whatever of the group is left after 10 s. Returns when no process of the group remains."""
    pgid = child.pid
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        deadline = time.time() + 10
        while time.time() < deadline:
            child.poll()  # reaps the leader: a zombie would still count as a member of the group
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)


def on_signal(signum, _frame):
    if _child is not None and _child.poll() is None:
        stop_group(_child)
    if _restore is not None:
        _restore()
    sys.exit(128 + signum)


def unescape(s):
    """\\t, \\n and \\\\ in one left-to-right pass (so \\\\n is a backslash and an n)."""
    return re.sub(r"\\([tn\\])", lambda m: {"t": "\t", "n": "\n", "\\": "\\"}[m.group(1)], s)


def read_mutants(path):
    mutants, equivalent = [], set()
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
    except (OSError, UnicodeDecodeError) as e:
        die(f"cannot read the list {path}: {e}")
    for lineno, line in enumerate(lines, 1):
        if line.lstrip().startswith("#"):
            marked = re.match(r"\s*#\s*(\S+):\s*EQUIVALENT\b", line)
            if marked:
                equivalent.add(marked.group(1))
            continue
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 5:
            die(f"{path}:{lineno}: expected 5 TAB-separated fields, found {len(fields)}")
        mid, rel, search, replace, regex = fields
        if not search:
            die(f"{path}:{lineno}: empty search text")
        mutants.append(dict(id=mid.strip(), path=rel.strip(), search=unescape(search),
                            replace=unescape(replace), regex=regex.strip(), line=lineno))
    ids = [m["id"] for m in mutants]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        die(f"{path}: duplicate mutant ids: {', '.join(sorted(dup))}")
    unknown = equivalent - set(ids)
    if unknown:
        die(f"{path}: EQUIVALENT marks for no mutant: {', '.join(sorted(unknown))}")
    for m in mutants:
        m["equivalent"] = m["id"] in equivalent
    return mutants


def run(cmd, timeout):
    """Runs cmd in ROOT in its own process group; returns (exit code, combined output). On a
    timeout the whole group (ninja, compilers, tests) is killed and the exit code is 124."""
    global _child
    _child = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, errors="replace", start_new_session=True)
    try:
        out, _ = _child.communicate(timeout=timeout)
        return _child.returncode, out
    except subprocess.TimeoutExpired:
        stop_group(_child)
        out, _ = _child.communicate()
        return 124, (out or "") + f"\n(timed out after {timeout} s)"
    finally:
        _child = None


def ctest_summary(out):
    """(failed, skipped) test names from ctest's closing lists, "  12 - name (Failed)" under
    "The following tests FAILED:" and "  7 - name (Skipped)" under "... did not run:"."""
    failed, skipped, section = [], [], None
    for line in out.splitlines():
        s = line.strip()
        if s.startswith("The following tests FAILED"):
            section = failed
        elif s.startswith("The following tests did not run"):
            section = skipped
        elif section is not None and " - " in s and s.endswith(")") and s.split(" ", 1)[0].isdigit():
            section.append(s.split(" - ", 1)[1].rsplit(" (", 1)[0])
        elif section is not None and s and not s[0].isdigit():
            section = None
    return failed, skipped


def top_level_alternatives(regex):
    """regex split at the '|' outside any parentheses and brackets (each must select a test of
    its own; an empty one would select every test)."""
    parts, depth, cur, i, in_class = [], 0, "", 0, False
    while i < len(regex):
        c = regex[i]
        if c == "\\" and i + 1 < len(regex):
            cur += regex[i:i + 2]
            i += 2
            continue
        if in_class:
            in_class = c != "]" or cur.endswith("[") or cur.endswith("[^")  # "[]...]" holds a "]"
        elif c == "[":
            in_class = True
        elif c in "()":
            depth += 1 if c == "(" else -1
        if c == "|" and depth == 0 and not in_class:
            parts.append(cur)
            cur = ""
        else:
            cur += c
        i += 1
    return parts + [cur]


def groups_in(regex):
    return len(re.findall(r"(?<!\\)\(", regex))


def regex_unions(regexes):
    """The distinct regexes joined with '|' (no parentheses needed: '|' binds loosest), filled
    greedily up to MAX_GROUPS groups per union."""
    unions, current, groups = [], [], 0
    for r in dict.fromkeys(regexes):
        n = groups_in(r)
        if current and groups + n > MAX_GROUPS:
            unions.append("|".join(current))
            current, groups = [], 0
        current.append(r)
        groups += n
    if current:
        unions.append("|".join(current))
    return unions


def ctest(regex, args):
    return run(["ctest", "--preset", "dev", "-j", str(args.jobs), "--timeout", str(args.test_timeout),
                "-R", regex], args.build_timeout)


def check(m, args):
    global _restore
    path = os.path.join(ROOT, m["path"])
    try:
        with open(path, encoding="utf-8") as f:
            original = f.read()
    except OSError as e:
        return "stale", str(e)
    if original.count(m["search"]) != 1:
        return "stale", f"search text found {original.count(m['search'])} times in {m['path']}"
    mutated = original.replace(m["search"], m["replace"], 1)

    def restore():
        with open(path, "w", encoding="utf-8") as f:
            f.write(original)

    _restore = restore
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(mutated)
        rc, out = run(["cmake", "--build", "--preset", "dev", "-j", str(args.jobs)], args.build_timeout)
        if rc != 0:
            return "invalid", out.strip().splitlines()[-1] if out.strip() else "build failed"
        rc, out = ctest(m["regex"], args)
        failed, skipped = ctest_summary(out)
        if "No tests were found" in out:
            return "stale", f"ctest regex {m['regex']!r} selects no test"
        if rc != 0:
            return "killed", ", ".join(failed[:4]) + (" ..." if len(failed) > 4 else "")
        note = f"({len(skipped)} selected tests skipped: {', '.join(skipped[:3])})" if skipped else ""
        return ("equivalent" if m["equivalent"] else "survived"), note
    finally:
        restore()
        _restore = None


def check_setup(mutants, args):
    """Everything that would make the verdicts meaningless, said before any mutant runs."""
    if not os.path.isdir(os.path.join(ROOT, "build", "dev")):
        die("no dev build: run `cmake --preset dev` first")
    for path in sorted({m["path"] for m in mutants}):
        # A mutant restores the file it read: uncommitted edits would survive, but a crash of this
        # script between write and restore would then lose them.
        if subprocess.run(["git", "diff", "--quiet", "HEAD", "--", path], cwd=ROOT).returncode != 0:
            die(f"{path} has uncommitted changes: commit or stash them first")
    # Built first: the unit tests are listed by gtest_discover_tests after their build, so before
    # it `ctest -N` knows none of them. The unmutated tree must build and pass the selected tests,
    # or every mutant reads "killed".
    rc, out = run(["cmake", "--build", "--preset", "dev", "-j", str(args.jobs)], args.build_timeout)
    if rc != 0:
        die("the unmutated tree does not build:\n" + out[-2000:])
    for regex in dict.fromkeys(m["regex"] for m in mutants):
        ids = ", ".join([m["id"] for m in mutants if m["regex"] == regex][:3])
        if groups_in(regex) > MAX_GROUPS:
            die(f"the ctest regex of {ids} has more than {MAX_GROUPS} groups (CMake cannot compile it)")
        for alt in top_level_alternatives(regex):
            if not alt:
                die(f"the ctest regex of {ids} has an empty alternative (it would select every test)")
            rc, out = run(["ctest", "--preset", "dev", "-N", "-R", alt], args.build_timeout)
            if rc != 0 or "Total Tests: 0" in out:
                die(f"{alt!r} (in the ctest regex of {ids}) selects no test")
    for union in regex_unions([m["regex"] for m in mutants]):
        rc, out = ctest(union, args)
        failed, skipped = ctest_summary(out)
        if rc != 0:
            die("the unmutated tree fails selected tests: " + (", ".join(failed) or out.strip()[-500:]))
        if skipped:
            print(f"mutation_check: skipped, so they notice nothing (root? a GPU?): {', '.join(skipped)}",
                  file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("list", help="mutant list file (TSV, see the script's header)")
    ap.add_argument("--only", help="comma-separated mutant ids to run")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--build-timeout", type=int, default=1800, help="seconds for a build or a test run")
    ap.add_argument("--test-timeout", type=int, default=300, help="ctest --timeout per test")
    args = ap.parse_args()
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, on_signal)

    mutants = read_mutants(args.list)
    if args.only:
        wanted = set(args.only.split(","))
        unknown = wanted - {m["id"] for m in mutants}
        if unknown:
            die(f"unknown mutant ids: {', '.join(sorted(unknown))}")
        mutants = [m for m in mutants if m["id"] in wanted]
    check_setup(mutants, args)

    counts = {}
    for m in mutants:
        t0 = time.time()
        verdict, detail = check(m, args)
        counts[verdict] = counts.get(verdict, 0) + 1
        print(f"{m['id']:<24} {verdict:<10} {time.time() - t0:6.0f} s  {m['path']}  {detail}", flush=True)
    # Leave the build matching the restored sources.
    run(["cmake", "--build", "--preset", "dev", "-j", str(args.jobs)], args.build_timeout)
    print("; ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    # An invalid mutant is a defect of the list (a plausible bug compiles), like a stale one.
    return 1 if counts.get("survived") or counts.get("stale") or counts.get("invalid") else 0


if __name__ == "__main__":
    sys.exit(main())
