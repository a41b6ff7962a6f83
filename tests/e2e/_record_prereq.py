"""What the end-to-end tests that record their own C programs with eBPF need, checked in one place:
root and the kernel's BTF, a C compiler, a build with the record verb. Each missing piece skips the
test (77) saying which. Also drops SUDO_UID/SUDO_GID: under sudo the recorder runs its command as
the invoking user (docs/record.md), who cannot run a program from the test's root-owned 0700
temporary directory, so every command here runs as root."""
import json
import os
import pty
import select
import shutil
import struct
import subprocess
import time

from _harness import EXE, check, skip


def require_recorder():
    """Skips unless root, the kernel's BTF and a build with the record verb are there; drops
    SUDO_UID/SUDO_GID (see above)."""
    if os.geteuid() != 0 or not os.path.exists("/sys/kernel/btf/vmlinux"):
        skip("needs root and /sys/kernel/btf/vmlinux")
    rec_help = subprocess.run([EXE, "record", "--help"], capture_output=True, text=True)
    if rec_help.returncode != 0 or " record" not in rec_help.stdout:
        skip("this build has no record verb")
    for var in ("SUDO_UID", "SUDO_GID"):
        os.environ.pop(var, None)


def require_recorder_and_cc():
    """Returns the C compiler's path once every prerequisite is there; skips otherwise."""
    require_recorder()
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        skip("no C compiler")
    return cc


def compile_and_record(cc, source, tmp, name, events="sched,syscall"):
    """Builds `source` (C, -pthread) as tmp/name and records it (`record --events EVENTS -- PROG`);
    skips when the recorder itself cannot run here. Returns (the record run, the recording's path)."""
    prog = os.path.join(tmp, name)
    with open(prog + ".c", "w") as f:
        f.write(source)
    subprocess.run([cc, "-O1", "-Wall", "-o", prog, prog + ".c", "-pthread"], check=True)
    rec = os.path.join(tmp, "run.itrace")
    r = subprocess.run([EXE, "record", "--cuda", "uprobe", "--events", events, "-o", rec, "--", prog],
                       capture_output=True, text=True, timeout=300)
    skip_if_recorder_refused(r)
    return r, rec


def compile_against_fake_cuda(cc, source, tmp, name):
    """Builds the fake CUDA libraries (tests/support/fakecuda) into tmp from their sources, with
    plain cc, not the build's (under ASan those are instrumented, and a program of plain cc linked
    to them stops at once: "ASan runtime does not come first in initial library list"), then
    `source` (C, -pthread) as tmp/name linked to them. Returns (the program, the --lib arguments
    that probe both libraries)."""
    fake_src = os.path.join(os.environ["INFERTRACE_SOURCE_DIR"], "tests", "support", "fakecuda")
    driver, runtime = os.path.join(tmp, "libfakecuda.so"), os.path.join(tmp, "libfakecudart.so")
    common = ["-O1", "-Wall", "-fPIC", "-I", fake_src, "-shared"]
    subprocess.run([cc, *common, "-Wl,-soname,libfakecuda.so", "-o", driver, os.path.join(fake_src, "fake_driver.c")],
                   check=True)
    subprocess.run([cc, *common, "-Wl,-soname,libfakecudart.so", "-o", runtime, os.path.join(fake_src, "fake_runtime.c"),
                    "-L", tmp, "-lfakecuda", f"-Wl,-rpath,{tmp}"], check=True)
    prog = os.path.join(tmp, name)
    with open(prog + ".c", "w") as f:
        f.write(source)
    subprocess.run([cc, "-O1", "-Wall", "-I", fake_src, "-o", prog, prog + ".c", "-L", tmp, "-lfakecudart",
                    "-lfakecuda", f"-Wl,-rpath,{tmp}", "-pthread"], check=True)
    return prog, ["--lib", runtime, "--lib", driver]


def export_csv(rec, tmp):
    """`export --csv` of the recording into tmp/csv, checked; the directory, or None when it failed."""
    out = os.path.join(tmp, "csv")
    e = subprocess.run([EXE, "export", "--csv", out, rec], capture_output=True, text=True, timeout=300)
    check(e.returncode == 0, f"export: {e.stderr}")
    return out if e.returncode == 0 else None


def skip_if_recorder_refused(r):
    """Skips (77) when a `record` run (a CompletedProcess with text stderr) failed because the
    recorder cannot run on this machine: no CAP_BPF, no kernel BTF, no tracefs."""
    if r.returncode != 0 and ("CAP_BPF" in r.stderr or "BTF" in r.stderr or "tracefs" in r.stderr):
        skip("recorder cannot run here: " + r.stderr.strip()[:200])


def recorded_json(r, what="record"):
    """For a `record -- WORKLOAD` run (a CompletedProcess with text output) whose workload prints
    what it made as a JSON object on a line of its own: skips (77) when the recorder cannot run here
    (skip_if_recorder_refused), checks that record and the workload succeeded (a failure named
    `what`), and returns the last such object ({} when none)."""
    skip_if_recorder_refused(r)
    check(r.returncode == 0 and "command exit status: 0" in r.stderr, f"{what}: {r.returncode} {r.stdout} {r.stderr}")
    made = {}
    for line in r.stdout.splitlines():
        if line.startswith("{"):
            made = json.loads(line)
    return made


def recording_meta(rec, tmp):
    """The recording's META, read back through the SQLite export's meta table ({} after a failed
    export, which is a check failure)."""
    import sqlite3
    db = os.path.join(tmp, "run.sqlite")
    e = subprocess.run([EXE, "export", "--sqlite", db, rec], capture_output=True, text=True, timeout=300)
    check(e.returncode == 0, f"export --sqlite: {e.stderr}")
    if e.returncode != 0:
        return {}
    con = sqlite3.connect(db)
    try:
        return dict(con.execute("SELECT key, value FROM meta").fetchall())
    finally:
        con.close()


# The recorder as the stop and signal tests run it (uprobe mode needs no CUDA library to attach).
RECORD_BASE = [EXE, "record", "--cuda", "uprobe", "--events", "sched,syscall"]


def start_recording(tmp, name, cmd, *opts, **kw):
    """record -o tmp/name.itrace OPTS -- CMD in a session of its own (the command's group signals
    must not reach the test), stdout and stderr piped unless kw names them; (process, path)."""
    rec = os.path.join(tmp, name + ".itrace")
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    return subprocess.Popen(RECORD_BASE + list(opts) + ["-o", rec, "--"] + cmd, text=True, start_new_session=True,
                            **kw), rec


def file_meta(path):
    """META of an .itrace file read from its bytes, independently of the reader (also while it
    grows, or after the recorder was killed): header, then u32 type | u32 length | payload records;
    META is type 1 (u32 key length, key, value); a later value of a key replaces an earlier one.
    {} for a missing file or one without the header."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return {}
    if data[:8] != b"INFTRACE":
        return {}
    off, meta = struct.unpack_from("<I", data, 12)[0], {}
    while off + 8 <= len(data):
        typ, n = struct.unpack_from("<II", data, off)
        if off + 8 + n > len(data):
            break
        if typ == 1:
            k = struct.unpack_from("<I", data, off + 8)[0]
            meta[data[off + 12:off + 12 + k].decode(errors="replace")] = data[off + 12 + k:off + 8 + n].decode(errors="replace")
        off += 8 + n
    return meta


def process_alive(pid):
    """Whether pid runs: a zombie awaiting its reaper (Z) or a dead task (X) counts as ended."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def skip_unless_recording(rc, err):
    """Skips (77) when record failed (exit status rc) for want of what this machine lacks."""
    if rc != 0 and ("CAP_BPF" in err or "BTF" in err or "tracefs" in err):
        skip("recorder cannot run here: " + err.strip()[:200])


def wait_line(p, timeout=120):
    """The first stdout line of a recording started piped (its command prints once it has set
    itself up), or "" after `timeout` seconds."""
    ready, _, _ = select.select([p.stdout], [], [], timeout)
    return p.stdout.readline().strip() if ready else ""


def proc_text(path):
    """A /proc file's text, stripped; "" when it cannot be read (the process is gone)."""
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return ""


def proc_children(pid):
    """The ids of pid's children (its main thread's)."""
    return [int(c) for c in proc_text(f"/proc/{pid}/task/{pid}/children").split()]


def waits_in_fifo_open(pid):
    """Whether pid's main thread waits in the kernel for a FIFO's other end, in its open of one (a
    recorder opening a FIFO output). wchan or the kernel stack names the wait where kallsyms is
    readable (fifo_open, or wait_for_partner inside it); else (wchan "0" or unreadable) the syscall
    in progress is open or openat (x86-64: 2, 257)."""
    wchan = proc_text(f"/proc/{pid}/wchan")
    if wchan in ("fifo_open", "wait_for_partner") or "fifo_open" in proc_text(f"/proc/{pid}/stack"):
        return True
    return wchan in ("", "0") and proc_text(f"/proc/{pid}/syscall").split(" ")[0] in ("257", "2")


def pty_run(argv, ready, keys, timeout=120):
    """Runs argv on a new pty (it leads the session, the pty its terminal); once `ready` is printed,
    writes `keys` (None: closes the pty, a hang-up). Returns (wait status, text, seconds from the keys to the exit)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(argv[0], argv)
    text, sent, t = b"", None, time.monotonic()
    deadline = t + timeout
    while time.monotonic() < deadline:
        if sent is None and ready in text:
            sent = time.monotonic()
            if keys is None:
                os.close(fd)
                fd = -1
                break
            os.write(fd, keys)
        r = select.select([fd], [], [], 0.5)[0]
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            text += chunk
    _, status = os.waitpid(pid, 0)
    took = time.monotonic() - (sent or t)
    if fd >= 0:
        os.close(fd)
    return status, text.decode(errors="replace"), took
