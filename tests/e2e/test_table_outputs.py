"""The table outputs (analyze --csv, export --csv) follow the output rules of every verb
(util/output_target.h), on links and nodes made in a temporary directory: a table that is a
symlink has its target replaced and stays a link (export used to replace the link itself), a
replaced table keeps its mode, a table whose write fails part-way is left as it was (analyze
used to truncate it in place), a FIFO named like an export table is refused with nothing replaced
(export used to rename a file over it), and no .partial is left behind."""
import os
import resource
import signal
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import EXE, check, failures, run  # noqa: E402

trace = os.path.join(os.environ["INFERTRACE_SOURCE_DIR"], "examples", "traces", "gpt2_prefill_bs1.json.gz")

VERBS = {  # verb -> (command line with "{}" for the directory, a table it writes)
    "analyze": (["analyze", trace, "--csv", "{}"], "kernels.csv"),
    "export": (["export", trace, "--csv", "{}"], "launches.csv"),
}


def partials(d):
    return [f for f in os.listdir(d) if f.endswith(".partial")]


with tempfile.TemporaryDirectory() as tmp:
    for verb, (args, table) in VERBS.items():
        out = os.path.join(tmp, verb)
        elsewhere = os.path.join(tmp, verb + "-kept")
        os.makedirs(out)
        os.makedirs(elsewhere)
        target = os.path.join(elsewhere, table)
        with open(target, "w") as f:
            f.write("old\n")
        os.chmod(target, 0o640)
        os.symlink(target, os.path.join(out, table))
        r = run(*[a.replace("{}", out) for a in args])
        check(r.returncode == 0, "%s --csv: rc %d: %s" % (verb, r.returncode, r.stderr.strip()[-300:]))
        check(os.path.islink(os.path.join(out, table)), "%s --csv: the symlinked %s was replaced by a file" % (verb, table))
        with open(target) as f:
            head = f.read(200)
        check(head != "old\n" and "," in head, "%s --csv: the link's target was not written: %r" % (verb, head[:60]))
        check(stat.S_IMODE(os.stat(target).st_mode) == 0o640, "%s --csv: the replaced table lost its mode: %o"
              % (verb, stat.S_IMODE(os.stat(target).st_mode)))
        check(not partials(out) and not partials(elsewhere), "%s --csv: left %s" % (verb, partials(out) + partials(elsewhere)))

    # analyze --csv writes each table whole: a write that fails part-way (EFBIG from a file size
    # limit, as a full disk would) leaves the old table as it was, not truncated.
    out = os.path.join(tmp, "analyze-limited")
    os.makedirs(out)
    with open(os.path.join(out, "kernels.csv"), "w") as f:
        f.write("an earlier kernels table\n")

    # The limit lies between kernels.csv and every other table, measured on a first run: the tables
    # hold the trace's path as given (so it is given relative to its folder, the same wherever the
    # repository is cloned), and the summary grows with each new key.
    traces_dir, trace_name = os.path.split(trace)
    sizes_dir = os.path.join(tmp, "analyze-sizes")
    r = subprocess.run([EXE, "analyze", trace_name, "--csv", sizes_dir], capture_output=True, text=True, timeout=600,
                       cwd=traces_dir)
    check(r.returncode == 0, "analyze --csv (sizes): rc %d: %s" % (r.returncode, r.stderr.strip()[-300:]))
    sizes = {n: os.path.getsize(os.path.join(sizes_dir, n)) for n in os.listdir(sizes_dir)}
    others = max(v for n, v in sizes.items() if n != "kernels.csv")
    check(others < sizes["kernels.csv"], "kernels.csv is no longer the largest table: %s" % sizes)
    limit = (others + sizes["kernels.csv"]) // 2

    def limit_file_size():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # write() fails with EFBIG instead of killing
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))  # above every other table, below kernels.csv

    r = subprocess.run([EXE, "analyze", trace_name, "--csv", out], capture_output=True, text=True, timeout=600,
                       preexec_fn=limit_file_size, cwd=traces_dir)
    with open(os.path.join(out, "kernels.csv")) as f:
        kept = f.read()
    check(r.returncode == 1 and "kernels.csv" in r.stderr, "analyze --csv past a file size limit: rc %d: %s"
          % (r.returncode, r.stderr.strip()[-300:]))
    check(kept == "an earlier kernels table\n", "analyze --csv past a file size limit: kernels.csv is now %d bytes "
          "starting %r" % (len(kept), kept[:40]))
    check(not partials(out), "analyze --csv past a file size limit: left %s" % partials(out))

    # export --csv renames its tables into place as one set: a FIFO named like a table cannot take
    # part, so it is refused before any table is replaced, and stays a FIFO.
    out = os.path.join(tmp, "export-fifo")
    os.makedirs(out)
    r = run("export", trace, "--csv", out)
    check(r.returncode == 0, "export --csv (first): rc %d: %s" % (r.returncode, r.stderr.strip()[-300:]))
    before = {n: open(os.path.join(out, n), "rb").read() for n in os.listdir(out)}
    os.remove(os.path.join(out, "threads.csv"))
    os.mkfifo(os.path.join(out, "threads.csv"))
    r = run("export", trace, "--csv", out)
    check(r.returncode == 1 and "threads.csv" in r.stderr and "FIFO" in r.stderr and "nothing was replaced" in r.stderr,
          "export --csv with a FIFO table: rc %d: %s" % (r.returncode, r.stderr.strip()[-300:]))
    check(stat.S_ISFIFO(os.lstat(os.path.join(out, "threads.csv")).st_mode), "export --csv: the FIFO was replaced")
    for n, data in before.items():
        if n != "threads.csv":
            with open(os.path.join(out, n), "rb") as f:
                check(f.read() == data, "export --csv with a FIFO table: %s changed" % n)
    check(not partials(out), "export --csv with a FIFO table: left %s" % partials(out))

if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("ok")
