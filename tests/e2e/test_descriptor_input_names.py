"""How `compare` and `report` name an input that is an inherited descriptor, what the shell's
<(...) hands a verb (review S42 L8: /dev/fd/63 was named "63", its file name): "input N" after its
place among the inputs, with a note on stderr that NAME=PATH names it; NAME=PATH itself, now in
`report` too; a plain file whose path merely looks like one (DIR/fd/7) keeps its file name. Run
through bash's own process substitution and /proc/self/fd/N of a pipe, on the H100 fixtures
(../shared/fixtures/kineto-h100; skipped, exit 77, without them). The expected documents are the
same verb's on the plain files, with the names this test expects put in."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import h100_fixtures, EXE, as_json, check, failures, run, skip  # noqa: E402

fixtures = h100_fixtures()
if fixtures is None:
    skip("no ../shared/fixtures/kineto-h100")
if shutil.which("bash") is None or shutil.which("zcat") is None:
    skip("no bash or zcat for <(...)")
A, B = (os.path.join(fixtures, "gpt2_prefill_bs%d.json.gz" % bs) for bs in (1, 2))
STEM = {A: "gpt2_prefill_bs1", B: "gpt2_prefill_bs2"}


def bash(script, *args):
    """`script` under bash with $X the binary and $1.. `args` (so <(...) is bash's own)."""
    return subprocess.run(["bash", "-c", script, "bash", *args], capture_output=True, text=True, errors="replace",
                          timeout=600, env=dict(os.environ, X=EXE))


def ok(r, what):
    check(r.returncode == 0, "%s: exit %d, %s" % (what, r.returncode, r.stderr.strip()[-300:]))
    return r.returncode == 0


def without_sources(doc):
    if isinstance(doc, dict):
        return {k: without_sources(v) for k, v in doc.items() if k != "source"}
    if isinstance(doc, list):
        return [without_sources(v) for v in doc]
    return doc


def renamed(doc, names):
    """`doc` (sources dropped) with each file stem replaced by the name `names` gives it."""
    text = json.dumps(without_sources(doc), sort_keys=True)
    for old, new in names.items():
        text = text.replace(old, new)
    return json.loads(text)


def notes(stderr):
    return [ln for ln in stderr.splitlines() if "its place among the inputs" in ln]


plain = run("compare", "--json", A, B)
if ok(plain, "compare --json A B"):
    base = as_json(plain, "compare A B")

    # Both inputs through <(...): "input 1" (the baseline) and "input 2", one note each.
    r = bash('"$X" compare --json <(zcat "$1") <(zcat "$2")', A, B)
    if ok(r, "compare <(A) <(B)"):
        got = as_json(r, "compare <(A) <(B)")
        check(got.get("baseline") == "input 1", "compare <(A) <(B): baseline %r" % got.get("baseline"))
        check(without_sources(got) == renamed(base, {STEM[A]: "input 1", STEM[B]: "input 2"}),
              "compare <(A) <(B): not compare A B with the names input 1, input 2")
        sources = [s.get("source", "") for s in got.get("scenarios", [])]
        n = notes(r.stderr)
        check(len(n) == 2 and all(n[i].startswith("compare: %s is named 'input %d'" % (sources[i], i + 1))
                                  and "NAME=PATH" in n[i] for i in range(min(2, len(n), len(sources)))),
              "compare <(A) <(B): notes %r for sources %r" % (n, sources))
        check(all(s.startswith("/dev/fd/") for s in sources), "compare <(A) <(B): sources %r" % sources)

    # NAME=<(...) is named NAME and gets no note; the other keeps its place name.
    r = bash('"$X" compare --json "$1" base=<(zcat "$2")', A, B)
    if ok(r, "compare A base=<(B)"):
        got = as_json(r, "compare A base=<(B)")
        check(without_sources(got) == renamed(base, {STEM[B]: "base"}), "compare A base=<(B): names")
        check(notes(r.stderr) == [], "compare A base=<(B): notes %r" % notes(r.stderr))

    # /proc/self/fd/N of a pipe (as /dev/stdin would be, but by number): "input 2".
    rfd, wfd = os.pipe()

    def feed():
        with open(B, "rb") as f, os.fdopen(wfd, "wb") as w:
            shutil.copyfileobj(f, w)

    t = threading.Thread(target=feed)
    t.start()
    r = subprocess.run([EXE, "compare", "--json", A, "/proc/self/fd/%d" % rfd], capture_output=True, text=True,
                       errors="replace", timeout=600, pass_fds=(rfd,))
    os.close(rfd)
    t.join()
    if ok(r, "compare A /proc/self/fd/N"):
        check(without_sources(as_json(r, "compare A /proc/self/fd/N")) == renamed(base, {STEM[B]: "input 2"}),
              "compare A /proc/self/fd/N: names")
        check(len(notes(r.stderr)) == 1, "compare A /proc/self/fd/N: notes %r" % notes(r.stderr))

with tempfile.TemporaryDirectory() as tmp:
    # A plain file in a folder called fd, named by a number: its file name, no note.
    os.makedirs(os.path.join(tmp, "dev", "fd"))
    seven = os.path.join(tmp, "dev", "fd", "7")
    shutil.copy(B, seven)
    r = run("compare", "--json", A, seven)
    if ok(r, "compare A DIR/dev/fd/7"):
        names = [s.get("name") for s in as_json(r, "compare A DIR/fd/7").get("scenarios", [])]
        check(names == [STEM[A], "7"] and notes(r.stderr) == [], "compare A DIR/dev/fd/7: names %r" % names)

    # report: the findings of `report A B` under the names input 1 and b2 (NAME=PATH, new in report).
    out1, out2, out3 = (os.path.join(tmp, "r%d.html" % i) for i in (1, 2, 3))
    plain = run("report", "-o", out1, A, B)
    r = bash('"$X" report -o "$3" <(zcat "$1") b2=<(zcat "$2")', A, B, out2)
    if ok(plain, "report A B") and ok(r, "report <(A) b2=<(B)"):
        want = plain.stdout.replace(out1, "OUT").replace(os.path.basename(A), "input 1").replace(os.path.basename(B), "b2")
        check(r.stdout.replace(out2, "OUT") == want, "report <(A) b2=<(B): findings\n%s\nwant\n%s" % (r.stdout, want))
        check(any(ln.startswith("- input 1: ") for ln in r.stdout.splitlines())
              and any(ln.startswith("- b2: ") for ln in r.stdout.splitlines()), "report: names in %r" % r.stdout)
        n = notes(r.stderr)
        check(len(n) == 1 and n[0].startswith("report: /dev/fd/") and "'input 1'" in n[0] and "NAME=PATH" in n[0],
              "report <(A) b2=<(B): notes %r" % n)
        with open(out2, encoding="utf-8") as f:
            page = f.read()
        check("<li>input 1: " in page and "<li>b2: " in page, "report page: findings not under input 1 and b2")
    # NAME=PATH on a plain file, and NAME= alone refused.
    r = run("report", "-o", out3, "first=" + A, B)
    if ok(r, "report first=A B"):
        check(any(ln.startswith("- first: ") for ln in r.stdout.splitlines()), "report first=A: %r" % r.stdout)
    r = run("report", "-o", out3, "first=", B)
    check(r.returncode == 2 and "names no file" in r.stderr, "report first= B: exit %d %r" % (r.returncode, r.stderr))

if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("ok")
