"""`export --sqlite` where /proc is not mounted (review SQ57 M1): the partial's writer path is then
its plain name, which the SQLite writer removed before it opened it, so SQLite wrote a new file and
every such export failed ("no longer the file infertrace created") and left OUT.partial. Run in a
mount namespace of its own with /proc unmounted (needs root and unshare)."""
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import EXE, check, failures, sanitized, skip  # noqa: E402

if os.geteuid() != 0 or not shutil.which("unshare"):
    skip("needs root and unshare (a mount namespace without /proc)")
if sanitized():
    skip("the sanitizers' runtime reads /proc")
trace = os.path.join(os.environ["INFERTRACE_SOURCE_DIR"], "examples", "traces", "gpt2_prefill_bs1.json.gz")

with tempfile.TemporaryDirectory() as d:
    out = os.path.join(d, "np.db")
    with open(out, "w") as f:
        f.write("old")  # replaced, as with /proc
    probe = subprocess.run(["unshare", "-m", "sh", "-c", "umount -l /proc && test ! -e /proc/self"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        skip("cannot unmount /proc in a new mount namespace: %s" % probe.stderr.strip())
    r = subprocess.run(["unshare", "-m", "sh", "-c", 'umount -l /proc && exec "$0" export "$1" --sqlite "$2"',
                        EXE, trace, out], capture_output=True, text=True, timeout=300)
    check(r.returncode == 0, "export without /proc: exit %d, %r" % (r.returncode, r.stderr))
    check(sorted(os.listdir(d)) == ["np.db"], "left beside it: %r" % sorted(os.listdir(d)))
    try:
        c = sqlite3.connect("file:%s?mode=ro" % out, uri=True)
        ok = c.execute("pragma integrity_check").fetchone()[0]
        n = c.execute("select count(*) from gpu_activity").fetchone()[0]
        c.close()
    except sqlite3.DatabaseError as e:
        ok, n = "error: %s" % e, 0
    check(ok == "ok" and n > 0, "the database: %r, %d GPU activities" % (ok, n))

sys.exit(1 if failures else 0)
