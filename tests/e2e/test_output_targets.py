"""Every single-file output (report -o, export --perfetto/--chrome/--sqlite, sweep --plot, model
synth -o) on paths that are not plain files, all made in a temporary directory (never the machine's
/dev/null or /dev/full): a character device or a FIFO gets the bytes and stays a node (SQLite, which
is renamed into place, is refused on it), a block device is refused, a symlink's target is replaced
and the link stays a link, a directory is refused with the path named, /dev/stdout sent to a file by the shell is written at
the shell's offset (the file stays the shell's), and nothing leaves a .partial behind."""
import errno
import json
import os
import shlex
import stat
import subprocess
import sys
import tempfile
import threading
import xml.etree.ElementTree

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import EXE, check, failures, run  # noqa: E402

traces = os.path.join(os.environ["INFERTRACE_SOURCE_DIR"], "examples", "traces")
trace = os.path.join(traces, "gpt2_prefill_bs1.json.gz")

# Each verb with its output option; "{}" is the output path.
WRITERS = {
    "report": ["report", trace, "-o", "{}"],
    "perfetto": ["export", trace, "--perfetto", "{}"],
    "chrome": ["export", trace, "--chrome", "{}"],
    "sweep": ["sweep", os.path.join(traces, "gpt2_prefill_bs1.json.gz"), os.path.join(traces, "gpt2_prefill_bs2.json.gz"),
              "--plot", "{}"],
    "synth": ["model", "synth", "--preset", "tiny-llama", "--seed", "1", "-o", "{}"],
}


def argv(name, out):
    """The verb's command line; sweep's plot must be named *.svg, so every path here ends so."""
    return [a.replace("{}", out) for a in WRITERS[name]]


def no_partials(d, name):
    left = [f for f in os.listdir(d) if f.endswith((".partial", ".tmp"))]
    check(not left, "%s: left %s behind" % (name, left))


with tempfile.TemporaryDirectory() as tmp:
    can_mknod = True
    for name in WRITERS:
        d = os.path.join(tmp, name)
        os.mkdir(d)
        # A character device (the same numbers as /dev/null, made here): written into, still a device.
        node = os.path.join(d, "mynull.svg")
        try:
            os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        except PermissionError:
            can_mknod = False
        if can_mknod:
            r = run(*argv(name, node))
            check(r.returncode == 0, "%s -o device: rc %d: %s" % (name, r.returncode, r.stderr.strip()[-300:]))
            check(stat.S_ISCHR(os.lstat(node).st_mode), "%s -o device: the node was replaced by a file" % name)
        # A block device (a major number no driver has, so nothing could reach a disk): refused,
        # named, the node kept.
        disk = os.path.join(d, "mydisk.svg")
        if can_mknod:
            os.mknod(disk, 0o600 | stat.S_IFBLK, os.makedev(242, 0))
            r = run(*argv(name, disk))
            check(r.returncode == 1 and "is a block device; infertrace does not write to disks" in r.stderr,
                  "%s -o block device: rc %d: %s" % (name, r.returncode, r.stderr.strip()[-300:]))
            check(stat.S_ISBLK(os.lstat(disk).st_mode), "%s -o block device: the node was replaced" % name)
        # A FIFO with a reader: the reader gets the whole output, the FIFO stays.
        fifo = os.path.join(d, "pipe.svg")
        os.mkfifo(fifo)
        got = []
        # A daemon with a bounded join: a writer that exits without opening the FIFO must fail this
        # test, not hang it until ctest's timeout.
        reader = threading.Thread(target=lambda: got.append(open(fifo, "rb").read()), daemon=True)
        reader.start()
        r = run(*argv(name, fifo))
        # Always, and without blocking: a reader still waiting in open() (the writer never opened
        # the FIFO) sees EOF; a reader already gone (it got the output, or the writer opened the
        # FIFO and failed) leaves no one to pair with, ENXIO, which is fine.
        try:
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError as e:
            if e.errno != errno.ENXIO:
                raise
        reader.join(5)
        check(not reader.is_alive(), "%s -o FIFO: the reader still waits 5 s after the writer" % name)
        check(r.returncode == 0, "%s -o FIFO: rc %d: %s" % (name, r.returncode, r.stderr.strip()[-300:]))
        check(stat.S_ISFIFO(os.lstat(fifo).st_mode), "%s -o FIFO: the FIFO was replaced" % name)
        check(got and len(got[0]) > 100, "%s -o FIFO: the reader got %d bytes" % (name, len(got[0]) if got else -1))
        # A symlink into another directory: its target is replaced, the link stays a link.
        os.mkdir(os.path.join(d, "real"))
        target = os.path.join(d, "real", "target.svg")
        with open(target, "w") as f:
            f.write("old")
        link = os.path.join(d, "link.svg")
        os.symlink("real/target.svg", link)
        r = run(*argv(name, link))
        check(r.returncode == 0, "%s -o symlink: rc %d: %s" % (name, r.returncode, r.stderr.strip()[-300:]))
        check(os.path.islink(link), "%s -o symlink: the link was replaced by a file" % name)
        check(os.path.getsize(target) > 100, "%s -o symlink: the link's target was not written" % name)
        # A directory: refused, named, left empty.
        sub = os.path.join(d, "adir.svg")
        os.mkdir(sub)
        r = run(*argv(name, sub))
        check(r.returncode == 1 and "is a directory" in r.stderr,
              "%s -o directory: rc %d: %s" % (name, r.returncode, r.stderr.strip()[-300:]))
        check(os.listdir(sub) == [], "%s -o directory: wrote into it" % name)
        no_partials(d, name)
        no_partials(os.path.join(d, "real"), name)

    # sweep's plot must be named *.svg, except on a device or FIFO (the name is the node's).
    r = run(*WRITERS["sweep"][:3], "--plot", "/dev/stdout")
    check(r.returncode == 0 and "<svg" in r.stdout and "</svg>" in r.stdout, "sweep --plot /dev/stdout: rc %d: %s %s"
          % (r.returncode, r.stdout[:80], r.stderr.strip()[-300:]))

    # /dev/stdout sent to a file by the shell: the output goes into the shell's descriptor at its
    # offset (what the group wrote before and after stays; `>>` appends), never into a file
    # reopened at offset 0 or renamed over the shell's.
    d = os.path.join(tmp, "stdout")
    os.mkdir(d)
    plain = {}

    def plain_output(name):
        """The verb's output written to a plain file, to compare with what /dev/stdout got."""
        if name not in plain:
            f = os.path.join(d, name + ".plain.svg")
            r = run(*argv(name, f))
            check(r.returncode == 0, "%s -o file: rc %d: %s" % (name, r.returncode, r.stderr.strip()[-300:]))
            with open(f, "rb") as fh:
                plain[name] = fh.read()
            os.remove(f)
        return plain[name]

    quoted = lambda args: " ".join(shlex.quote(a) for a in args)  # noqa: E731
    for name in WRITERS:
        for out in ("/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"):
            f = os.path.join(d, name + ".out")
            group = "{ echo HEADER; %s; echo rc=$?; echo FOOTER; } > %s" % (
                quoted([EXE] + argv(name, out)), shlex.quote(f))
            subprocess.run(["sh", "-c", group], timeout=600)
            with open(f, "rb") as fh:
                got = fh.read()
            check(got.startswith(b"HEADER\n") and got.endswith(b"rc=0\nFOOTER\n") and len(got) > 1000,
                  "%s -o %s > file: %d bytes, starts %r, ends %r" % (name, out, len(got), got[:20], got[-20:]))
            # Between HEADER and rc= exactly the output: the verb's own stdout lines ("chrome: ...",
            # sweep's table, report's findings) went to stderr (review BF M2).
            check(got[len(b"HEADER\n"):-len(b"rc=0\nFOOTER\n")] == plain_output(name),
                  "%s -o %s > file: the bytes differ from the output written to a file" % (name, out))
        f = os.path.join(d, name + ".appended")
        with open(f, "w") as fh:
            fh.write("EARLIER\n")
        subprocess.run(["sh", "-c", "%s >> %s" % (quoted([EXE] + argv(name, "/dev/stdout")), shlex.quote(f))],
                       timeout=600)
        with open(f, "rb") as fh:
            got = fh.read()
        check(got.startswith(b"EARLIER\n") and len(got) > 1000, "%s -o /dev/stdout >> file: %d bytes, starts %r"
              % (name, len(got), got[:20]))
    sweep_plot = os.path.join(d, "sweep.svg.txt")
    with open(sweep_plot, "w") as fh:
        r = subprocess.run([EXE, *WRITERS["sweep"][:3], "--plot", "/dev/stdout"], stdout=fh, stderr=subprocess.PIPE,
                           text=True, timeout=600)
    with open(sweep_plot) as fh:
        text = fh.read()
    check(r.returncode == 0 and "<svg" in text and "</svg>" in text,
          "sweep --plot /dev/stdout > file: rc %d: %s" % (r.returncode, r.stderr.strip()[-300:]))
    try:
        xml.etree.ElementTree.parse(sweep_plot)
    except xml.etree.ElementTree.ParseError as e:
        check(False, "sweep --plot /dev/stdout > file: not valid XML: %s" % e)
    chrome = os.path.join(d, "chrome.json")
    with open(chrome, "w") as fh:
        r = subprocess.run([EXE, *argv("chrome", "/dev/stdout")], stdout=fh, stderr=subprocess.PIPE, timeout=600)
    try:
        with open(chrome) as fh:
            json.load(fh)
    except ValueError as e:
        check(False, "export --chrome /dev/stdout > file: not valid JSON: %s" % e)
    # A pipe is written straight into (no scratch file), and a reader that stops early (SIGPIPE)
    # leaves nothing in TMPDIR either (review BF M3).
    private = os.path.join(tmp, "private-tmpdir")
    os.mkdir(private)
    for name in ("chrome", "synth"):
        r = subprocess.run(["sh", "-c", "%s | head -c 10 > /dev/null" % quoted([EXE] + argv(name, "/dev/stdout"))],
                           env=dict(os.environ, TMPDIR=private), timeout=600)
        check(os.listdir(private) == [], "%s -o /dev/stdout | head: left %s in TMPDIR" % (name, os.listdir(private)))
    db = os.path.join(d, "db.out")
    with open(db, "w") as fh:
        r = subprocess.run([EXE, "export", trace, "--sqlite", "/dev/stdout"], stdout=fh, stderr=subprocess.PIPE,
                           text=True, timeout=600)
    check(r.returncode == 1 and "regular file" in r.stderr and os.path.getsize(db) == 0,
          "export --sqlite /dev/stdout > file: rc %d, %d bytes: %s" % (r.returncode, os.path.getsize(db), r.stderr))
    no_partials(d, "stdout")

    # SQLite is renamed into place: refused on a device or FIFO before anything is written.
    d = os.path.join(tmp, "sqlite")
    os.mkdir(d)
    fifo = os.path.join(d, "pipe")
    os.mkfifo(fifo)
    r = run("export", trace, "--sqlite", fifo)
    check(r.returncode == 1 and "FIFO" in r.stderr and "regular file" in r.stderr,
          "export --sqlite FIFO: rc %d: %s" % (r.returncode, r.stderr.strip()))
    check(stat.S_ISFIFO(os.lstat(fifo).st_mode), "export --sqlite FIFO: the FIFO was replaced")
    no_partials(d, "sqlite")

if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("ok")
