"""Dry run of scripts/gpu_checks.d/50-fusion-loop.sh and 60-engine-sweep.sh without a GPU: each part
is sourced the way gpu_checks.sh sources it, with IT pointing at a stand-in. The stand-in's
`record` writes a synthetic CUPTI recording of decode steps (tests/support/cupti_synth/
cupti_synth_decode; longer kernels for larger --batch, so the GPU falls behind from batch 8 on)
and runs the wrapped command with that recording's decode window in $WINDOW; its `engine run`
prints a run document of the documented shape (fixed tokens/s per mode, the window when recorded);
`model synth` writes nothing; everything else goes to the real binary. Checks the shell, the
wrapper that keeps the run's JSON out of record's output, the median choice, the lengths (one
whole eager step), the closed-loop table, the per-mode step costs, the Chrome round trip, and the
sweep's batches and transition."""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from _gpu_parts import source_part  # noqa: E402
from _harness import EXE, check, failures  # noqa: E402

SYNTH = os.path.join(os.environ["INFERTRACE_BINARY_DIR"], "tests", "support", "cupti_synth", "cupti_synth_decode")
STAND_IN = r"""#!/usr/bin/env bash
# Stand-in for infertrace in the dry run: each call logged.
echo "$*" >> "$LOG"
case "$1 $2" in
  "model synth") echo "wrote (dry run)"; exit 0 ;;
  "engine run")
    mode=fused; batch=1
    for ((i = 1; i <= $#; i++)); do
      case ${!i} in --mode) j=$((i + 1)); mode=${!j};; --batch) j=$((i + 1)); batch=${!j};; esac
    done
    case $mode in eager) k=17; h=17; tg=50;; fused) k=9; h=9; tg=120;; *) k=9; h=1; tg=150;; esac
    # Runs 1..3 of a mode differ a little (the part takes the median); recorded runs are slower.
    # n counts the logged calls naming the mode, this one included.
    n=$(grep -c -- "--mode $mode\b" "$LOG")
    [ -n "${WINDOW:-}" ] && tg=$((tg - 10))
    python3 - "$mode" "$batch" "$k" "$h" "$((tg * batch + n))" <<'PY'
import json, os, sys
mode, batch, k, h, tg = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
doc = {"schema_version": 1, "backend": "cuda", "mode": mode, "n_seq": batch, "n_decode_evals": 7,
       "tg_tokens_per_second": tg, "launches_per_decode_step": h, "kernels_per_decode_step": k}
doc["decode_window_ns"] = json.loads(os.environ["WINDOW"])["decode_window_ns"] if os.environ.get("WINDOW") else \
    {"start": 1, "end": 2}
print(json.dumps(doc, indent=2))
PY
    exit 0 ;;
  "record --cuda")
    shift 2; out=""; batch=1
    while [ "$1" != "--" ]; do [ "$1" = "-o" ] && out=$2; shift; done; shift
    for a in "$@"; do [ "$prev" = "--batch" ] && batch=$a; prev=$a; done
    WINDOW=$("$SYNTH" "$out" 7 $((1500 * batch))) || exit 1
    WINDOW=$WINDOW "$@" || exit 1
    echo "recorded (dry run) into $out"; echo "command exit status: 0"; exit 0 ;;
esac
exec "$REAL" "$@"
"""


with tempfile.TemporaryDirectory() as tmp:
    r, text, calls, out = source_part("50-fusion-loop.sh", tmp, STAND_IN, REAL=EXE, SYNTH=SYNTH)
    check(r.returncode == 0, "part 50 exited %d: %s" % (r.returncode, text[-800:]))
    plain = [c for c in calls if c.startswith("engine run") and "record" not in c]
    check(len([c for c in calls if c.startswith("record --cuda cupti")]) == 3, "part 50: three recordings: %s" % calls)
    check(len(plain) == 12, "part 50: 9 plain runs + 3 recorded: %s" % plain)
    fl = os.path.join(out, "fusion_loop")
    # The stand-in adds the count of logged calls naming the mode: rounds 1-3 give +1, +2, +3; the
    # recorded run is logged twice (record, engine run) and 10 slower: tg - 10 + 5.
    for mode, median in (("eager", 52), ("fused", 122), ("graph", 152)):
        with open(os.path.join(fl, mode + ".json")) as f:
            check(json.load(f)["tg_tokens_per_second"] == median, "part 50: %s median" % mode)
        with open(os.path.join(fl, mode + "_rec.json")) as f:
            rec = json.load(f)
        check(rec["mode"] == mode and rec["decode_window_ns"]["start"] > 1, "part 50: %s recorded run document" % mode)
    fusion_calls = [c for c in calls if c.startswith("fusion") and "eager.itrace" in c and "--measured" in c]
    check(fusion_calls and all("--lengths 2,4,8,16,32,64,128,256,512,1024,17 " in c for c in fusion_calls),
          "part 50: lengths with one whole eager step: %s" % fusion_calls)
    check("Closed loop: the eager trace's decode steps against the measured modes" in text and
          "7 decode steps, 17.0 kernels/step (the run counted 17)" in text, "part 50: closed-loop table: %s" % text[-1500:])
    with open(os.path.join(fl, "fusion_loop.json")) as f:
        loop = json.load(f)["closed_loop"]
    check([m["mode"] for m in loop["measured"]] == ["fused", "graph"] and loop["best_length"] == 17,
          "part 50: loop %r" % {k: loop[k] for k in ("best_length", "measured")})
    check(loop["eager"]["baseline"]["tg_tokens_per_second"] == 52 and loop["eager"]["recorded_tg_tokens_per_second"] == 45,
          "part 50: baseline / recorded tokens/s %r" % loop["eager"])
    check(os.path.exists(os.path.join(fl, "fusion_loop_t05.json")), "part 50: T = 0.5 JSON")
    check("launch time saved per step, fused: measured" in text, "part 50: measured launch-time saving line")
    check("round trip: identical closed loop" in text, "part 50: Chrome round trip: %s" % text[-400:])
    check(not os.path.exists(os.path.join(fl, "eager_chrome.json")), "part 50: the Chrome export left behind")

with tempfile.TemporaryDirectory() as tmp:
    r, text, calls, out = source_part("60-engine-sweep.sh", tmp, STAND_IN, REAL=EXE, SYNTH=SYNTH)
    check(r.returncode == 0, "part 60 exited %d: %s" % (r.returncode, text[-800:]))
    recs = [c for c in calls if c.startswith("record --cuda cupti")]
    check(len(recs) == 7 and all("--mode fused" in c for c in recs), "part 60: seven fused recordings: %s" % recs)
    with open(os.path.join(out, "engine_sweep", "sweep.json")) as f:
        sweep = json.load(f)
    check([p["batch"] for p in sweep["points"]] == [1, 2, 4, 8, 16, 32, 64], "part 60: batches %r" % sweep["points"])
    check(all(p["kernels"] == 7 * 17 for p in sweep["points"]), "part 60: decode steps only")
    # Kernels of 1.5 us x batch against an 8 us launch period: the GPU falls behind from batch 8.
    check(sweep["transition_batch"] == 8, "part 60: transition %r" % sweep["transition_batch"])
    check("transition batch: 8" in text and os.path.exists(os.path.join(out, "engine_sweep", "sweep.svg")),
          "part 60: table / plot: %s" % text[-800:])

if failures:
    sys.exit(1)
print("ok")
