"""Names longer than a display limit are cut between UTF-8 characters, never inside one, and a file
name that is not UTF-8 is written into JSON, HTML and SQLite as text (review CX M1). Before, a cut
inside "é" made `analyze --json` and `fusion --json` exit 1 with nlohmann's "invalid UTF-8 byte"
and print nothing, and `bad\\xffname.json` did the same to analyze, fusion, ingest, sweep and
compare. Every output here must decode as strict UTF-8 and JSON; the expected display names are the
input's names cut to terminal columns here (text_table.h: 60 for a table, 40 in a fusion chain), the
widths taken from Python's own Unicode database (util/display_width.h: a CJK character or emoji is 2
columns, a combining mark 0)."""
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import unicodedata

sys.path.insert(0, os.path.dirname(__file__))
from _harness import EXE, check, failures  # noqa: E402


def run_bytes(*args):
    """The verb's exit code and its stdout / stderr as bytes (no decoding that would hide a bad byte)."""
    return subprocess.run([EXE, *args], capture_output=True, timeout=600)


def strict_text(data, what):
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        check(False, f"{what}: not UTF-8: {e}")
        return ""


def strict_json(r, what):
    check(r.returncode == 0, f"{what}: exit {r.returncode}: {r.stderr[-300:]!r}")
    text = strict_text(r.stdout, what)
    try:
        return json.loads(text)
    except ValueError as e:
        check(False, f"{what}: not JSON ({e}): {text[:200]!r}")
        return {}


def width(text):
    """Terminal columns: 0 for general category Mn, Me, Cf; 2 for East_Asian_Width W or F; else 1."""
    return sum(0 if unicodedata.category(ch) in ("Mn", "Me", "Cf") else
               2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def shown(name, limit):
    """A display name: whole when it fits, else the characters that fit in limit-3 columns, a space
    where a wide character would straddle that limit, and "..."."""
    if width(name) <= limit:
        return name
    out, cols = "", 0
    for ch in name:
        if cols + width(ch) > limit - 3:
            break
        out, cols = out + ch, cols + width(ch)
    return out + " " * (limit - 3 - cols) + "..."


E40 = "é" * 40                 # 80 bytes, 40 characters: fits a table (60), not a chain (40)
E80 = "é" * 80                 # 160 bytes: cut in both
CJK = "模型前向" * 20           # 3-byte characters, 2 columns each: cut to 28 and a space
EMOJI = "\U0001F600" * 50      # 4-byte characters, 2 columns each
NAMES = [E40, E80, CJK, EMOJI]


def trace(kernels):
    """One operator; per kernel name one launch call and its kernel, twice over (so fusion sees chains)."""
    ev = [{"ph": "X", "cat": "cpu_op", "name": "aten::mm", "pid": 1, "tid": 1, "ts": 100, "dur": 5000, "args": {}}]
    ts, corr = 110, 1
    for _ in range(3):
        for name in kernels:
            ev.append({"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "pid": 1, "tid": 1, "ts": ts,
                       "dur": 5, "args": {"correlation": corr}})
            ev.append({"ph": "X", "cat": "kernel", "name": name, "pid": 0, "tid": 7, "ts": ts + 10, "dur": 5,
                       "args": {"device": 0, "stream": 7, "correlation": corr}})
            ts, corr = ts + 20, corr + 1
    return {"schemaVersion": 1, "traceEvents": ev}


with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "utf8.json")
    with open(path, "w") as f:
        json.dump(trace(NAMES), f)

    # analyze --json: every short name is its name cut to 60 columns.
    j = strict_json(run_bytes("analyze", path, "--json"), "analyze --json")
    got = {k.get("name"): k.get("short_name") for k in j.get("kernel_stats", [])}
    check(set(got) == set(NAMES), f"analyze: kernels {sorted(map(len, got))}")
    for name in NAMES:
        check(got.get(name) == shown(name, 60), f"analyze: short name of {len(name)} x {name[0]!r}: {got.get(name)!r}")

    # analyze (text): UTF-8, and the kernel table's columns line up (padding counts columns).
    r = run_bytes("analyze", path)
    check(r.returncode == 0, f"analyze exit {r.returncode}")
    text = strict_text(r.stdout, "analyze text")
    lines = text.splitlines()
    head = lines.index("Top kernels by total time") + 1 if "Top kernels by total time" in lines else 0
    table = lines[head:head + 2 + len(NAMES)]  # header, rule, one row per kernel
    rows = table[2:]
    check(len(rows) == len(NAMES) and all(any(ln.startswith(shown(n, 48) + " ") for n in NAMES) for ln in rows),
          f"analyze text: kernel rows {rows}")
    # Every column is padded to its widest cell, the last one right-aligned: a header and every row
    # are as wide on a terminal (byte padding left the non-ASCII rows short, character padding the
    # CJK and emoji rows long).
    check(len({width(ln) for ln in table[:1] + rows}) == 1, f"analyze text: row widths {[width(ln) for ln in table]}")

    # fusion --json: the chain is the kernels' names cut to 40 columns.
    j = strict_json(run_bytes("fusion", path, "--json", "--lengths", "2"), "fusion --json")
    cands = j.get("candidates", [])
    check(len(cands) > 0, "fusion: no candidate")
    for c in cands:
        want = " -> ".join(shown(k, 40) for k in c.get("kernels", []))
        check(c.get("chain") == want, f"fusion: chain {c.get('chain')!r}, want {want!r}")
    r = run_bytes("fusion", path, "--lengths", "2")
    check(r.returncode == 0 and shown(E80, 40) in strict_text(r.stdout, "fusion text"), f"fusion text exit {r.returncode}")

    # report: the page is UTF-8.
    page = os.path.join(d, "r.html")
    r = run_bytes("report", path, "-o", page)
    check(r.returncode == 0, f"report exit {r.returncode}: {r.stderr[-300:]!r}")
    if r.returncode == 0:
        with open(page, "rb") as f:
            strict_text(f.read(), "report page")

    # A file name that is not UTF-8: its bad byte reads '?' in every document, and the figures stay.
    plain = trace(["gemm", "relu"])
    raw = os.path.join(os.fsencode(d), b"bad\xffname_bs1.json")
    raw2 = os.path.join(os.fsencode(d), b"other_bs2.json")
    for p in (raw, raw2):
        with open(p, "w") as f:
            json.dump(plain, f)
    want_file = raw.decode("utf-8", "replace").replace("\ufffd", "?")
    check(want_file.endswith("bad?name_bs1.json"), f"expected name {want_file!r}")
    j = strict_json(run_bytes("analyze", raw, "--json"), "analyze bad path")
    check(j.get("file") == want_file and j.get("kernels") == 6, f"analyze bad path: file {j.get('file')!r}, kernels {j.get('kernels')}")
    j = strict_json(run_bytes("analyze", raw2, raw, "--json"), "analyze two traces")
    files = [t.get("file") for t in j.get("traces", [])]
    check(files == [os.fsdecode(raw2), want_file], f"analyze two traces: files {files}")
    j = strict_json(run_bytes("fusion", raw, "--json"), "fusion bad path")
    check(j.get("trace") == want_file, f"fusion bad path: trace {j.get('trace')!r}")
    j = strict_json(run_bytes("ingest", raw, "--json"), "ingest bad path")
    check(j.get("file") == want_file, f"ingest bad path: file {j.get('file')!r}")
    j = strict_json(run_bytes("sweep", raw, raw2, "--json"), "sweep bad path")
    check([p.get("source") for p in j.get("points", [])] == [want_file, os.fsdecode(raw2)],
          f"sweep bad path: {[p.get('source') for p in j.get('points', [])]}")
    r = run_bytes("compare", raw, raw2, "--json")
    strict_json(r, "compare bad path")
    r = run_bytes("report", raw, "-o", page)
    check(r.returncode == 0, f"report bad path exit {r.returncode}")
    if r.returncode == 0:
        with open(page, "rb") as f:
            check("bad?name_bs1.json" in strict_text(f.read(), "report bad path"), "report bad path: name not shown")
    db = os.path.join(d, "t.sqlite")
    r = run_bytes("export", raw, "--sqlite", db)
    check(r.returncode == 0, f"export bad path exit {r.returncode}: {r.stderr[-300:]!r}")
    if r.returncode == 0:
        con = sqlite3.connect(db)
        try:
            files = [row[0] for row in con.execute("SELECT value FROM meta WHERE key = 'file'")]
            check(files == [want_file], f"sqlite file {files!r}")
        except sqlite3.Error as e:
            check(False, f"sqlite: {e}")
        con.close()

if failures:
    sys.exit(1)
print("ok")
