"""`bench interference` that gets no number from any run (here: its command cannot start) exits 1
and leaves no DIR/interference.json that `report` would take for a result; one an earlier run left
there is removed too (and said so). Runs no load; the recorded case (root only) takes a few seconds."""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import check, failures, run  # noqa: E402

with tempfile.TemporaryDirectory() as tmp:
    out = os.path.join(tmp, "if")
    os.mkdir(out)
    doc = os.path.join(out, "interference.json")
    with open(doc, "w") as f:
        json.dump({"kind": "interference", "stale": True}, f)
    r = run("bench", "interference", "--warmup", "0", "-r", "1", "--record", "off", "--scenarios", "baseline",
            "--out-dir", out, "--", "/nonexistent/cmd", timeout=120)
    check(r.returncode == 1 and "no run produced a number" in r.stderr, "rc %d: %s" % (r.returncode, r.stderr.strip()))
    check(not os.path.exists(doc), "interference.json left in the out dir")
    check("removed " + doc in r.stderr, "the earlier interference.json's removal is not said: " + r.stderr.strip())

    # Review BD L9: a --metric-regex group that is not wholly a finite number ("12abc", "inf", "nan")
    # is no measurement (std::stod took 12 and infinity): no run produced a number, exit 1.
    for printed in ("12abc", "inf", "nan"):
        r = run("bench", "interference", "--warmup", "0", "-r", "1", "--record", "off", "--scenarios", "baseline",
                "--out-dir", os.path.join(tmp, "m_" + printed), "--metric-regex", r"v=(\S+)", "--", "/bin/echo",
                "v=" + printed, timeout=120)
        check(r.returncode == 1 and "group 1 is no number" in r.stderr,
              "v=%s: rc %d: %s" % (printed, r.returncode, r.stderr.strip()[-300:]))
    r = run("bench", "interference", "--warmup", "0", "-r", "1", "--record", "off", "--scenarios", "baseline",
            "--out-dir", os.path.join(tmp, "m_ok"), "--metric-regex", r"v=(\S+)", "--", "/bin/echo", "v=12.5",
            timeout=120)
    check(r.returncode == 0 and "12.500" in r.stdout, "v=12.5: rc %d: %s" % (r.returncode, r.stdout[-300:]))

    # Recorded (root and BTF only): a command that fails under `record` fails the run too, as record
    # passes its status on; the recording stays.
    if os.geteuid() == 0 and os.path.exists("/sys/kernel/btf/vmlinux"):
        out = os.path.join(tmp, "rec")
        r = run("bench", "interference", "--warmup", "0", "-r", "1", "--record", "on", "--scenarios", "baseline",
                "--out-dir", out, "--", "/bin/false", timeout=300)
        if "bench interference --record on:" not in r.stderr:  # else this build or machine cannot record
            check(r.returncode == 1 and "exited with status 1" in r.stderr, "recorded /bin/false: rc %d: %s"
                  % (r.returncode, r.stderr.strip()[-400:]))
            check(not os.path.exists(os.path.join(out, "interference.json")), "recorded: interference.json written")
            check(os.path.exists(os.path.join(out, "baseline-1.itrace")), "recorded: the recording was not kept")

if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("ok")
