"""Option values are checked when the option is read, whatever the other options say (review BK
item 5): `bench threads --no-roofline --membw-mib 0` ran (the size was checked only when the
bandwidth was measured), and a --cpus list with a CPU this process may not be pinned to failed only
when a thread was pinned to it (`engine run --cpus 0-1000`, after the model had loaded) or was
accepted (`engine run --cpus 0-1000 -t 1`, threads pinned to the first CPUs only). Each is now a
usage error (exit 2) before anything runs, for every verb whose threads --cpus pins."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import EXE, check, failures, refused, run, skip  # noqa: E402

allowed = os.sched_getaffinity(0)
outside = next((c for c in range(1023, -1, -1) if c not in allowed), None)
if outside is None:
    skip("every CPU id below 1024 is allowed here: no CPU to name outside the set")
cpus = "%d-%d" % (min(allowed), outside) if outside > min(allowed) else str(outside)

with tempfile.TemporaryDirectory() as tmp:
    model = os.path.join(tmp, "tiny.gguf")
    r = run("model", "synth", "--preset", "tiny", "-o", model)
    check(r.returncode == 0, "model synth: %s" % r.stderr)

    for args in (["engine", "run", "-m", model, "-p", "hi", "-n", "2", "--cpus", cpus],
                 ["engine", "run", "-m", model, "-p", "hi", "-n", "2", "--cpus", cpus, "-t", "1"],
                 ["bench", "threads", "-m", model, "-r", "1", "-p", "4", "-n", "2", "-t", "1", "--no-roofline", "--cpus", cpus],
                 ["bench", "membw", "-t", "1", "--size-mib", "1", "--cpus", cpus]):
        refused(args, "--cpus " + cpus, "CPU", str(outside), "may be pinned to")
    # Allowed CPUs stay accepted.
    r = run("engine", "run", "-m", model, "-p", "hi", "-n", "2", "--cpus", str(min(allowed)))
    check(r.returncode == 0, "engine run --cpus %d: exit %d %s" % (min(allowed), r.returncode, r.stderr[-300:]))

    # A CPU outside the current affinity mask but inside the cpuset is one a thread may be pinned
    # to (`taskset -c A infertrace ... --cpus B`: the kernel allows the move; review BN M1).
    if len(allowed) >= 2:
        a, b = sorted(allowed)[:2]
        r = subprocess.run(["taskset", "-c", str(a), EXE, "engine", "run", "-m", model, "-p", "hi", "-n", "2",
                            "--cpus", str(b)], capture_output=True, text=True, timeout=120)
        check(r.returncode == 0, "taskset -c %d engine run --cpus %d: exit %d %s" % (a, b, r.returncode, r.stderr[-300:]))
        # The thread cap follows the --cpus list there: 5 threads on two pinned CPUs is within 4 per
        # CPU, although the inherited mask has one CPU (review BO L3: refused as "1 allowed").
        r = subprocess.run(["taskset", "-c", str(a), EXE, "engine", "run", "-m", model, "-p", "hi", "-n", "2",
                            "--cpus", "%d,%d" % (a, b), "-t", "5"], capture_output=True, text=True, timeout=120)
        check(r.returncode == 0, "taskset -c %d engine run --cpus %d,%d -t 5: exit %d %s" % (a, a, b, r.returncode,
                                                                                          r.stderr[-300:]))
    else:
        print("one CPU allowed here: the taskset case (a CPU outside the mask, inside the cpuset) was not run")

    refused(["bench", "threads", "-m", model, "-r", "1", "-p", "4", "-n", "2", "-t", "1", "--no-roofline",
             "--membw-mib", "0"], "--membw-mib 0")

    serve_exe = os.path.join(os.path.dirname(EXE), "infertrace-serve")
    if os.path.exists(serve_exe):
        refused(["serve", "-m", model, "--port", "0", "--cpus", cpus], "--cpus " + cpus, "may be pinned to")

if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("ok")
