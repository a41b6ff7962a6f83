"""End-to-end: `infertrace bench membw --device cuda` (the GPU's copy and read bandwidth).
Everywhere: usage errors exit 2 (an unknown device, CPU-only options with cuda, csv output). Without
a GPU (CI): "no CUDA device", naming what is missing, exit 1, nothing on stdout. With a GPU (the
device machine): the JSON's statistics are recomputed from its samples (best = max, median =
nearest rank), the buffer is at least 8 x L2, and no figure exceeds the device's nominal bandwidth
by more than 5% (a wrong byte count or timer shows up there first)."""
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from _harness import EXE, check, failures, run  # noqa: E402,F401


for args, want in [(["--device", "gpu"], "cpu, cuda or cuda:N"),
                   (["--device", "cuda:x"], "cpu, cuda or cuda:N"),
                   (["--device", "cuda", "-t", "2"], "--device cpu only"),
                   (["--device", "cuda", "--cpus", "0"], "--device cpu only"),
                   (["--device", "cuda", "-o", "csv"], "md or json"),
                   (["--device", "cuda", "--size-mib", "10"], "--size-mib must be >= 64"),
                   (["--device", "cuda", "-r", "0"], "--repetitions must be >= 1")]:
    u = run("bench", "membw", *args)
    check(u.returncode == 2 and want in u.stderr and u.stdout == "", f"{args}: rc {u.returncode} {u.stderr!r}")

has_gpu = os.path.exists("/proc/driver/nvidia/version") and os.path.exists("/dev/nvidiactl")
r = run("bench", "membw", "--device", "cuda", "-r", "4", "-o", "json")
if r.returncode != 0:
    check(not has_gpu, f"bench membw --device cuda failed on a machine with a GPU driver: {r.stderr}")
    check(r.returncode == 1, f"no GPU: exit {r.returncode}, expected 1")
    check(r.stdout == "", "no GPU: something on stdout")
    check("no CUDA device" in r.stderr, f"no GPU: unclear message {r.stderr!r}")
    if not has_gpu:
        check("/proc/driver/nvidia/version" in r.stderr or "no CUDA part" in r.stderr,
              f"no driver not named: {r.stderr!r}")
else:
    j = json.loads(r.stdout)
    check(j["device"] == "cuda" and j["repetitions"] == 4, f"header {j}")
    check(j["buffer_bytes"] >= 8 * j["l2_bytes"], f"buffer {j['buffer_bytes']} < 8 x L2 {j['l2_bytes']}")
    for test in ("copy", "read"):
        s = j[test]["samples_gbs"]
        check(len(s) == 4 and all(x > 0 for x in s), f"{test}: samples {s}")
        check(j[test]["best_gbs"] == max(s), f"{test}: best")
        check(j[test]["median_gbs"] == sorted(s)[math.ceil(len(s) / 2) - 1], f"{test}: median")
        if j["nominal_gbs"]:
            check(max(s) <= 1.05 * j["nominal_gbs"], f"{test}: {max(s)} GB/s above nominal {j['nominal_gbs']}")
    t = run("bench", "membw", "--device", "cuda", "-r", "2", "--size-mib", "1024")
    check(t.returncode == 0 and "| read |" in t.stdout and "1024 MiB" in t.stdout, f"table output {t.stdout!r}")

if failures:
    sys.exit(1)
print("ok" + ("" if r.returncode == 0 else " (no GPU: checked the error path)"))
