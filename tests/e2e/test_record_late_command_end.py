"""Review RL57 L2: the command's end is the kernel's stamp of its exit, not the moment a late
recorder handles SIGCHLD. `record -- sleep 1.5` with the recorder SIGSTOPped from 0.5 s after the
command starts until 3.5 s: before, "command ran" (and META command.wall_ns, recorded_to_ns) said
about 3.5 s, the moment the recorder ran its SIGCHLD handler; the recording holds the command's exit
(TASK kind exit, sched_process_exit; few events, the ring never fills), so it now says about 1.5 s.
Skips (77) without root and kernel BTF."""
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import EXE, check, failures  # noqa: E402
from _record_prereq import file_meta, require_recorder, skip_if_recorder_refused  # noqa: E402

require_recorder()

with tempfile.TemporaryDirectory() as tmp:
    rec = os.path.join(tmp, "late.itrace")
    marker = os.path.join(tmp, "started")
    # The command says when it starts (the recorder may take seconds to load its probes first).
    cmd = ["sh", "-c", f"touch {marker}; exec sleep 1.5"]
    p = subprocess.Popen([EXE, "record", "--events", "sched", "-o", rec, "--"] + cmd, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 120
    while not os.path.exists(marker) and p.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    if p.poll() is None and os.path.exists(marker):
        time.sleep(0.5)
        os.kill(p.pid, signal.SIGSTOP)
        time.sleep(3.0)  # the command ends 1 s into this
        os.kill(p.pid, signal.SIGCONT)
    out, err = p.communicate(timeout=300)
    r = subprocess.CompletedProcess(p.args, p.returncode, out, err)
    skip_if_recorder_refused(r)
    check(p.returncode == 0, f"record: {p.returncode} {err[-2000:]}")
    m = re.search(r"command ran: ([0-9.]+) s", err)
    ran = float(m.group(1)) if m else None
    print("command ran:", ran)
    check(ran is not None and 1.45 <= ran < 2.5, f"command ran {ran} s, want about 1.5 (sleep 1.5): {err[-1500:]}")
    meta = file_meta(rec)
    wall = int(meta.get("command.wall_ns", "0")) / 1e9
    span = (int(meta.get("recorded_to_ns", "0")) - int(meta.get("recorded_from_ns", "0"))) / 1e9
    check(1.45 <= wall < 2.5, f"META command.wall_ns {wall} s")
    check(span < 3.0, f"recorded window {span} s, want under 3 s (the command's end, not the SIGCONT)")

if failures:
    sys.exit(1)
print("ok")
