"""`analyze --csv DIR` replaces its tables as one set, as `export --csv` does (review BK item 3):
a directory in the way of a table, and a DIR that cannot be made, are refused before any trace is
read and before any table is written (summary.csv and apis.csv used to be replaced before
kernels.csv failed, leaving tables of two runs side by side); a write that fails part-way leaves
every table of the directory as it was; a DIR this run created is removed again when it fails;
a host table of an earlier run that this run has no rows for does not stay beside the new set."""
import os
import resource
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import EXE, check, failures, run  # noqa: E402

trace = os.path.join(os.environ["INFERTRACE_SOURCE_DIR"], "examples", "traces", "gpt2_prefill_bs1.json.gz")


def listing(d):
    return sorted(os.listdir(d))


def contents(d):
    return {n: open(os.path.join(d, n), "rb").read() for n in os.listdir(d) if os.path.isfile(os.path.join(d, n))}


with tempfile.TemporaryDirectory() as tmp:
    # A directory where kernels.csv goes: refused before anything is written, and before the trace
    # is read (a missing trace would say so first otherwise).
    out = os.path.join(tmp, "in-the-way")
    os.makedirs(os.path.join(out, "kernels.csv"))
    with open(os.path.join(out, "summary.csv"), "w") as f:
        f.write("an earlier summary\n")
    r = run("analyze", os.path.join(tmp, "no-such-trace.json"), "--csv", out)
    check(r.returncode == 1 and "kernels.csv" in r.stderr and "directory is in the way" in r.stderr,
          "directory in the way, checked before the trace: rc %d: %s" % (r.returncode, r.stderr.strip()[-300:]))
    r = run("analyze", trace, "--csv", out)
    check(r.returncode == 1 and "kernels.csv" in r.stderr and "nothing was replaced" in r.stderr,
          "directory in the way: rc %d: %s" % (r.returncode, r.stderr.strip()[-300:]))
    check(listing(out) == ["kernels.csv", "summary.csv"], "directory in the way: the directory now holds %s" % listing(out))
    check(contents(out).get("summary.csv") == b"an earlier summary\n", "directory in the way: summary.csv was replaced")

    # A DIR under a file: refused before the trace is read.
    with open(os.path.join(tmp, "a-file"), "w") as f:
        f.write("x")
    r = run("analyze", os.path.join(tmp, "no-such-trace.json"), "--csv", os.path.join(tmp, "a-file", "tables"))
    check(r.returncode == 1 and "--csv" in r.stderr and "is not a directory" in r.stderr,
          "DIR under a file: rc %d: %s" % (r.returncode, r.stderr.strip()[-300:]))

    # A write that fails part-way (EFBIG from a file size limit, as a full disk would) after
    # summary.csv was complete: no table of the earlier set changes, none is added.
    def limit_file_size():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # write() fails with EFBIG instead of killing
        resource.setrlimit(resource.RLIMIT_FSIZE, (3000, 3000))  # above summary.csv, below kernels.csv

    out = os.path.join(tmp, "limited")
    os.makedirs(out)
    for n in ("summary.csv", "apis.csv", "kernels.csv"):
        with open(os.path.join(out, n), "w") as f:
            f.write("earlier " + n + "\n")
    before = contents(out)
    r = subprocess.run([EXE, "analyze", trace, "--csv", out], capture_output=True, text=True, timeout=600,
                       preexec_fn=limit_file_size)
    check(r.returncode == 1, "past a file size limit: rc %d: %s" % (r.returncode, r.stderr.strip()[-300:]))
    check(contents(out) == before, "past a file size limit: the set changed to %s" % listing(out))

    # The same failure into a DIR this run creates: DIR goes again, and the message says so.
    out = os.path.join(tmp, "made", "tables")
    r = subprocess.run([EXE, "analyze", trace, "--csv", out], capture_output=True, text=True, timeout=600,
                       preexec_fn=limit_file_size)
    check(r.returncode == 1 and "removed the outputs this analyze run had written" in r.stderr,
          "created DIR, failed: rc %d: %s" % (r.returncode, r.stderr.strip()[-300:]))
    check(not os.path.exists(out), "created DIR, failed: %s is left with %s" % (out, os.path.exists(out) and listing(out)))
    # ... and so does the parent it created for DIR ("made"), not the one that was there (tmp).
    check(not os.path.exists(os.path.dirname(out)), "created DIR, failed: its created parent %s stayed" % os.path.dirname(out))
    # (Named last in the list of what was removed: the word alone is in every path under it.)
    check(r.stderr.rstrip().endswith(", %s)" % os.path.dirname(out)),
          "created DIR, failed: the message names the parent: %s" % r.stderr.strip()[-300:])

    # A DIR that cannot be made part-way (a name over NAME_MAX): the parents made before it go
    # again (review BT M2: they stayed).
    out = os.path.join(tmp, "long")
    os.makedirs(out)
    r = run("analyze", trace, "--csv", os.path.join(out, "pa", "pb", "x" * 300))
    check(r.returncode == 1 and "too long" in r.stderr, "name too long: rc %d: %s" % (r.returncode, r.stderr.strip()[-300:]))
    check(listing(out) == [], "name too long left %s" % listing(out))

    # A host table of an earlier run that this run has no rows for is removed with the new set.
    out = os.path.join(tmp, "stale")
    os.makedirs(out)
    with open(os.path.join(out, "host_threads.csv"), "w") as f:
        f.write("file,pid,tid,thread,operators,active_ns,idle_ns,span_ns\nearlier,1,1,x,1,1,1,1\n")
    r = run("analyze", trace, "--csv", out)
    check(r.returncode == 0, "stale host table: rc %d: %s" % (r.returncode, r.stderr.strip()[-300:]))
    check("host_threads.csv" not in listing(out), "stale host table: host_threads.csv of an earlier run stayed")
    check("kernels.csv" in listing(out), "stale host table: no kernels.csv written")

if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("ok")
