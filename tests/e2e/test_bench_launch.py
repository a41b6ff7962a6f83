"""End-to-end: `infertrace bench launch` (null-kernel launch cost per CUDA API).
Without a GPU (CI): a clear error naming what is missing, exit 1, nothing on stdout; usage errors
exit 2. With a GPU (the device machine): the JSON has every API, the percentiles are recomputed
here from nothing but their definition's invariants (p50 <= p99, positive host times), the
launch-to-start latency is positive and below a millisecond (a wrong clock mapping is off by
seconds or negative), graphs of N kernels report their in-graph spacing, and the clock error is
stated and small against the latencies it qualifies."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from _harness import EXE, check, failures, run  # noqa: E402,F401


u = run("bench", "launch", "-o", "csv")
check(u.returncode == 2 and "md or json" in u.stderr, f"-o csv: rc {u.returncode} {u.stderr}")
u = run("bench", "launch", "-n", "0")
check(u.returncode in (1, 2) and u.stdout == "", f"-n 0: rc {u.returncode}")

r = run("bench", "launch", "-n", "300", "--graph-kernels", "16", "-o", "json")
has_gpu = os.path.exists("/proc/driver/nvidia/version") and os.path.exists("/dev/nvidiactl")
if r.returncode != 0:
    check(not has_gpu, f"bench launch failed on a machine with a GPU driver: {r.stderr}")
    check(r.returncode == 1, f"no GPU: exit {r.returncode}, expected 1")
    check(r.stdout == "", "no GPU: something on stdout")
    msg = r.stderr
    check("bench launch:" in msg and ("no usable CUDA device" in msg or "no CUDA part" in msg),
          f"no GPU: unclear message {msg!r}")
    if not has_gpu:
        check("/proc/driver/nvidia/version" in msg or "no CUDA part" in msg, f"no driver not named: {msg!r}")
else:
    j = json.loads(r.stdout)
    names = [a["api"] for a in j["apis"]]
    for want in ["cudaLaunchKernel", "cudaLaunchKernelExC", "cuLaunchKernel", "cuLaunchKernelEx",
                 "cudaGraphLaunch (1 kernel)", "cudaGraphLaunch (16 kernels)"]:
        check(want in names, f"missing API {want}: {names}")
    check(j["clock"]["error_ns"] < 5000, f"clock error {j['clock']['error_ns']} ns")
    for a in j["apis"]:
        h, l = a["host_ns"], a["start_latency_ns"]
        check(a["launches"] == 300, f"{a['api']}: {a['launches']} launches")
        check(0 < h["p50"] <= h["p99"] < 10_000_000, f"{a['api']}: host {h}")
        check(0 < l["p50"] <= l["p99"] < 1_000_000, f"{a['api']}: launch->start {l}")
        check(l["p50"] > j["clock"]["error_ns"], f"{a['api']}: latency below the clock error")
        check(a["back_to_back_ns_per_launch"] > 0, f"{a['api']}: back to back")
        if a["kernels_per_launch"] > 1:
            check(a["kernel_spacing_ns"] > 0, f"{a['api']}: no in-graph spacing")
    t = run("bench", "launch", "-n", "50")
    check(t.returncode == 0 and "Table V" in t.stdout and "| cuLaunchKernelEx |" in t.stdout, "table output")

if failures:
    sys.exit(1)
print("ok" + ("" if r.returncode == 0 else " (no GPU: checked the error path)"))
