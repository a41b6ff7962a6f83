"""`infertrace record --cuda cupti` end to end without a GPU: the recorder creates the ring, starts
tests/support/cupti_synth/cupti_synth_app with INFERTRACE_CUPTI_RING (and CUDA_INJECTION64_PATH,
which the stand-in ignores), drains and merges the ring next to the real eBPF events; the stand-in
writes the injection library's exact records for a scripted workload and sleeps through its GPU
window. `analyze --json` must give the closed-form TKLQT, `sched --json` the closed-form GPU idle
time split by what the launching thread did, the ring file must be gone afterwards. Skips (77)
without root/eBPF or in a build without the CUPTI library."""
import json
import struct
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from _harness import EXE as exe, check, failures, skip  # noqa: E402
bindir = os.environ["INFERTRACE_BINARY_DIR"]
app = os.path.join(bindir, "tests", "support", "cupti_synth", "cupti_synth_app")
N = 200
# Mirrors tests/support/cupti_synth/cupti_synth_producer.h.
PERIOD, API_DUR, LATENCY, KERNEL_DUR, COPY_DUR = 50_000, 4_000, 10_000, 30_000, 2_000


def read_meta(path):
    """The META pairs of an .itrace file (docs/recording-format.md); the last value of a key wins."""
    with open(path, "rb") as f:
        data = f.read()
    at, meta = struct.unpack_from("<I", data, 12)[0], {}
    while at + 8 <= len(data):
        rtype, n = struct.unpack_from("<II", data, at)
        body = data[at + 8:at + 8 + n]
        if rtype == 1:
            k = struct.unpack_from("<I", body)[0]
            meta[body[4:4 + k].decode()] = body[4 + k:].decode()
        at += 8 + n
    return meta


if os.geteuid() != 0:
    skip("needs root for eBPF")

with tempfile.TemporaryDirectory() as d:
    rec = os.path.join(d, "run.itrace")
    r = subprocess.run([exe, "record", "--cuda", "cupti", "-o", rec, "--", app, str(N)], capture_output=True,
                       text=True, timeout=120)
    if r.returncode != 0 and "not available in this build" in r.stderr:
        skip("build without the CUPTI injection library")
    if r.returncode != 0 and ("no eBPF recorder" in r.stderr or "CAP_BPF" in r.stderr or "BTF" in r.stderr):
        skip("no eBPF here: " + r.stderr.strip())
    check(r.returncode == 0 and "command exit status: 0" in r.stderr, "record failed: %s %s" % (r.stdout, r.stderr))
    truth = [json.loads(l) for l in r.stdout.splitlines() if l.startswith("{")]
    check(len(truth) == 1, "stand-in output: %r" % r.stdout)
    check("CUDA side: cupti injection, 1 process(es) reported, 1 with GPU times on CLOCK_MONOTONIC" in r.stderr,
          "summary: %s" % r.stderr)
    if truth:
        check(not os.path.exists(truth[0]["ring"]), "ring file %s left behind" % truth[0]["ring"])

    a = subprocess.run([exe, "analyze", rec, "--json"], capture_output=True, text=True)
    check(a.returncode == 0, "analyze failed: %s" % a.stderr)
    if a.returncode == 0:
        j = json.loads(a.stdout)
        check(j["kernels"] == N and j["linked_launch_calls"] == N + 1, "kernels/linked: %r %r" % (j["kernels"], j["linked_launch_calls"]))
        check(j["tklqt_ns"] == (N + 1) * LATENCY, "tklqt %r" % j["tklqt_ns"])
        check(j["clock_skew_clamped"] == 0, "clock skew %r" % j["clock_skew_clamped"])

    s = subprocess.run([exe, "sched", rec, "--json"], capture_output=True, text=True)
    check(s.returncode == 0, "sched failed: %s" % s.stderr)
    if s.returncode == 0:
        g = json.loads(s.stdout)["gpu_starved_by_scheduler"]
        check(g is not None, "gpu_starved_by_scheduler is null")
        if g is not None:
            # Kernel i runs [s_i + 10 us, s_i + 40 us], s_i = base + i x 50 us, then a 2 us copy at
            # s_N + 10 us: N gaps of 20 us.
            check(g["idle_gaps"] == N and g["gpu_idle_ns"] == N * 20_000, "idle %r" % g)
            check(g["gpu_busy_ns"] == N * KERNEL_DUR + COPY_DUR, "busy %r" % g)
            check(truth and g["tid"] == truth[0]["tid"], "launching thread %r" % g.get("tid"))
            parts = g["idle_while_preempted_ns"] + g["idle_while_runqueue_ns"] + g["idle_while_blocked_ns"]
            # The stand-in sleeps through the window in 1 ms steps: off-CPU most of the idle time.
            # (It starts 50 ms after the records are written: `late_ns` > 0 says the writing ran into it.)
            check(parts <= g["gpu_idle_ns"] and parts >= g["gpu_idle_ns"] // 2,
                  "off-CPU split %r (records written %r ns into the window)" % (g, truth and truth[0].get("late_ns")))
            check(g["starved_ns"] == g["idle_while_preempted_ns"] + g["idle_while_runqueue_ns"], "starved %r" % g)

    # CUDA calls after the stop are left out as the probes' events are (review DF F2): the stand-in's
    # whole workload is stamped 3 s after its start, past the 1 s of --duration; the stop ends it
    # (SIGTERM) while it sleeps towards that window. By hand: N launches + the copy + the sync left
    # out, and the N kernels + the copy with them; the recording reads.
    late = os.path.join(d, "late.itrace")
    r = subprocess.run([exe, "record", "--cuda", "cupti", "--duration", "1", "-o", late, "--", app, str(N)],
                       capture_output=True, text=True, timeout=120, env=dict(os.environ, INFERTRACE_SYNTH_START_MS="3000"))
    check(r.returncode == 0, "record --duration 1: %s" % r.stderr)
    m = read_meta(late)
    check(m.get("cupti.api_after_stop") == str(N + 2) and m.get("cupti.gpu_after_stop") == str(N + 1),
          "after the stop: api %r gpu %r" % (m.get("cupti.api_after_stop"), m.get("cupti.gpu_after_stop")))
    check(m.get("cupti.api_records") == "0" and m.get("cupti.gpu_records") == "0",
          "written: api %r gpu %r" % (m.get("cupti.api_records"), m.get("cupti.gpu_records")))
    check(int(m.get("events_after_stop", "0")) >= 2 * N + 3, "events_after_stop %r" % m.get("events_after_stop"))
    check("made their CUDA calls (%d) after it, left out" % (N + 2) in r.stderr
          and "reported no launch call" not in r.stderr, "summary after the stop: %s" % r.stderr)
    a = subprocess.run([exe, "analyze", late, "--json"], capture_output=True, text=True)
    check(a.returncode == 0, "analyze of the stopped recording: %s" % a.stderr[-400:])

    # A command that makes no CUDA call: the summary says no process loaded the injection library,
    # and not the uprobe-mode advice (review DJ L3: "compare the probed: lines ...; --lib names
    # one", though CUPTI mode probes no library and takes no --lib).
    quiet = os.path.join(d, "quiet.itrace")
    r = subprocess.run([exe, "record", "--cuda", "cupti", "-o", quiet, "--", "sleep", "0.2"], capture_output=True,
                       text=True, timeout=120)
    check(r.returncode == 0 and "no process loaded the injection library" in r.stderr, "sleep: %s" % r.stderr)
    check("probed:" not in r.stderr and "--lib" not in r.stderr, "sleep: uprobe advice in cupti mode: %s" % r.stderr)

for f in failures:
    print("FAIL:", f)
sys.exit(1 if failures else 0)
