"""Dry run of the GPU-check driver scripts/gpu_checks.sh without a GPU, the way the device tool runs
it once on a machine nobody can debug.

0. Every script that runs there parses (`bash -n`); shellcheck (scripts/setup.sh installs it) finds no warning.
1. Part selection on the real parts: `gpu_checks.sh launch 30 no-such-part` with GPU_BUNDLE
   pointing at a stand-in `infertrace` (fixed answers to `bench launch`, `record`, `analyze`, `export`)
   runs exactly parts 10 and 30, reports the unknown name without stopping, and $OUT holds only
   log.txt and results.tar.gz (the tool returns at most 8 files); the tarball holds the parts' small
   files and parts.txt but no recording (*.itrace stays on the machine).
2. A part that fails does not stop the next: in a parts folder of its own (GPU_CHECKS_PARTS_DIR), a
   part tripping `set -u`, one that exits, one that writes a file and leaves an orphan running, one
   that outlasts the minutes its first line states (capped), one that hangs past the run's deadline
   (GPU_CHECKS_BUDGET) with a `timeout`ed child in its own process group, and one left for after
   the deadline. The writer's file comes back and its orphan is stopped, the capped part is stopped
   and the next one runs, the hanging part and its children are stopped at the deadline, the last
   part is skipped, the log and tarball are there, the exit status says something failed."""
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from _gpu_parts import SRC, write_stand_in  # noqa: E402
from _harness import check, failures  # noqa: E402

DRIVER = os.path.join(SRC, "scripts", "gpu_checks.sh")
STAND_IN = r"""#!/usr/bin/env bash
# Stand-in for infertrace in the driver's dry run: fixed answers, each call logged.
echo "$*" >> "$LOG"
case "$1 $2" in
  "--version ") echo "infertrace (dry run)" ;;
  "bench launch")
    if [[ " $* " == *" json "* ]]; then echo '{"apis": [], "clock": {"error_ns": 10}}'
    else echo "| api | (dry run) |"; fi ;;
  "record --cuda")
    while [ "$1" != "-o" ]; do shift; done
    echo "itrace (dry run)" >"$2"; echo "recorded (dry run)" ;;
  "analyze "*)
    echo '{"kernels": 2001, "launch_calls": 2001, "kernel_stats": [], "apis": []}' ;;
  *) echo "dry run: unexpected call $*" >&2; exit 9 ;;
esac
"""
MARK = "4242.25"  # the hanging part's sleep length: finds its processes in /proc afterwards
BROKEN_PARTS = {
    "10-unset.sh": ('# Part: trips set -u.\nlog "unset"\necho "$NO_SUCH_VARIABLE"\n'
                    'echo "not reached" >"$OUT/unset.txt"\n'),
    "20-exits.sh": '# Part: exits.\nexit 3\n',
    "30-writes.sh": ('# Part: writes a result and leaves an orphan running.\nlog "writer"\n'
                     'echo "written" >"$OUT/writer.txt"\n(sleep %s &)\n' % MARK),
    "35-capped.sh": ('# Part: hangs past its own stated time. About 0 minutes.\nlog "capped"\n'
                     'timeout 600 sleep %s\n' % MARK),
    "36-after-capped.sh": '# Part: runs after the capped one.\necho "ran" >"$OUT/after_capped.txt"\n',
    "40-hangs.sh": ('# Part: hangs past the deadline.\nlog "hanging"\necho "started" >"$OUT/hang_started.txt"\n'
                    'timeout 600 sleep %s &\ntimeout 600 bash -c "sleep %s"\n' % (MARK, MARK)),
    "50-late.sh": '# Part: comes after the deadline.\necho "late" >"$OUT/late.txt"\n',
}


def driver(tmp, args, **env_extra):
    bundle = os.path.join(tmp, "bundle")
    os.makedirs(bundle, exist_ok=True)
    write_stand_in(bundle, STAND_IN)
    out = os.path.join(tmp, "out")
    log = os.path.join(tmp, "calls.log")
    open(log, "w").close()
    env = dict(os.environ, OUT=out, GPU_BUNDLE=bundle, LOG=log, **env_extra)
    t0 = time.monotonic()
    r = subprocess.run(["bash", DRIVER, *args], cwd=SRC, env=env, capture_output=True, text=True, timeout=300)
    return r, time.monotonic() - t0, out, open(log).read().splitlines()


def tar_names(out):
    with tarfile.open(os.path.join(out, "results.tar.gz")) as t:
        return {os.path.normpath(n) for n in t.getnames()}


def read_log(out):
    with open(os.path.join(out, "log.txt")) as f:
        return f.read()


# Every script that runs there parses (bash -n), and shellcheck (where installed) finds no warning.
scripts = [DRIVER, os.path.join(SRC, "scripts", "gpu_bundle.sh")]
parts_dir = os.path.join(SRC, "scripts", "gpu_checks.d")
scripts += sorted(os.path.join(parts_dir, f) for f in os.listdir(parts_dir) if f.endswith(".sh"))
for path in scripts:
    n = subprocess.run(["bash", "-n", path], capture_output=True, text=True)
    check(n.returncode == 0, "bash -n %s: %s" % (path, n.stderr))
if shutil.which("shellcheck"):
    sc = subprocess.run(["shellcheck", "-s", "bash", "-S", "warning", *scripts], capture_output=True, text=True)
    check(sc.returncode == 0, "shellcheck: %s" % sc.stdout[-1500:])

with tempfile.TemporaryDirectory() as tmp:
    r, _, out, calls = driver(tmp, ["launch", "30", "no-such-part"])
    log = read_log(out)
    check(sorted(os.listdir(out)) == ["log.txt", "results.tar.gz"], "selection: $OUT holds %s" % os.listdir(out))
    check("== part 10-launch" in log and "== part 30-record-cupti" in log, "selection: parts 10 and 30 ran: %s" % log)
    ran = [line for line in log.splitlines() if line.startswith("== part ")]
    check(len(ran) == 2, "selection: exactly two parts ran: %s" % ran)
    check("no part matches 'no-such-part'" in log and r.returncode == 2,
          "selection: unknown name reported, exit 2 (got %d)" % r.returncode)
    check(any(c.startswith("record --cuda cupti") for c in calls) and any(c.startswith("bench launch") for c in calls),
          "selection: the parts called infertrace: %s" % calls)
    names = tar_names(out)
    for want in ("parts.txt", "bench_launch.json", "bench_launch.md", "cupti_null.json", "record_cupti.txt"):
        check(want in names, "selection: %s not in the tarball %s" % (want, sorted(names)))
    check(not any(n.endswith(".itrace") for n in names), "selection: a recording in the tarball: %s" % sorted(names))
    check("10-launch exit" in log and "30-record-cupti exit" in log and "== done after" in log,
          "selection: summary and last line in log.txt: %s" % log[-600:])

with tempfile.TemporaryDirectory() as tmp:
    parts = os.path.join(tmp, "parts")
    os.makedirs(parts)
    for name, text in BROKEN_PARTS.items():
        with open(os.path.join(parts, name), "w") as f:
            f.write(text)
    # Room for the parts before the hanging one (about 5 s: part 30 waits 2 s on its orphan, part 35
    # is capped at 2 s) when the machine is loaded; the hanging part then waits out the rest.
    budget = 18
    r, took, out, _ = driver(tmp, [], GPU_CHECKS_PARTS_DIR=parts, GPU_CHECKS_BUDGET=str(budget),
                             GPU_CHECKS_MIN_LEFT="1", GPU_CHECKS_CAP_SLACK="2")
    log = read_log(out)
    names = tar_names(out)
    check("NO_SUCH_VARIABLE: unbound variable" in log and "unset.txt" not in names, "failure: set -u tripped: %s" % log)
    check("20-exits exit 3" in log, "failure: the exiting part's status in the summary: %s" % log[-800:])
    check("writer.txt" in names and "30-writes exit 0" in log, "failure: the part after two failing ones ran")
    check("part 30-writes left 1 process(es) running: stopped" in log, "failure: the orphan not stopped: %s" % log)
    check("35-capped stopped at its time limit" in log and "after_capped.txt" in names,
          "failure: the part over its stated time stopped, the next one ran: %s" % log[-800:])
    check("hang_started.txt" in names and "40-hangs stopped at its time limit" in log,
          "failure: the hanging part stopped at the deadline: %s" % log[-800:])
    check("50-late skipped" in log and "late.txt" not in names, "failure: the part past the deadline skipped")
    check(r.returncode == 1, "failure: exit status %d, expected 1" % r.returncode)
    check(took < budget + 20, "failure: the driver took %.1f s with a %d s budget" % (took, budget))
    left = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                if MARK.encode() in f.read():
                    left.append(pid)
        except OSError:
            pass
    check(not left, "failure: the hanging part's processes outlived the deadline: %s" % left)

if failures:
    sys.exit(1)
print("ok")
