"""Recording a fake-CUDA workload (tests/support/fakecuda) with both fake libraries probed, as the
record tests of launch APIs and of the runtime->driver fold do: run it, take the JSON object the
workload prints of what it made, and read the recording back through the SQLite export."""
import os
import sqlite3
import subprocess

from _harness import EXE, check
from _record_prereq import recorded_json

FAKE = os.path.join(os.environ["INFERTRACE_BINARY_DIR"], "tests", "support", "fakecuda")


def record_fake(tmp, workload, *args, env=None, runtime="libfakecudart.so"):
    """Records `workload` ARGS... (a program in FAKE); returns the JSON object it printed ({} when
    none). `env`: variables added to record's environment (and so the workload's); `runtime`: the
    fake runtime probed with --lib (the one the workload is linked to). Skips (77) where the
    recorder cannot run; a failed record is a failure."""
    rec = os.path.join(tmp, "run.itrace")
    r = subprocess.run([EXE, "record", "-o", rec, "--events", "launch", "--cuda", "uprobe",
                        "--lib", os.path.join(FAKE, runtime), "--lib", os.path.join(FAKE, "libfakecuda.so"),
                        "--", os.path.join(FAKE, workload), *[str(a) for a in args]],
                       capture_output=True, text=True, timeout=300, env=dict(os.environ, **(env or {})))
    return recorded_json(r)


def recorded_calls(tmp, columns):
    """The api_call rows (the given columns) and the meta table of the recording record_fake made,
    read through `export --sqlite`; (None, None) when the export fails (a failure)."""
    db = os.path.join(tmp, "run.sqlite")
    e = subprocess.run([EXE, "export", "--sqlite", db, os.path.join(tmp, "run.itrace")], capture_output=True, text=True,
                       timeout=300)
    check(e.returncode == 0, f"export --sqlite: {e.stderr}")
    if e.returncode != 0:
        return None, None
    con = sqlite3.connect(db)
    try:
        rows = con.execute("SELECT %s FROM api_call" % ", ".join(columns)).fetchall()
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
    finally:
        con.close()
    return rows, meta
