"""`record --lib PATH` with something that cannot be probed: a warning naming it and why, the
recording goes on (exit 0), and nothing blocks. Review UM L3: a FIFO given as --lib hung record in
open() until a signal (the symbol reader opened it for reading; no writer ever came). Also a file
that is no ELF, an ELF without any CUDA name; a missing path is an error (exit 1); and
INFERTRACE_UPROBE_MULTI=off gives per-function links (META library.<n>.links). Skips (77) without root, kernel BTF or
the record verb."""
import os
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _fake_record import FAKE  # noqa: E402
from _harness import EXE, check, failures  # noqa: E402
from _record_prereq import require_recorder  # noqa: E402

require_recorder()


def record(tmp, lib, env=None):
    rec = os.path.join(tmp, "r.itrace")
    try:
        r = subprocess.run([EXE, "record", "-o", rec, "--events", "launch", "--cuda", "uprobe", "--lib", lib,
                            "--", "/bin/true"], capture_output=True, text=True, timeout=60,
                           env=dict(os.environ, **(env or {})))
    except subprocess.TimeoutExpired:
        check(False, f"record --lib {lib} did not end within 60 s")
        return None
    check(r.returncode == 0 and "command exit status: 0" in r.stderr, f"record --lib {lib}: {r.returncode} {r.stderr}")
    return r


def links_of(tmp):
    db = os.path.join(tmp, "r.sqlite")
    e = subprocess.run([EXE, "export", "--sqlite", db, os.path.join(tmp, "r.itrace")], capture_output=True, text=True,
                       timeout=120)
    check(e.returncode == 0, f"export: {e.stderr}")
    con = sqlite3.connect(db)
    try:
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
    finally:
        con.close()
    return {meta[k]: meta.get(k + ".links") for k in meta if k.startswith("library.") and k.count(".") == 1}


with tempfile.TemporaryDirectory() as tmp:
    fifo = os.path.join(tmp, "libfifo.so")
    os.mkfifo(fifo)
    text = os.path.join(tmp, "libtext.so")
    with open(text, "w") as f:
        f.write("cudaLaunchKernel\n")
    cases = [
        (fifo, "not a regular file"),
        (text, "not a 64-bit ELF file exporting any CUDA launch or sync symbol"),
        ("/bin/true", "not a 64-bit ELF file exporting any CUDA launch or sync symbol"),
    ]
    for lib, why in cases:
        r = record(tmp, lib)
        if r is not None:
            check(f"--lib {lib}: {why}" in r.stderr, f"--lib {lib}: expected a warning with {why!r}: {r.stderr}")
    # A missing path is refused before anything starts (a usage of record that cannot be meant).
    absent = os.path.join(tmp, "absent.so")
    r = subprocess.run([EXE, "record", "-o", os.path.join(tmp, "a.itrace"), "--lib", absent, "--", "/bin/true"],
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 1 and f"--lib {absent}: No such file or directory" in r.stderr,
          f"--lib {absent}: {r.returncode} {r.stderr}")

    runtime = os.path.join(FAKE, "libfakecudart.so")
    # The values themselves are unit-tested (uprobe_multi_link_test.cpp); one run shows the switch
    # reaches the recorder (each per-function run takes seconds to detach).
    for value, want in (("off", "per_function"),):
        if record(tmp, runtime, env={"INFERTRACE_UPROBE_MULTI": value}) is not None:
            links = links_of(tmp)
            check(links.get(runtime) == want, f"INFERTRACE_UPROBE_MULTI={value}: {runtime} links {links}")

sys.exit(1 if failures else 0)
