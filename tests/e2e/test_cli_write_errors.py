"""Input the tool cannot use and output it cannot write both end in one error line and exit 1
(audit EW): standard output on a full disk (/dev/full) once ended with exit 0 and an empty or cut
file; an endless stream that is no trace (/dev/zero) was read until memory ran out; a file of no
stated size with content (/proc) was "empty"; a trace through a pipe is still read whole."""
import gzip
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from _harness import EXE, check, failures, run  # noqa: E402

src = os.environ.get("INFERTRACE_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
trace = os.path.join(src, "examples", "traces", "gpt2_prefill_bs1.json.gz")


def to_full(*args):
    with open("/dev/full", "w") as full:
        return subprocess.run([EXE, *args], stdout=full, stderr=subprocess.PIPE, text=True, timeout=600)


# Standard output that cannot be written: every verb that prints to it (short and long output).
for args in (["analyze", trace], ["analyze", "--json", trace], ["fusion", "--csv", trace], ["ingest", "--json", trace],
             ["sweep", "--json", trace, trace.replace("bs1", "bs2")], ["--version"], ["analyze", "--help"]):
    r = to_full(*args)
    last = r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ""
    # Why, too: a write that failed before the final flush (the buffer filled; `--version` and
    # `--help` flush as they print) once left only "a write to it failed" (review CA L11).
    check(r.returncode == 1 and last == "infertrace: error: cannot write standard output: No space left on device",
          "%s > /dev/full: rc %d, stderr %r" % (" ".join(args[:2]), r.returncode, r.stderr[-300:]))

# A pipe whose reader is gone, with SIGPIPE ignored (as a shell's `trap '' PIPE` leaves it): the
# write's own error, short output and long.
for args in (["--version"], ["analyze", "--json", trace]):
    gone, pipe_in = os.pipe()
    os.close(gone)
    try:
        r = subprocess.run([EXE, *args], stdout=pipe_in, stderr=subprocess.PIPE, text=True, timeout=600,
                           restore_signals=False)
    finally:
        os.close(pipe_in)
    check(r.returncode == 1 and r.stderr.strip().splitlines()[-1:] == ["infertrace: error: cannot write standard output: Broken pipe"],
          "%s into a closed pipe: rc %d, stderr %r" % (" ".join(args[:2]), r.returncode, r.stderr[-300:]))

# The same verbs to a writable file still succeed, with the output whole.
ok = run("analyze", "--json", trace)
check(ok.returncode == 0 and json.loads(ok.stdout).get("launch_calls", 0) > 0, "analyze --json to a pipe: %r" % ok.stderr)

# Endless streams that are no trace: refused from their first bytes (a timeout is a failure).
for dev in ("/dev/zero", "/dev/urandom"):
    try:
        r = run("analyze", dev, timeout=60)
        check(r.returncode == 1 and "unknown format" in r.stderr, "analyze %s: rc %d %r" % (dev, r.returncode, r.stderr))
    except subprocess.TimeoutExpired:
        check(False, "analyze %s read on for 60 s" % dev)
# Endless random bytes after a JSON opener (what /dev/urandom gives 2 times in 256): refused from
# the bytes after it, every run, not by the luck of /dev/urandom's first byte.
for opener in (b"{", b"["):
    noise = subprocess.Popen(["sh", "-c", "printf '%s'; exec cat /dev/urandom" % opener.decode()], stdout=subprocess.PIPE)
    try:
        r = subprocess.run([EXE, "analyze", "/dev/stdin"], stdin=noise.stdout, capture_output=True, text=True, timeout=60)
        check(r.returncode == 1 and "not JSON text" in r.stderr, "analyze of %r + noise: rc %d %r" % (opener, r.returncode, r.stderr))
    except subprocess.TimeoutExpired:
        check(False, "analyze of %r + endless noise read on for 60 s" % opener)
    finally:
        noise.kill()
        noise.wait()
# Endless white space: nothing but it in the first MiB is no trace.
blanks = subprocess.Popen(["yes", ""], stdout=subprocess.PIPE)
try:
    r = subprocess.run([EXE, "analyze", "/dev/stdin"], stdin=blanks.stdout, capture_output=True, text=True, timeout=60)
    check(r.returncode == 1 and "only white space" in r.stderr, "analyze of endless white space: rc %d %r" %
          (r.returncode, r.stderr))
except subprocess.TimeoutExpired:
    check(False, "analyze of endless white space read on for 60 s")
finally:
    blanks.kill()
    blanks.wait()
# The same streams gzip'ed: judged by the first bytes they inflate to, not read to their end first
# (an endless `cat /dev/zero | gzip` was read until memory ran out).
for label, producer, want in (("zeros", "cat /dev/zero", "unknown format"), ("white space", "yes ''", "only white space"),
                              ("'{' + noise", "printf '{'; exec cat /dev/urandom", "not JSON text")):
    packer = subprocess.Popen(["sh", "-c", "(%s) | gzip -1 -c" % producer], stdout=subprocess.PIPE, start_new_session=True)
    try:
        r = subprocess.run([EXE, "analyze", "/dev/stdin"], stdin=packer.stdout, capture_output=True, text=True, timeout=60)
        check(r.returncode == 1 and want in r.stderr, "analyze of endless gzip'ed %s: rc %d %r" % (label, r.returncode, r.stderr))
    except subprocess.TimeoutExpired:
        check(False, "analyze of endless gzip'ed %s read on for 60 s" % label)
    finally:
        os.killpg(packer.pid, 9)
        packer.wait()
# Endless streams that start as gzip but are none (review DI M2, L1): refused from their first
# bytes too, not read to an end that never comes: data zlib refuses, a header whose file name never
# ends, endless empty members.
empty_member = gzip.compress(b"")
for label, head, tail, want in (
        ("corrupt deflate data", b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xff\xff\xff", "cat /dev/zero", "corrupt gzip data"),
        ("a file name that never ends", b"\x1f\x8b\x08\x08\x00\x00\x00\x00\x00\x03", "exec yes", "no data in its first MiB"),
        ("endless empty members", empty_member, None, "no data in its first MiB")):
    feeder = subprocess.Popen([sys.executable, "-c", "import sys\nh=sys.stdin.buffer.read()\nsys.stdout.buffer.write(h)\n" +
                               ("sys.stdout.buffer.flush()\n" if tail else "while True: sys.stdout.buffer.write(h)\n")],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE) if tail is None else None
    if tail is None:
        feeder.stdin.write(head)
        feeder.stdin.close()
        src_out = feeder.stdout
    else:
        fname = os.path.join(os.environ.get("TMPDIR", "/tmp"), "gzhead_%d.bin" % os.getpid())
        with open(fname, "wb") as f:
            f.write(head)
        feeder = subprocess.Popen(["sh", "-c", "cat %s; %s" % (fname, tail)], stdout=subprocess.PIPE, start_new_session=True)
        src_out = feeder.stdout
    try:
        r = subprocess.run([EXE, "analyze", "/dev/stdin"], stdin=src_out, capture_output=True, text=True, timeout=60)
        check(r.returncode == 1 and want in r.stderr, "analyze of endless gzip with %s: rc %d %r" % (label, r.returncode, r.stderr))
    except subprocess.TimeoutExpired:
        check(False, "analyze of endless gzip with %s read on for 60 s" % label)
    finally:
        try:
            os.killpg(feeder.pid, 9)
        except (ProcessLookupError, PermissionError):
            feeder.kill()
        feeder.wait()
        if tail is not None:
            os.unlink(fname)
r = run("analyze", "/dev/null")
check(r.returncode == 1 and "empty input" in r.stderr, "analyze /dev/null: rc %d %r" % (r.returncode, r.stderr))
# procfs states size 0 for a file with content: it is read, and refused for what it is.
r = run("analyze", "/proc/self/status")
check(r.returncode == 1 and "unknown format" in r.stderr, "analyze /proc/self/status: rc %d %r" % (r.returncode, r.stderr))

# A trace through a pipe, plain and gzip, gives what the file gives.
with open(trace, "rb") as f:
    packed = f.read()
want = json.loads(ok.stdout)
for name, data in (("gzip", packed), ("plain", gzip.decompress(packed))):
    p = subprocess.run([EXE, "analyze", "--json", "/dev/stdin"], input=data, capture_output=True, timeout=600)
    check(p.returncode == 0, "%s through a pipe: rc %d %r" % (name, p.returncode, p.stderr[-300:]))
    if p.returncode == 0:
        got = json.loads(p.stdout)
        for k in want:
            if k != "file":
                check(got.get(k) == want[k], "%s through a pipe: %s %r, the file gives %r" % (name, k, got.get(k), want[k]))
# A stream holding only the recording header's first bytes is no recording and no JSON.
p = subprocess.run([EXE, "analyze", "/dev/stdin"], input=b"INFT", capture_output=True, timeout=600)
check(p.returncode == 1 and b"unknown format" in p.stderr, "a stream of 'INFT': rc %d %r" % (p.returncode, p.stderr))

if failures:
    print("FAILED:\n  " + "\n  ".join(failures))
    sys.exit(1)
print("ok")
