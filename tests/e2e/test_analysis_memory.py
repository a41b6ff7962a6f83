"""Review RL57 M1: a recording too big for the memory there is. Every verb loads every event, so
before loading, the reader estimates the memory it needs from the file's event counts and fails
fast (exit 1) when that is more than is available, naming the estimate, what limits it and what to
do, instead of thrashing; `record` warns once when its file passes that size. A real eBPF recording
of a Python loop of 1.2 M getppid calls (about 70 MB, about 120 MB to analyse): with
INFERTRACE_ANALYSIS_MEMORY=40M (the memory the analysis is planned for) record warns once and
`sched` refuses it; without it `sched` reads it. Under an address-space limit (RLIMIT_AS, `ulimit
-v`) smaller than the estimate plus what the process already maps, `sched` says so instead of dying
of a failed allocation (skipped under the sanitizers, whose shadow memory needs the address space).
Skips (77) without root and kernel BTF."""
import os
import resource
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import EXE, check, failures, sanitized  # noqa: E402
from _record_prereq import require_recorder, skip_if_recorder_refused  # noqa: E402

require_recorder()

CALLS = 1_200_000
loop = f"import os\nfor _ in range({CALLS}): os.getppid()\n"

with tempfile.TemporaryDirectory() as tmp:
    rec = os.path.join(tmp, "busy.itrace")
    small = dict(os.environ, INFERTRACE_ANALYSIS_MEMORY="40M")
    r = subprocess.run([EXE, "record", "-o", rec, "--events", "syscall", "--", sys.executable, "-c", loop],
                       capture_output=True, text=True, timeout=600, env=small)
    skip_if_recorder_refused(r)
    check(r.returncode == 0, f"record: {r.returncode} {r.stderr[-2000:]}")
    said = [line for line in r.stderr.splitlines() if "needs about" in line and "of memory to analyse" in line]
    check(len(said) == 1, f"record: want one warning of the memory to analyse, got {said}: {r.stderr[-3000:]}")
    if said:
        check("more than the 40 MB available (INFERTRACE_ANALYSIS_MEMORY)" in said[0] and "--duration" in said[0]
              and "syscall-counts" in said[0], f"record's warning: {said[0]}")

    # Refused before loading: exit 1, the estimate, the room and what to do.
    t0 = time.monotonic()
    s = subprocess.run([EXE, "sched", rec], capture_output=True, text=True, timeout=600, env=small)
    took = time.monotonic() - t0
    msg = s.stderr.strip()
    check(s.returncode == 1 and "too big to analyse here" in msg and "of memory to analyse" in msg
          and "more than the 40 MB available (INFERTRACE_ANALYSIS_MEMORY)" in msg and "--duration" in msg
          and "syscall-counts" in msg, f"sched with 40M: {s.returncode} {msg[-2000:]}")
    check(s.stdout == "", f"sched with 40M printed a report: {s.stdout[:300]}")
    print(f"refused in {took:.2f} s: {msg[:400]}")

    # The size read as written (review WD57 L2: "8 G" was 8 bytes, which refused every analysis);
    # a value that is not a size is an error naming it, not a silent fallback.
    for spelled in ("40 M", "40MB", "0.04G", "40000000"):
        s = subprocess.run([EXE, "sched", rec], capture_output=True, text=True, timeout=600,
                           env=dict(os.environ, INFERTRACE_ANALYSIS_MEMORY=spelled))
        check(s.returncode == 1 and "more than the 40 MB available (INFERTRACE_ANALYSIS_MEMORY)" in s.stderr,
              f"sched with {spelled!r}: {s.returncode} {s.stderr[-600:]}")
    for bad in ("8 Gx", "lots", "4 GiBs"):
        s = subprocess.run([EXE, "sched", rec], capture_output=True, text=True, timeout=600,
                           env=dict(os.environ, INFERTRACE_ANALYSIS_MEMORY=bad))
        check(s.returncode == 1 and f'INFERTRACE_ANALYSIS_MEMORY="{bad}" is not a size' in s.stderr and s.stdout == "",
              f"sched with {bad!r}: {s.returncode} {s.stderr[-600:]}")

    # The same recording where the memory is there.
    ok = subprocess.run([EXE, "sched", rec], capture_output=True, text=True, timeout=600)
    check(ok.returncode == 0 and "too big" not in ok.stderr, f"sched: {ok.returncode} {ok.stderr[-2000:]}")

    if sanitized():
        print("address-space limit part skipped: sanitizers")
    else:
        # What the process maps before it loads (the binary, its libraries, the file mapped) is about
        # the file size plus 30 MB; the tables alone need about 90 MB more. Without the check, the
        # load dies of a failed allocation.
        limit = os.path.getsize(rec) + 50_000_000

        def cap():
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

        u = subprocess.run([EXE, "sched", rec], capture_output=True, text=True, timeout=600, preexec_fn=cap)
        umsg = u.stderr.strip()
        check(u.returncode == 1 and "too big to analyse here" in umsg and "the address-space limit (ulimit -v)" in umsg,
              f"sched under RLIMIT_AS {limit}: {u.returncode} {umsg[-2000:]}")

if failures:
    sys.exit(1)
print("ok")
