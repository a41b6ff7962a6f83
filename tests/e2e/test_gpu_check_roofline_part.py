"""Dry run of scripts/gpu_checks.d/45-engine-roofline.sh without a GPU: the part is sourced the way
gpu_checks.sh sources it, with IT pointing at a stand-in that answers `bench membw` and `engine run`
with fixed JSON of the documented shapes (and passes `model preset` to the real binary). Checks the
shell and the table code: the bandwidth reaches the engine runs as --roofline-gbs, every mode runs
twice, the table has a row per mode with the share and the launches the JSON gave, the goal line
is computed, and a failed transformers run is reported, not fatal. Skipped where torch is
installed (the part would then start a real transformers run)."""
import importlib.util
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from _gpu_parts import source_part  # noqa: E402
from _harness import EXE, check, failures  # noqa: E402

if importlib.util.find_spec("torch") is not None:
    print("skipped: torch is installed here")
    sys.exit(77)

STAND_IN = r"""#!/usr/bin/env bash
# Stand-in for infertrace in the dry run: fixed answers, each call logged.
echo "$*" >> "$LOG"
case "$1 $2" in
  "model preset") exec "$REAL" "$@" ;;
  "model synth") echo "wrote (dry run)" ;;
  "bench membw")
    if [[ " $* " == *" json "* ]]; then echo '{"read": {"best_gbs": 4000.0}, "copy": {"best_gbs": 3600.0}, "gpu": "dry"}'
    else echo "| read | 4000.0 |"; fi ;;
  "engine run")
    mode=$(sed 's/.*--mode \([a-z]*\).*/\1/' <<<"$*")
    case $mode in graph) h=1; tg=2100;; fused) h=227; tg=1500;; *) h=1851; tg=300;; esac
    share=$(python3 -c "print($tg * 1.2216e9 / 4000e9)")
    echo "{\"mode\": \"$mode\", \"n_seq\": 1, \"pp_tokens_per_second\": 9000.0, \"tg_tokens_per_second\": $tg,"
    echo " \"decode_bytes_per_token\": 1.2216e9, \"launches_per_decode_step\": $h, \"kernels_per_decode_step\": 227,"
    echo " \"roofline\": {\"read_gbs\": 4000.0, \"tg_fraction\": $share}, \"prompt_ids\": [1, 2]}" ;;
  *) echo "dry run: unexpected call $*" >&2; exit 9 ;;
esac
"""

with tempfile.TemporaryDirectory() as tmp:
    r, text, calls, out = source_part("45-engine-roofline.sh", tmp, STAND_IN, REAL=EXE,
                                      ROOFLINE_MODEL=os.path.join(tmp, "m.gguf"))
    check(r.returncode == 0, "part exited %d: %s" % (r.returncode, text[-800:]))
    engine = [c for c in calls if c.startswith("engine run")]
    check(len(engine) == 6, "engine runs: %s" % engine)
    check(all("--roofline-gbs 4000.0" in c and "--prompt-tokens 64 -n 128" in c for c in engine),
          "engine args: %s" % engine)
    for mode, launches, tg in [("graph", 1, "2100.0"), ("fused", 227, "1500.0"), ("eager", 1851, "300.0")]:
        row = [line for line in text.splitlines() if line.startswith("| infertrace | %s |" % mode)]
        check(len(row) == 1 and "| 2 |" in row[0] and "| %s |" % tg in row[0] and "| %d |" % launches in row[0],
              "%s row: %s" % (mode, row))
    check("graph mode >= 50% of the roofline): 64.1% -> met" in text, "goal line: %s" % text[-600:])
    check("transformers: no result" in text, "transformers failure not reported")
    check("bandwidth before: read 4000 GB/s" in text, "bandwidth line")
    check(os.path.exists(os.path.join(out, "roofline_engine.jsonl")), "roofline_engine.jsonl not written")

if failures:
    sys.exit(1)
print("ok")
