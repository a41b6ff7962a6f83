"""Review TI's findings on `record` under `bench interference`, end to end (root, eBPF):
- H1: the pinned and isolated scenarios ran `record -- taskset -c PIN [nice -n -10] CMD`, so record
  probed taskset/nice instead of CMD and missed CMD's own CUDA code (a statically linked cudart).
  `record --cpus LIST --nice N` now sets both in the child right before its exec: the child has the
  mask and nice (/proc/PID/status Cpus_allowed_list, /proc/PID/stat field 19) while record's own
  threads keep theirs, and a static stand-in (tests/support/fakecuda: fakecuda_static, the fake
  runtime linked into the executable) has every launch recorded, alone and in the bench's pinned and
  isolated runs (a fake `stress-ng` on PATH only sleeps: nothing loads the machine).
- L9 + M2: with --summary-file, record's warning about a library probed late goes to that file, not
  to the stderr the command shares; `sched --json` of that recording marks its rates per 1000
  launches upper bounds and says why (launch_partial_note names the library).
- L6: bench threads -r above 1000, -p + -n beyond the model's context and a --membw-mib beyond the
  machine's memory are usage errors (exit 2).
Skips (77) without root, kernel BTF or the record verb."""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import EXE, check, failures  # noqa: E402
from _record_prereq import require_recorder, skip_if_recorder_refused  # noqa: E402

require_recorder()

fake = os.path.join(os.environ["INFERTRACE_BINARY_DIR"], "tests", "support", "fakecuda")
static_app = os.path.join(fake, "fakecuda_static")
LAUNCHES = 2000


def launch_count(rec, tmp, what):
    """cudaLaunchKernel calls in a recording (export --sqlite)."""
    db = rec + ".sqlite"
    e = subprocess.run([EXE, "export", "--sqlite", db, rec], capture_output=True, text=True, timeout=300)
    check(e.returncode == 0, f"{what}: export --sqlite: {e.stderr}")
    if e.returncode != 0:
        return None
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT COUNT(*) FROM api_call WHERE name = 'cudaLaunchKernel'").fetchone()[0]
    finally:
        con.close()


def cpus_allowed(path):
    with open(path) as f:
        for line in f:
            if line.startswith("Cpus_allowed_list:"):
                return line.split(":", 1)[1].strip()
    return None


def nice_of(pid):
    with open(f"/proc/{pid}/stat") as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return int(rest[16])  # field 19 of stat; rest starts at field 3


allowed = sorted(os.sched_getaffinity(0))
pin = str(allowed[-1])
own_nice = os.nice(0)
own_mask = cpus_allowed("/proc/self/status")

with tempfile.TemporaryDirectory() as tmp:
    # H1 (record): the child's mask and nice, record's threads untouched.
    rec = os.path.join(tmp, "sleep.itrace")
    p = subprocess.Popen([EXE, "record", "-o", rec, "--events", "sched", "--cpus", pin, "--nice", "-3", "--",
                          "sleep", "6"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    child = None
    deadline = time.monotonic() + 60
    while child is None and time.monotonic() < deadline and p.poll() is None:
        time.sleep(0.1)
        for n in os.listdir("/proc"):
            if n.isdigit():
                try:
                    with open(f"/proc/{n}/stat") as f:
                        st = f.read()
                except OSError:
                    continue
                rest = st.rsplit(")", 1)[1].split()
                if int(rest[1]) == p.pid and "(sleep)" in st:
                    child = int(n)
    if child is None:
        out, err = p.communicate(timeout=60)
        skip_if_recorder_refused(subprocess.CompletedProcess(p.args, p.returncode, out, err))
        check(False, f"H1: record's child `sleep` not found: rc {p.returncode} {err[-500:]}")
    else:
        check(cpus_allowed(f"/proc/{child}/status") == pin,
              f"H1: the command's Cpus_allowed_list {cpus_allowed(f'/proc/{child}/status')!r}, want {pin!r}")
        check(nice_of(child) == max(own_nice - 3, -20), f"H1: the command's nice {nice_of(child)}, want {own_nice - 3}")
        masks = {t: cpus_allowed(f"/proc/{p.pid}/task/{t}/status") for t in os.listdir(f"/proc/{p.pid}/task")}
        check(all(m == own_mask for m in masks.values()), f"H1: record's own threads were pinned: {masks} (want {own_mask})")
        nices = {t: nice_of(t) for t in os.listdir(f"/proc/{p.pid}/task")}
        check(all(n == own_nice for n in nices.values()), f"H1: record's own threads were reniced: {nices}")
        p.wait(timeout=120)
    # Usage errors.
    r = subprocess.run([EXE, "record", "-o", os.path.join(tmp, "x.itrace"), "--nice", "40", "--", "true"],
                       capture_output=True, text=True)
    check(r.returncode == 2 and "--nice" in r.stderr, f"--nice 40: rc {r.returncode} {r.stderr}")
    r = subprocess.run([EXE, "record", "-o", os.path.join(tmp, "x.itrace"), "--cpus", "4096", "--", "true"],
                       capture_output=True, text=True)
    check(r.returncode == 2 and "--cpus" in r.stderr, f"--cpus 4096: rc {r.returncode} {r.stderr}")
    # An empty list is an error, not "no pinning" (review DH L5), with a command or --pid alike.
    for target in (["--", "true"], ["--pid", str(os.getpid())]):
        r = subprocess.run([EXE, "record", "-o", os.path.join(tmp, "x.itrace"), "--cpus", ""] + target,
                           capture_output=True, text=True)
        check(r.returncode == 2 and "--cpus" in r.stderr, f"--cpus '' {target}: rc {r.returncode} {r.stderr}")

    # H1 (record): the static stand-in pinned and reniced by record has every launch recorded.
    rec = os.path.join(tmp, "static.itrace")
    r = subprocess.run([EXE, "record", "-o", rec, "--events", "launch,sched", "--cuda", "uprobe", "--cpus", pin,
                        "--nice", "5", "--", static_app, "1", str(LAUNCHES), "0", "0"],
                       capture_output=True, text=True, timeout=300)
    skip_if_recorder_refused(r)
    check(r.returncode == 0, f"H1 static: record rc {r.returncode}: {r.stderr[-800:]}")
    check(launch_count(rec, tmp, "H1 static") == LAUNCHES, f"H1 static: recorded {launch_count(rec, tmp, 'again')} "
          f"cudaLaunchKernel of {LAUNCHES}: {r.stderr[-800:]}")

    # H1 (bench): the pinned and isolated runs record the static stand-in's launches as baseline does.
    fake_bin = os.path.join(tmp, "fakebin")
    os.makedirs(fake_bin)
    with open(os.path.join(fake_bin, "stress-ng"), "w") as f:
        f.write("#!/bin/sh\nexec sleep 300\n")
    os.chmod(os.path.join(fake_bin, "stress-ng"), 0o755)
    env = dict(os.environ, PATH=fake_bin + ":" + os.environ["PATH"])
    out_dir = os.path.join(tmp, "bench")
    r = subprocess.run([EXE, "bench", "interference", "--scenarios", "baseline,pinned,isolated", "-r", "1",
                        "--warmup", "0.1", "--record", "on", "--json", "--out-dir", out_dir, "--",
                        static_app, "1", str(LAUNCHES), "0", "0"],
                       capture_output=True, text=True, timeout=600, env=env)
    check(r.returncode == 0, f"H1 bench: rc {r.returncode}: {r.stderr[-1500:]}")
    if r.returncode == 0:
        doc = json.loads(r.stdout)
        for sc in doc["scenarios"]:
            if sc["skipped"]:
                print(f"H1 bench: {sc['name']} skipped here: {sc['skip_reason']}")
                check(sc["name"] == "isolated", f"H1 bench: {sc['name']} skipped: {sc['skip_reason']}")
                continue
            for run in sc["runs"]:
                n = launch_count(run["recording"], tmp, f"H1 bench {sc['name']}")
                check(n == LAUNCHES, f"H1 bench: {sc['name']} recorded {n} cudaLaunchKernel of {LAUNCHES}")
            check(sc.get("sched_per_1k") is not None, f"H1 bench: {sc['name']} has no Sched/1K: {sc}")

    # L9 + M2: a runtime dlopen'ed during the recording (found by the 0.25 s scan, its first burst lost).
    lib = os.path.join(tmp, "libcudart.so.12")
    shutil.copyfile(os.path.join(fake, "libfakecudart.so"), lib)
    rec = os.path.join(tmp, "late.itrace")
    summary = rec + ".summary.txt"
    r = subprocess.run([EXE, "record", "-o", rec, "--summary-file", summary, "--cuda", "uprobe", "--",
                        os.path.join(fake, "fakecuda_dlopen_late"), lib, "1000", "1500"],
                       capture_output=True, text=True, timeout=300, env=dict(os.environ, LD_LIBRARY_PATH=fake))
    skip_if_recorder_refused(r)
    check(r.returncode == 0, f"L9: record rc {r.returncode}: {r.stderr[-800:]}")
    check("after the recording started" not in r.stderr and "probed" not in r.stderr,
          f"L9: record's warning is on the stderr the command shares: {r.stderr!r}")
    with open(summary) as f:
        text = f.read()
    check("after the recording started" in text and lib in text, f"L9: the warning is not in the summary file: {text!r}")
    s = subprocess.run([EXE, "sched", "--json", rec], capture_output=True, text=True, timeout=300)
    check(s.returncode == 0, f"M2: sched rc {s.returncode}: {s.stderr}")
    if s.returncode == 0:
        j = json.loads(s.stdout)
        check(j.get("per_1k_upper_bound") is True, f"M2: per_1k_upper_bound {j.get('per_1k_upper_bound')}")
        note = j.get("launch_partial_note") or ""
        check(lib in note and "before it was probed" in note, f"M2: launch_partial_note {note!r}")
        why = j.get("per_1k_upper_bound_reason") or ""
        check("probed late" in why and "CUPTI" not in why, f"M2: per_1k_upper_bound_reason {why!r}")
        t = subprocess.run([EXE, "sched", rec], capture_output=True, text=True, timeout=300)
        check("before it was probed" in t.stdout + t.stderr, f"M2: sched's text does not say why: {t.stdout[-1500:]}")

    # L6: bench threads' limits are usage errors.
    model = os.path.join(tmp, "tiny.gguf")
    m = subprocess.run([EXE, "model", "synth", "--preset", "tiny-qwen3", "--dtype", "f32", "--seed", "3", "-o", model],
                       capture_output=True, text=True, timeout=300)
    check(m.returncode == 0, f"L6: model synth: {m.stderr}")
    for args, word in ((["-r", "1001", "-p", "1", "-n", "1"], "-r"), (["-r", "1", "-p", "100000", "-n", "1"], "training context"),
                       (["-r", "1", "-p", "1", "-n", "1", "--membw-mib", "1073741824"], "--membw-mib")):
        r = subprocess.run([EXE, "bench", "threads", "-m", model, "-t", "1", *args], capture_output=True, text=True, timeout=300)
        check(r.returncode == 2 and word in r.stderr, f"L6 {args}: rc {r.returncode}: {r.stderr[-400:]}")

    # L5: the markdown rounds as the HTML and names small byte counts in MB; "1 repetition".
    base = [EXE, "bench", "threads", "-m", model, "-t", "1", "-r", "1", "-p", "4", "-n", "2", "--membw-mib", "8"]
    j = subprocess.run(base + ["--json"], capture_output=True, text=True, timeout=300)
    md = subprocess.run(base, capture_output=True, text=True, timeout=300)
    check(j.returncode == 0 and md.returncode == 0, f"L5: rc {j.returncode} {md.returncode}: {j.stderr} {md.stderr}")
    if j.returncode == 0 and md.returncode == 0:
        bpt = json.loads(j.stdout)["bytes_per_token"]
        check(f"/ {bpt / 1e6:.3f} MB read per decoded token" in md.stdout, f"L5: bytes per token {bpt}: {md.stdout}")
        check(", 1 repetition\n" in md.stdout, f"L5: '1 repetitions': {md.stdout[:300]}")
        row = [c.strip() for c in next(l for l in md.stdout.splitlines() if l.startswith("| 1 ")).split("|")[1:-1]]
        check(len(row[5].split(".")[-1]) == 3, f"L5: ctx sw/token {row[5]!r}, want 3 decimals")
        check(row[7].endswith("%") and len(row[7][:-1].split(".")[-1]) == 1, f"L5: of roofline {row[7]!r}, want 1 decimal")

sys.exit(1 if failures else 0)
