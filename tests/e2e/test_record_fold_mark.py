"""`infertrace record` folds into a runtime launch-type call exactly the driver calls it makes.
Without --launch-durations a runtime launch marks its thread with its stack pointer at entry and
its return address (fold_pending); a driver call entered while that frame is live (stack pointer at
or below the mark, the mark's slot still holding that return address) is the runtime call's own:
counted in folded_driver_calls, not recorded (docs/record.md, "Probes"). A direct driver call the
thread makes afterwards is the application's own and must be recorded, also after a runtime call
that returned before reaching the driver (review AC M2: a family mark folded it away).

The workload (tests/support/fakecuda/fold_sequence.c), on one thread, makes ROUNDS rounds of
cudaLaunchKernel then a direct cuLaunchKernel, cudaMemcpyAsync then a direct cuMemcpyAsync,
cudaGraphLaunch (a tail call to cuGraphLaunch in the fake) then a direct cuGraphLaunch, and four
zero-byte cudaMemcpyAsync calls (they return before the driver) each followed by a direct driver
call: cuMemcpyAsync from the same frame, from a deeper one, from higher up after the helper that
made the runtime call returned, and cuLaunchKernel (grid.x 1000 + r) whose pushed stack arguments
leave the runtime call's return address in an unwritten alignment slot; it prints what it made. Checks (SQLite export): every call of each API
recorded exactly as many times as the workload made it, on its thread; the recorded cuLaunchKernel
calls are the direct ones (their grid.x values, not the runtime's); folded_driver_calls equals the
driver calls the workload made through the runtime; no drops.
Skips (77) without root, kernel BTF or the record verb."""
import os
import sys
import tempfile
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _fake_record import record_fake, recorded_calls  # noqa: E402
from _harness import check, failures  # noqa: E402
from _record_prereq import require_recorder  # noqa: E402

require_recorder()

ROUNDS = 25
APIS = ("cudaLaunchKernel", "cuLaunchKernel", "cudaMemcpyAsync", "cuMemcpyAsync", "cudaGraphLaunch", "cuGraphLaunch")

with tempfile.TemporaryDirectory() as tmp:
    made = record_fake(tmp, "fakecuda_fold_sequence", ROUNDS)
    check(all(made.get(a, 0) > 0 for a in APIS), f"the workload reports its calls: {made!r}")
    calls, meta = recorded_calls(tmp, ("pid", "tid", "name", "grid_x"))
    if calls is not None and made:
        check(meta.get("dropped.api", "0") == "0", f"API events dropped: {meta.get('dropped.api')}")
        per = Counter(c[2] for c in calls)
        for api in APIS:
            check(per[api] == made[api], f"{api}: made {made[api]}, recorded {per[api]}")
        check(set(per) <= set(APIS), f"APIs recorded that the workload did not call directly: {dict(per)}")
        check(all(c[0] == made["pid"] and c[1] == made["tid"] for c in calls),
              f"calls recorded on another thread than {made['pid']}/{made['tid']}: "
              f"{sorted(set((c[0], c[1]) for c in calls))}")
        # The recorded driver launches are the direct ones: the one each runtime launch made (its
        # grid.x odd) is folded, the direct one after it (its grid.x even) recorded.
        drv_grids = sorted(c[3] for c in calls if c[2] == "cuLaunchKernel")
        check(drv_grids == sorted(made["direct_grid_x"]),
              f"recorded cuLaunchKernel grid.x {drv_grids}, the direct calls' {made['direct_grid_x']}")
        check(meta.get("folded_driver_calls") == str(made["through_runtime"]),
              f"folded_driver_calls {meta.get('folded_driver_calls')}, "
              f"the workload made {made['through_runtime']} driver calls through the runtime")

sys.exit(1 if failures else 0)
