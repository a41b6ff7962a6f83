"""What `record` does when its output file cannot hold the recording (review SG), with real recorders:
- H1: a second recorder given the -o another recording is being written into is refused (exit 1,
  naming the first recorder's pid, its command never run) instead of truncating the file under the
  first (both exited 0, "recorded ... into same.itrace", and the file was unreadable); the first
  recording stays whole, and once it has ended the same -o records again;
- M4: the output deleted (its directory removed), replaced, or truncated by another process while
  it is written: exit 1 saying so (the summary had said "recorded 3.00 s into gone/x.itrace", exit 0);
- M1: a write that fails (here a file size limit, RLIMIT_FSIZE, with SIGXFSZ ignored: EFBIG, as a
  full disk's ENOSPC) stops the recording as a stop does: the command is ended (it ran on untraced
  while record exited at once), the summary is printed with the file's own event counts, the file
  is cut back to a whole record, exit 1; a failure at the very end keeps the summary and the
  command's status in it.
The file is read by this test's own parser of docs/recording-format.md. Skips (77) when not root or
without kernel BTF."""
import os
import resource
import signal
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import EXE, check, failures, skip  # noqa: E402
from _record_prereq import process_alive, require_recorder, skip_unless_recording  # noqa: E402

require_recorder()
BASE = [EXE, "record", "--cuda", "uprobe"]
# docs/recording-format.md: record types and the summary's names for them.
META, END = 1, 9
NAMES = {2: "api", 3: "switch", 4: "wakeup", 5: "irq", 6: "syscall", 7: "task", 12: "fdname", 13: "loss",
         14: "untraced"}


def parse(path):
    """(records [(offset, type, payload)], whether the file ends exactly at a record's end)."""
    with open(path, "rb") as f:
        data = f.read()
    check(data[:8] == b"INFTRACE", f"{path}: no INFTRACE header")
    at = struct.unpack_from("<I", data, 12)[0] if len(data) >= 16 else len(data)
    recs = []
    while at + 8 <= len(data):
        typ, n = struct.unpack_from("<II", data, at)
        if at + 8 + n > len(data):
            break
        recs.append((at, typ, data[at + 8:at + 8 + n]))
        at += 8 + n
    return recs, at == len(data)


def meta(recs):
    out = {}
    for _, typ, p in recs:
        if typ == META:
            k = struct.unpack_from("<I", p, 0)[0]
            out[p[4:4 + k].decode()] = p[4 + k:].decode(errors="replace")
    return out


def summary_events(err):
    """The summary's `events:` line as {name: count}, the types with a count."""
    for line in err.splitlines():
        if line.startswith("events:"):
            w = line.split()[1:]
            return {w[i]: int(w[i + 1]) for i in range(0, len(w) - 1, 2) if int(w[i + 1])}
    return None


def wait_recording(path, p, timeout=120):
    """Until `path` holds a recording's header (the recorder opened it: probes loaded, lock taken)."""
    until = time.monotonic() + timeout
    while time.monotonic() < until and p.poll() is None:
        try:
            with open(path, "rb") as f:
                if f.read(8) == b"INFTRACE":
                    return True
        except OSError:
            pass
        time.sleep(0.05)
    return False


def waiting_command(go):
    return ["sh", "-c", f"while [ ! -e {go} ]; do sleep 0.05; done"]


def limited(nbytes):
    def pre():
        resource.setrlimit(resource.RLIMIT_FSIZE, (nbytes, nbytes))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    return pre


with tempfile.TemporaryDirectory() as tmp:
    ev = ["--events", "sched,syscall"]
    # H1: two recorders, one -o.
    same, go, marker = (os.path.join(tmp, n) for n in ("same.itrace", "go1", "marker"))
    a = subprocess.Popen(BASE + ev + ["-o", same, "--"] + waiting_command(go), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, start_new_session=True)
    opened = wait_recording(same, a)
    if not opened:
        out, err = a.communicate(timeout=120)
        skip_unless_recording(a.returncode, err)
    check(opened, "the first recorder never opened its output")
    b = subprocess.run(BASE + ev + ["-o", same, "--", "touch", marker], capture_output=True, text=True, timeout=300)
    check(b.returncode == 1, f"second recorder of the same -o: rc {b.returncode}, expected 1: {b.stderr}")
    # A recorder is told by its executable, ours (review S44 L4: any holder was called a recording).
    check(f"-o {same}: another recording into this file is in progress (infertrace, pid {a.pid})" in b.stderr,
          f"the refusal does not name the first recorder (pid {a.pid}): {b.stderr}")
    check("recorded" not in b.stderr, f"the refused recorder printed a summary: {b.stderr}")
    check(not os.path.exists(marker), "the refused recorder ran its command")
    open(go, "w").close()
    out, err = a.communicate(timeout=120)
    check(a.returncode == 0, f"first recorder: rc {a.returncode}: {err}")
    recs, whole = parse(same)
    check(whole and recs and recs[-1][1] == END, "the first recording is not whole (no END at a record boundary)")
    check(all(t in NAMES or t == META or t == END for _, t, _ in recs), "a record of unknown type in the first recording")
    m = meta(recs)
    check(m.get("traced.command") == "sh" and m.get("traced.pid", "").isdigit(), f"first recording's META: {m}")
    # The lock went with the first recorder: the same -o records again.
    c = subprocess.run(BASE + ev + ["-o", same, "--", "true"], capture_output=True, text=True, timeout=300)
    check(c.returncode == 0 and f"into {same} (" in c.stderr, f"-o after the first recorder ended: rc {c.returncode}: {c.stderr}")

    # M4: the output deleted, replaced, truncated while it is written.
    def changed_during(name, change):
        go = os.path.join(tmp, "go-" + name)
        out_path = change("path")
        p = subprocess.Popen(BASE + ev + ["-o", out_path, "--"] + waiting_command(go), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, start_new_session=True)
        check(wait_recording(out_path, p), f"{name}: the recorder never opened its output")
        time.sleep(0.3)
        change("now")
        time.sleep(0.5)  # the command's sleeps go on being recorded (written) after the change
        open(go, "w").close()
        out, err = p.communicate(timeout=120)
        return p.returncode, err

    gone = os.path.join(tmp, "gone")
    os.mkdir(gone)

    def rm_dir(when):
        if when == "path":
            return os.path.join(gone, "x.itrace")
        subprocess.run(["rm", "-rf", gone], check=True)
    rc, err = changed_during("deleted", rm_dir)
    lines = err.strip().splitlines()
    check(rc == 1, f"output deleted meanwhile: rc {rc}, expected 1: {err}")
    check(lines and lines[-1].startswith("infertrace: error:") and "was deleted while it was being written" in lines[-1],
          f"output deleted meanwhile: no error saying so last: {err}")
    check(f"into {gone}/x.itrace (" not in err and "command exit status: 0" in err,
          f"output deleted meanwhile: the summary claims the file, or lost the command's status: {err}")

    rep = os.path.join(tmp, "rep.itrace")
    other = b"INFTRACE" + b"someone else's file"

    def replace(when):
        if when == "path":
            return rep
        with open(rep + ".new", "wb") as f:
            f.write(other)
        os.replace(rep + ".new", rep)
    rc, err = changed_during("replaced", replace)
    check(rc == 1 and "now refers to another file" in err, f"output replaced meanwhile: rc {rc}: {err}")
    with open(rep, "rb") as f:
        check(f.read() == other, "the file put in the recording's place was written to")

    trunc = os.path.join(tmp, "trunc.itrace")

    def truncate(when):
        if when == "path":
            return trunc
        os.truncate(trunc, 0)
    rc, err = changed_during("truncated", truncate)
    check(rc == 1 and "another process wrote into the file or truncated it" in err,
          f"output truncated meanwhile: rc {rc}: {err}")

    # M1: a write fails mid-recording (a file size limit: EFBIG). The command would run until the
    # go file exists, which the test creates only after record has returned.
    limit = 256 * 1024
    full, go = os.path.join(tmp, "full.itrace"), os.path.join(tmp, "go-full")
    busy = ["sh", "-c", f"while [ ! -e {go} ]; do /bin/true; done"]
    t0 = time.monotonic()
    # Output to files, not pipes: a command left running would hold a pipe open, and record's end
    # is what is waited for.
    with open(os.path.join(tmp, "full.out"), "w+") as out, open(os.path.join(tmp, "full.err"), "w+") as err:
        try:
            p = subprocess.Popen(BASE + ev + ["-o", full, "--"] + busy, stdout=out, stderr=err,
                                 preexec_fn=limited(limit), start_new_session=True)
            p.wait(timeout=300)
            took = time.monotonic() - t0
            recs, whole = parse(full)
            m = meta(recs)
            cmd_pid = int(m.get("traced.pid", "0"))
            still = cmd_pid > 0 and process_alive(cmd_pid)
        finally:
            open(go, "w").close()  # whatever happened, the command ends now
        err.seek(0)
        p.stderr = err.read()
    check(p.returncode == 1, f"write failure: rc {p.returncode}, expected 1 (took {took:.1f} s): {p.stderr}")
    check(cmd_pid > 0 and not still, f"write failure: the command (pid {cmd_pid}) still ran after record returned")
    check("write failed: File too large" in p.stderr and "the recording stops here" in p.stderr,
          f"write failure: not said: {p.stderr}")
    lines = p.stderr.strip().splitlines()
    check(lines and lines[-1].startswith("infertrace: error:") and "write failed" in lines[-1],
          f"write failure: the error is not the last line: {p.stderr}")
    check("cut short by a failed write" in p.stderr and "command exit status:" in p.stderr,
          f"write failure: the summary is missing: {p.stderr}")
    check(os.path.getsize(full) <= limit and whole and all(t != END for _, t, _ in recs),
          f"write failure: the file is not a whole-record prefix within the limit ({os.path.getsize(full)} bytes)")
    in_file = {}
    for _, t, _ in recs:
        if t in NAMES:
            in_file[NAMES[t]] = in_file.get(NAMES[t], 0) + 1
    said = summary_events(p.stderr)
    check(said == in_file, f"write failure: summary events {said} are not the file's {in_file}")
    # Only types with a record kept are listed, as in any summary (review S44 L2: "fdname 0 irq 0").
    ev_line = next((line for line in p.stderr.splitlines() if line.startswith("events:")), "")
    check(not any(w == "0" for w in ev_line.split()[2::2]), f"write failure: zero counts listed: {ev_line!r}")

    # Review S44 L2: a limit of 8 KiB reached early (the file's header and META fill most of it):
    # whole types are discarded, and the summary lists only the types with a record kept.
    small = os.path.join(tmp, "small.itrace")
    r = subprocess.run([EXE, "record", "-o", small, "--", "sh", "-c", "for i in 1 2 3 4 5 6 7 8; do ls / >/dev/null; done"],
                       capture_output=True, text=True, timeout=300, preexec_fn=limited(8192))
    ev_line = next((line for line in r.stderr.splitlines() if line.startswith("events:")), "")
    recs, _ = parse(small)
    in_file = {}
    for _, t, _ in recs:
        if t in NAMES:
            in_file[NAMES[t]] = in_file.get(NAMES[t], 0) + 1
    check(r.returncode == 1 and summary_events(r.stderr) == in_file and
          not any(w == "0" for w in ev_line.split()[2::2]),
          f"8 KiB limit: rc {r.returncode}, events line {ev_line!r}, file {in_file}")

    # M1, at the very end: every event written, the summary META cut. The limit is set from a
    # complete recording of the same command: half-way into its summary META.
    end_cmd = ["sh", "-c", "exit 4"]
    ev1 = ["--events", "syscall"]
    r0 = subprocess.run(BASE + ev1 + ["-o", os.path.join(tmp, "end0.itrace"), "--"] + end_cmd, capture_output=True,
                        text=True, timeout=300)
    check(r0.returncode == 4, f"complete recording of exit 4: rc {r0.returncode}: {r0.stderr}")
    recs0, _ = parse(os.path.join(tmp, "end0.itrace"))
    kernel_at = [o for o, t, pl in recs0 if t == META and pl[4:4 + struct.unpack_from("<I", pl, 0)[0]] == b"kernel"]
    size0 = os.path.getsize(os.path.join(tmp, "end0.itrace"))
    check(len(kernel_at) == 1, "the complete recording has no summary META")
    if kernel_at:
        cut = kernel_at[0] + (size0 - kernel_at[0]) // 2
        for attempt in range(3):  # the events' size may differ by a record between runs
            end = os.path.join(tmp, f"end{attempt + 1}.itrace")
            r = subprocess.run(BASE + ev1 + ["-o", end, "--"] + end_cmd, capture_output=True, text=True, timeout=300,
                               preexec_fn=limited(cut))
            recs, whole = parse(end)
            exits = [pl for _, t, pl in recs if t == 7 and struct.unpack_from("<I", pl, 24)[0] == 3]
            if "the recording stops here" not in r.stderr and exits:
                break
        check(r.returncode == 1 and "write failed: File too large" in r.stderr.strip().splitlines()[-1],
              f"failure at the end: rc {r.returncode}: {r.stderr}")
        check("command exit status: 4" in r.stderr, f"failure at the end: the command's status is lost: {r.stderr}")
        check(whole and exits and all(t != END for _, t, _ in recs) and os.path.getsize(end) <= cut,
              "failure at the end: the file is not every event plus a whole-record part of the summary")
        in_file = {}
        for _, t, _ in recs:
            if t in NAMES:
                in_file[NAMES[t]] = in_file.get(NAMES[t], 0) + 1
        check(summary_events(r.stderr) == in_file, f"failure at the end: summary {summary_events(r.stderr)} vs file {in_file}")

if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("ok")
