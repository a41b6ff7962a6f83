"""`export --sqlite OUT` over a database that has SQLite side files beside it (review SQ57 H1): a
leftover OUT-wal (a notebook or DB browser that still holds the old export in WAL mode) or a hot
OUT-journal (a tool killed while it changed the old export) was applied by SQLite to the new file,
which then read "database disk image is malformed", after an export that exited 0. The new database
is what a reader opens: the side files are removed before the rename, and one that cannot be
removed (a directory) refuses the export with nothing replaced."""
import os
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import check, failures, run  # noqa: E402

traces = os.path.join(os.environ["INFERTRACE_SOURCE_DIR"], "examples", "traces")
old_trace = os.path.join(traces, "gpt2_prefill_bs1.json.gz")
new_trace = os.path.join(traces, "nullkernel_2000.json.gz")
SIDES = ("-journal", "-wal", "-shm")

# A WAL-mode change never checkpointed: the process ends without closing, so OUT-wal stays.
LEAVE_WAL = """import os, sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("pragma journal_mode=wal"); c.execute("pragma wal_autocheckpoint=0")
c.execute("create view v as select 1")
os._exit(0)"""
# A rollback-mode transaction killed after its changes spilled into the file: a hot OUT-journal.
LEAVE_HOT_JOURNAL = """import os, sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("pragma journal_mode=delete"); c.execute("pragma cache_size=1"); c.execute("pragma cache_spill=1")
c.execute("begin")
c.execute("update gpu_activity set name='ZZZ'")
c.execute("create table junk(x)")
c.execute("insert into junk select randomblob(1000) from api_call")
os._exit(0)"""


def export(src, out):
    return run("export", src, "--sqlite", out)


def source_of(db):
    """(integrity_check, the input's file name, GPU activities) as a reader sees them (read-only: a
    check never writes), or a 1-tuple naming the error."""
    c = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        ok = c.execute("pragma integrity_check").fetchone()[0]
        src = c.execute("select value from meta where key='file'").fetchone()[0]
        kernels = c.execute("select count(*) from gpu_activity").fetchone()[0]
        return ok, os.path.basename(src), kernels
    except sqlite3.DatabaseError as e:
        return ("error: %s" % e,)
    finally:
        c.close()


with tempfile.TemporaryDirectory() as d:
    ref = os.path.join(d, "ref.db")
    r = export(new_trace, ref)
    check(r.returncode == 0, "reference export: %r" % r.stderr)
    want = source_of(ref)
    check(want[0] == "ok" and want[1] == "nullkernel_2000.json.gz", "reference database: %r" % (want,))

    for what, script, side in (("leftover -wal", LEAVE_WAL, "-wal"), ("hot -journal", LEAVE_HOT_JOURNAL, "-journal")):
        out = os.path.join(d, "w%s.db" % side)
        r = export(old_trace, out)
        check(r.returncode == 0, "%s: first export: %r" % (what, r.stderr))
        subprocess.run([sys.executable, "-c", script, out], check=True)
        check(os.path.getsize(out + side) > 0, "%s: the setup left no %s" % (what, out + side))
        r = export(new_trace, out)
        check(r.returncode == 0, "%s: re-export exit %d: %r" % (what, r.returncode, r.stderr))
        left = [s for s in SIDES if os.path.lexists(out + s)]
        check(not left, "%s: side files left beside the new database: %r" % (what, left))
        got = source_of(out)
        check(got == want, "%s: the re-exported database reads %r, want %r" % (what, got, want))

    # A reader that keeps the old export open in WAL mode while it is replaced: the new file stays
    # whole, also after that reader commits again and closes (its side files were its own).
    out = os.path.join(d, "live.db")
    check(export(old_trace, out).returncode == 0, "live: first export")
    live = subprocess.Popen([sys.executable, "-c", """import sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("pragma journal_mode=wal"); c.execute("pragma wal_autocheckpoint=0")
c.execute("create view v as select 1")
print("ready", flush=True)
sys.stdin.readline()
c.execute("create view w as select 2")
print(c.execute("select count(*) from sqlite_master where name in ('v', 'w')").fetchone()[0], flush=True)
c.close()""", out], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    check(live.stdout.readline().strip() == "ready", "live: the reader did not start")
    r = export(new_trace, out)
    check(r.returncode == 0, "live: re-export exit %d: %r" % (r.returncode, r.stderr))
    got_live, _ = live.communicate("go\n", timeout=60)
    check(got_live.strip() == "2", "live: the reader lost its own database: %r" % got_live)
    got = source_of(out)
    check(got == want, "live: the new database reads %r after the reader closed" % (got,))

    # A side file that cannot be removed: refused, the old database and nothing else left.
    out = os.path.join(d, "dir.db")
    check(export(old_trace, out).returncode == 0, "refusal: first export")
    os.mkdir(out + "-wal")
    r = export(new_trace, out)
    msg = r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ""
    check(r.returncode == 1 and out + "-wal" in msg and "nothing was replaced" in msg,
          "refusal: exit %d, %r" % (r.returncode, msg))
    os.rmdir(out + "-wal")
    got = source_of(out)
    check(got[1:2] == ("gpt2_prefill_bs1.json.gz",), "refusal: the old database was not kept: %r" % (got,))
    check(not os.path.exists(out + ".partial"), "refusal: the partial was left")

    # A hot -journal beside a -wal that cannot be removed (review WD57 M1): every side file is
    # looked at before any goes, so the refusal keeps the journal that rolls the old database's
    # half-written change back ('ZZZ' names: none once rolled back).
    out = os.path.join(d, "hot_dir.db")
    check(export(old_trace, out).returncode == 0, "hot+dir: first export")
    subprocess.run([sys.executable, "-c", LEAVE_HOT_JOURNAL, out], check=True)
    os.mkdir(out + "-wal")
    r = export(new_trace, out)
    check(r.returncode == 1 and "nothing was replaced" in r.stderr, "hot+dir: exit %d, %r" % (r.returncode, r.stderr))
    check(os.path.exists(out + "-journal"), "hot+dir: the old database's journal was removed by a refused export")
    os.rmdir(out + "-wal")
    c = sqlite3.connect(out)
    try:
        zzz = c.execute("select count(*) from gpu_activity where name='ZZZ'").fetchone()[0]
    finally:
        c.close()
    check(zzz == 0, "hot+dir: the old database kept %d rows of its half-written change" % zzz)

sys.exit(1 if failures else 0)
