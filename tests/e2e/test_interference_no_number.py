"""`bench interference` that gets no number from any run (here: its command cannot start) exits 1
and leaves no DIR/interference.json that `report` would take for a result; one an earlier run left
there is removed too (and said so). Runs no load and records nothing: under a second."""
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

if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("ok")
