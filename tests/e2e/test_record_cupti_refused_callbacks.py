"""`infertrace record --cuda cupti` of a process whose launch callbacks CUPTI refused, without a GPU:
the stand-in tests/support/cupti_synth/cupti_synth_app sends the injection library's RingCallbacks
record (INFERTRACE_SYNTH_REFUSED, INFERTRACE_SYNTH_NO_LAUNCH) and writes no launch call. The record
summary must name the refused callbacks and flag the process (docs/record.md, "Refused callbacks"),
`analyze --json` must carry the same in `cupti_callbacks` with null launch figures. Skips (77)
without root/eBPF or in a build without the CUPTI library."""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from _harness import EXE as exe, check, failures, skip  # noqa: E402
bindir = os.environ["INFERTRACE_BINARY_DIR"]
app = os.path.join(bindir, "tests", "support", "cupti_synth", "cupti_synth_app")
N = 20
REFUSED = ["cudaLaunchKernel_v7000", "cudaGraphLaunch_v10000", "cuLaunchKernelEx"]

if os.geteuid() != 0:
    skip("needs root for eBPF")

with tempfile.TemporaryDirectory() as d:
    rec = os.path.join(d, "run.itrace")
    env = dict(os.environ, INFERTRACE_SYNTH_REFUSED=",".join(REFUSED), INFERTRACE_SYNTH_NO_LAUNCH="1")
    r = subprocess.run([exe, "record", "--cuda", "cupti", "-o", rec, "--", app, str(N)], capture_output=True,
                       text=True, timeout=120, env=env)
    if r.returncode != 0 and "not available in this build" in r.stderr:
        skip("build without the CUPTI injection library")
    if r.returncode != 0 and ("no eBPF recorder" in r.stderr or "CAP_BPF" in r.stderr or "BTF" in r.stderr):
        skip("no eBPF here: " + r.stderr.strip())
    check(r.returncode == 0 and "command exit status: 0" in r.stderr, "record failed: %s %s" % (r.stdout, r.stderr))
    truth = [json.loads(l) for l in r.stdout.splitlines() if l.startswith("{")]
    check(len(truth) == 1 and truth[0]["lost"] == 0, "stand-in output: %r" % r.stdout)
    if truth:
        pid = truth[0]["pid"]
        refused_line = "  CUPTI refused %d callbacks in pid %d, not recorded: %s\n" % (len(REFUSED), pid, ", ".join(REFUSED))
        flag_line = ("  launch calls not measured in pid %d: no launch callback enabled (CUPTI refused %s)\n"
                     % (pid, ", ".join(REFUSED)))
        check(refused_line in r.stderr, "summary lacks %r:\n%s" % (refused_line, r.stderr))
        check(flag_line in r.stderr, "summary lacks %r:\n%s" % (flag_line, r.stderr))
        # The uprobe-mode advice (another copy of the CUDA libraries, --lib) does not apply (review AN, L2).
        check("no CUDA launch was recorded" not in r.stderr, "uprobe advice in a CUPTI summary:\n%s" % r.stderr)
        s = subprocess.run([exe, "sched", rec, "--json"], capture_output=True, text=True)
        check(s.returncode == 0, "sched failed: %s" % s.stderr)
        if s.returncode == 0:
            sj = json.loads(s.stdout)
            check(sj["signature"] == "launches_not_measured" and sj["launches"] is None and sj["sched_per_1k"] is None
                  and sj["irq_per_1k_hard"] is None, "sched on a real recording: %r %r %r" %
                  (sj["signature"], sj["launches"], sj["sched_per_1k"]))
        # The text keeps the OS tables but shows no launch count, pair table or launching thread.
        st = subprocess.run([exe, "sched", rec], capture_output=True, text=True).stdout
        check(", launches not measured\n" in st and "logical launches" not in st and "launch pairs  " not in st
              and "n/a (launches not measured: no launching thread)" in st and "Syscalls (" in st, "sched text:\n%s" % st)
        a = subprocess.run([exe, "analyze", rec, "--json"], capture_output=True, text=True)
        check(a.returncode == 0, "analyze failed: %s" % a.stderr)
        if a.returncode == 0:
            j = json.loads(a.stdout)
            c = j.get("cupti_callbacks", {})
            check(c.get("launch_not_measured_pids") == [pid], "launch_not_measured_pids %r" % c.get("launch_not_measured_pids"))
            procs = c.get("processes", [])
            check(len(procs) == 1 and procs[0]["refused_names"] == REFUSED and procs[0]["launches_measured"] is False,
                  "processes %r" % procs)
            check(j["launch_calls"] is None and j["tklqt_ns"] is None, "launch figures %r %r" % (j["launch_calls"], j["tklqt_ns"]))
            check(j["kernels"] == N, "kernels %r" % j["kernels"])

if failures:
    sys.exit(1)
print("record cupti refused callbacks: ok")
