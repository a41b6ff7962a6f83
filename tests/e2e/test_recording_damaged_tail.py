"""A recording whose record lengths were damaged (review BD L4), read by `analyze`:
(a) a damaged length followed by whole records and then a record cut off (the recorder killed
afterwards) is corruption: exit 1 naming the damaged record's offset, not a "cut-off tail" that
drops the rest of the file; (b) the last event's length damaged with only the END record after it
keeps the records before it, and the note does not claim there is no end record, since there is
one; (c) zeros after the last whole record, or from inside the last record (a crash before the last
blocks reached the disk), keep the records before them with a note that says so. A plain cut-off file keeps its "no end record" note."""
import os
import struct
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from _harness import check, failures, run  # noqa: E402


def rec(rtype, payload):
    return struct.pack("<II", rtype, len(payload)) + payload


def meta(key, value):
    return rec(1, struct.pack("<I", len(key)) + key + value)


def syscall(i):  # type, cpu, ts, pid, tid, then dur, ret, nr, fd+1: 48 bytes
    return rec(6, struct.pack("<IIQII", 6, 0, 1_000_000 + i * 1000, 100, 100) + struct.pack("<QqII", 500, 0, 0, 0))


HEADER = b"INFTRACE" + struct.pack("<II", 2, 16)
END = rec(9, b"")
body = [meta(b"traced.command", b"/bin/x")] + [syscall(i) for i in range(20)]


def damaged(records, index, length):
    buf = bytearray(HEADER + b"".join(records))
    at = 16 + sum(len(r) for r in records[:index])
    buf[at + 4:at + 8] = struct.pack("<I", length)
    return bytes(buf), at


with tempfile.TemporaryDirectory() as tmp:
    # (a) record 5's length damaged, then the recorder killed 20 bytes into the last record.
    data, at = damaged(body, 5, 60000)
    path = os.path.join(tmp, "damaged_then_cut.itrace")
    with open(path, "wb") as f:
        f.write(data[:-20])
    r = run("analyze", path)
    check(r.returncode == 1 and "corrupt record length" in r.stderr and str(at) in r.stderr,
          "damaged then cut: exit %d, stderr %r" % (r.returncode, r.stderr[-300:]))

    # (b) the last syscall's length damaged, then the END record.
    data, at = damaged(body + [END], len(body) - 1, 60000)
    path = os.path.join(tmp, "damaged_last_then_end.itrace")
    with open(path, "wb") as f:
        f.write(data)
    r = run("analyze", path)
    check(r.returncode == 0, "damaged last then END: exit %d %r" % (r.returncode, r.stderr[-300:]))
    check("no end record" not in r.stderr and "ends in an END record" in r.stderr,
          "damaged last then END: note %r" % r.stderr[-400:])

    # A plain cut keeps its note.
    path = os.path.join(tmp, "cut.itrace")
    with open(path, "wb") as f:
        f.write((HEADER + b"".join(body))[:-20])
    r = run("analyze", path)
    check(r.returncode == 0 and "no end record" in r.stderr, "plain cut: exit %d %r" % (r.returncode, r.stderr[-300:]))

    # (c) a crash before the last blocks reached the disk: zeros after the last whole record.
    path = os.path.join(tmp, "zero_tail.itrace")
    with open(path, "wb") as f:
        f.write(HEADER + b"".join(body) + bytes(8192))
    r = run("analyze", path, "--json")
    # The last syscall ends in zero bytes of its own (ret, nr, fd+1), so the zeros may have begun
    # inside it: it is left out with them (56 bytes).
    check(r.returncode == 0 and "it ends in zeros" in r.stderr and "the last %d bytes" % (8192 + 56) in r.stderr
          and "no end record" not in r.stderr,
          "zero-filled tail: exit %d %r" % (r.returncode, r.stderr[-300:]))

    # (d) the zeros begin inside the last syscall record (at a block boundary, not a record's start):
    # that record is left out with them, no syscall or thread with zeroed fields appears.
    whole = HEADER + b"".join(body)
    data = whole[:-40] + bytes(40 + 4096)
    path = os.path.join(tmp, "zero_inside.itrace")
    with open(path, "wb") as f:
        f.write(data)
    r = run("analyze", path, "--json")
    check(r.returncode == 0 and "it ends in zeros" in r.stderr and "the last %d bytes" % (56 + 4096) in r.stderr,
          "zeros inside the last record: exit %d %r" % (r.returncode, r.stderr[-300:]))
    out = os.path.join(tmp, "csv")
    r = run("export", path, "--csv", out)
    rows = open(os.path.join(out, "syscalls.csv")).read().splitlines()[1:] if r.returncode == 0 else []
    check(len(rows) == 19 and all(not row.startswith("0,") for row in rows),
          "zeros inside the last record: %d syscalls %r" % (len(rows), rows[-1:]))

if failures:
    sys.exit(1)
print("ok")
