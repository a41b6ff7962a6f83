"""`record --cuda uprobe` records every launch API of docs/metrics.md §1, not only the first few.
Review AC H1: 8 APIs x 100 calls gave 300 launches; cudaMemcpy2DAsync, cudaMemcpyPeerAsync,
cudaMemset2DAsync, cuMemcpy3DAsync_v2, cuMemcpyAsync_ptsz, ... were not probed and vanished.

The workload (tests/support/fakecuda/apis.c) calls 19 launch APIs ROUNDS times each on one thread,
each on a stream of its own (11 runtime calls that each reach one driver call, 8 direct driver
calls), and prints what it made. Checks (SQLite export and `analyze --json`): every API recorded
exactly as many times as it was called, nothing else recorded; its stream is the one it was given
(read from a register, the first/second/third stack slot, or after two structs passed in memory),
or empty for cudaMemcpyBatchAsync (its argument list differs between CUDA 12 and 13); the driver
calls made through the runtime are folded; the launch count is the sum of the calls.
Skips (77) without root, kernel BTF or the record verb."""
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _fake_record import FAKE, record_fake, recorded_calls  # noqa: E402
from _harness import EXE, check, failures  # noqa: E402
from _record_prereq import require_recorder  # noqa: E402

require_recorder()

ROUNDS = 100



def kernel_has_uprobe_multi():
    """Linux 6.6 added uprobe_multi links."""
    release = os.uname().release.split("-")[0].split(".")
    return tuple(int(x) for x in release[:2] if x.isdigit()) >= (6, 6)


def check_recording(label, env=None, workload="fakecuda_apis", runtime="libfakecudart.so", links=None):
    with tempfile.TemporaryDirectory() as tmp:
        rec = os.path.join(tmp, "run.itrace")
        made = record_fake(tmp, workload, ROUNDS, env=env, runtime=runtime)
        calls = made.get("calls", {})
        check(len(calls) == 19 and all(n == ROUNDS for n in calls.values()),
              f"{label}: the workload reports its calls: {made!r}")
        rows, meta = recorded_calls(tmp, ("pid", "tid", "name", "stream"))
        if rows is not None and calls:
            probed = {meta[k]: meta.get(k + ".links") for k in meta if k.startswith("library.") and k.count(".") == 1}
            check(os.path.join(FAKE, runtime) in probed, f"{label}: {runtime} probed: {probed}")
            if links:
                check(set(probed.values()) == {links}, f"{label}: links {probed}, expected {links} for every library")
            check(meta.get("dropped.api", "0") == "0", f"{label}: API events dropped: {meta.get('dropped.api')}")
            per = Counter(row[2] for row in rows)
            for api, n in calls.items():
                check(per[api] == n, f"{label}: {api}: called {n} times, recorded {per[api]}")
            check(set(per) <= set(calls), f"{label}: APIs recorded that the workload did not call directly: {dict(per)}")
            check(all(row[0] == made["pid"] and row[1] == made["tid"] for row in rows),
                  f"{label}: calls recorded on another thread: {sorted(set((row[0], row[1]) for row in rows))}")
            streams = {}
            for _, _, name, stream in rows:
                streams.setdefault(name, set()).add(stream)
            for api, want in made["streams"].items():
                check(streams.get(api) == {want}, f"{label}: {api}: stream passed {want}, recorded {streams.get(api)}")
            check(meta.get("folded_driver_calls") == str(made["through_runtime"]),
                  f"{label}: folded_driver_calls {meta.get('folded_driver_calls')}, "
                  f"the workload made {made['through_runtime']} driver calls through the runtime")

        a = subprocess.run([EXE, "analyze", "--json", rec], capture_output=True, text=True, timeout=300)
        check(a.returncode == 0, f"{label}: analyze --json: {a.stderr}")
        if a.returncode == 0 and calls:
            launches = json.loads(a.stdout)
            got = launches.get("launch_calls")
            check(got == sum(calls.values()), f"{label}: launch calls {got}, the workload made {sum(calls.values())}")


# Each library's probes in one uprobe_multi link where the kernel has them (Linux 6.6+), one link
# per probe otherwise and with INFERTRACE_UPROBE_MULTI=0: the same calls either way. The third run
# calls a build of the runtime whose .text is linked away from its file offset: probes placed at
# symbol values instead of file offsets miss it.
check_recording("default links", links="uprobe_multi" if kernel_has_uprobe_multi() else "per_function")
check_recording("per-function links", env={"INFERTRACE_UPROBE_MULTI": "0"}, links="per_function")
check_recording("shifted runtime", workload="fakecuda_apis_shifted", runtime="libfakecudart_shifted.so")

sys.exit(1 if failures else 0)
