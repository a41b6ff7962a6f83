"""`infertrace record` says so when it probes a CUDA library that a traced process mapped after the
recording started (review AC M1: launches made right after a dlopen were lost until the next 0.25 s
library scan, and nothing said so). The workload (tests/support/fakecuda/dlopen_late.c) dlopens a
fake runtime (a copy of libfakecudart.so named libcudart.so.12, so that the scan takes it for a CUDA
runtime), makes BURST cudaGraphLaunch calls at once, waits until this test saw record's warning that it
probed the library (a fixed 1.5 s pause failed on a loaded machine, where a scan came later), makes
BURST more, and prints CLOCK_MONOTONIC stamps taken before the dlopen and before the second burst.
The control run pauses 1.5 s.

Checks: a warning on stderr names the library, the pid that mapped it and says the launches before
it were not recorded; the summary's `probed:` line says the same; META library.<n> is the file, its
probed_late_ns lies between the two stamps and mapped_by_pid is the workload's pid; every call of
the second burst is recorded, at most BURST before it. Control: the same run with the copy named by
--lib (probed from the start) gives no such warning or META key and records all 2 x BURST calls.
Skips (77) without root, kernel BTF or the record verb."""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import EXE, check, failures  # noqa: E402
from _record_prereq import recorded_json, require_recorder  # noqa: E402

require_recorder()

fake = os.path.join(os.environ["INFERTRACE_BINARY_DIR"], "tests", "support", "fakecuda")
BURST = 1000
LATE = "after the recording started"


def run(tmp, name, lib, extra, wait_for_warning):
    rec = os.path.join(tmp, name + ".itrace")
    env = dict(os.environ, LD_LIBRARY_PATH=fake)
    go = os.path.join(tmp, name + ".go")
    p = subprocess.Popen([EXE, "record", "-o", rec, "--events", "launch", "--cuda", "uprobe", *extra,
                          "--", os.path.join(fake, "fakecuda_dlopen_late"), lib, str(BURST),
                          go if wait_for_warning else "1500"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    err_lines = []

    def read_stderr():
        for line in p.stderr:
            err_lines.append(line)
            if LATE in line:
                open(go, "w").close()  # the workload's second burst may start

    reader = threading.Thread(target=read_stderr)
    reader.start()
    out = p.stdout.read()
    p.wait(timeout=300)
    reader.join()
    r = subprocess.CompletedProcess(p.args, p.returncode, out, "".join(err_lines))
    made = recorded_json(r, f"{name}: record")
    check(made.get("first") == BURST and made.get("second") == BURST, f"{name}: the workload reports its calls: {r.stdout!r}")
    db = os.path.join(tmp, name + ".sqlite")
    e = subprocess.run([EXE, "export", "--sqlite", db, rec], capture_output=True, text=True, timeout=300)
    check(e.returncode == 0, f"{name}: export --sqlite: {e.stderr}")
    con = sqlite3.connect(db)
    try:
        ts = [row[0] for row in con.execute("SELECT ts_ns FROM api_call WHERE name = 'cudaGraphLaunch'")]
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
    finally:
        con.close()
    return r.stderr, made, ts, meta


with tempfile.TemporaryDirectory() as tmp:
    lib = os.path.join(tmp, "libcudart.so.12")
    shutil.copyfile(os.path.join(fake, "libfakecudart.so"), lib)

    err, made, ts, meta = run(tmp, "late", lib, [], True)
    warnings = [line for line in err.splitlines() if LATE in line]
    check(len(warnings) == 1 and lib in warnings[0] and f"pid {made.get('pid')}" in warnings[0]
          and "not recorded" in warnings[0], f"one warning naming {lib} and its pid: {warnings} (stderr {err!r})")
    check(any(line.startswith("probed: " + lib) and "earlier launches are not recorded" in line
              for line in err.splitlines()), f"the summary's probed: line says it was probed late: {err!r}")
    keys = [k for k, v in meta.items() if v == lib and k.startswith("library.")]
    check(len(keys) == 1, f"META library.<n> = {lib}: {keys}")
    if keys and made:
        late = int(meta.get(keys[0] + ".probed_late_ns", "0"))
        check(made["open_ns"] <= late <= made["second_ns"],
              f"probed_late_ns {late} not between the dlopen ({made['open_ns']}) and the second burst ({made['second_ns']})")
        check(meta.get(keys[0] + ".mapped_by_pid") == str(made["pid"]), f"mapped_by_pid {meta.get(keys[0] + '.mapped_by_pid')}")
        after = sum(1 for t in ts if t >= made["second_ns"])
        before = len(ts) - after
        check(after == made["second"], f"second burst: made {made['second']}, recorded {after}")
        check(before <= made["first"], f"first burst: made {made['first']}, recorded {before}")
        # Review DH L6: a window that starts at or after the probe holds every launch made through
        # the library, so its figures are not partial; one that starts before it still is.
        # (fusion --decode-window cuts the recording to an engine run document's window.)
        rec = os.path.join(tmp, "late.itrace")
        for label, start, partial in (("from the second burst", made["second_ns"], False),
                                      ("from the dlopen", made["open_ns"], True)):
            doc = os.path.join(tmp, "run.json")
            with open(doc, "w") as f:
                json.dump({"backend": "cuda", "n_decode_evals": 1,
                           "decode_window_ns": {"start": start, "end": made["second_ns"] + 3_600_000_000_000}}, f)
            fr = subprocess.run([EXE, "fusion", rec, "--decode-window", doc, "--json"], capture_output=True, text=True,
                                timeout=300)
            check(fr.returncode == 0, f"fusion --decode-window ({label}): exit {fr.returncode}: {fr.stderr}")
            if fr.returncode == 0:
                note = json.loads(fr.stdout).get("launch_partial_note")
                if partial:
                    check(note is not None and lib in note and "before it was probed" in note,
                          f"window {label}: launch_partial_note {note!r}")
                else:
                    check(note is None, f"window {label}: launch_partial_note {note!r}, want none")

    err, made, ts, meta = run(tmp, "control", lib, ["--lib", lib], False)
    check(not any(LATE in line for line in err.splitlines()), f"control (--lib): no late-probe warning: {err!r}")
    check(not any(k.endswith(".probed_late_ns") for k in meta), f"control: no probed_late_ns key: {sorted(meta)}")
    check(len(ts) == 2 * BURST, f"control: recorded {len(ts)} of {2 * BURST} launches")

sys.exit(1 if failures else 0)
