"""`record -- CMD` exits with the command's status when the command fails by itself (as `time` and
strace do): N for `exit N`, 128+S when a signal S kills it; 0 when it succeeds or when record itself
stops it (--duration). Each recording is complete either way (END record: ingest reads it without the
"incomplete" note). Needs root and kernel BTF (skipped otherwise)."""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import check, failures, run, skip  # noqa: E402

if os.geteuid() != 0 or not os.path.exists("/sys/kernel/btf/vmlinux"):
    skip("needs root and /sys/kernel/btf/vmlinux")
os.environ.pop("SUDO_UID", None)
os.environ.pop("SUDO_GID", None)

CASES = [  # (command, extra record options, expected exit status)
    (["/bin/true"], [], 0),
    (["/bin/false"], [], 1),
    (["sh", "-c", "exit 7"], [], 7),
    (["sh", "-c", "kill -9 $$"], [], 137),
    (["sleep", "5"], ["--duration", "0.5"], 0),
]

with tempfile.TemporaryDirectory() as tmp:
    for i, (cmd, extra, want) in enumerate(CASES):
        rec = os.path.join(tmp, "r%d.itrace" % i)
        r = run("record", "--cuda", "uprobe", "--events", "sched", *extra, "-o", rec, "--", *cmd, timeout=120)
        if i == 0 and r.returncode != 0:
            if "no eBPF recorder" in r.stderr or "CAP_BPF" in r.stderr or "BTF" in r.stderr or "tracefs" in r.stderr:
                skip("recorder cannot run here: " + r.stderr.strip()[:200])
        what = " ".join(extra + cmd)
        check(r.returncode == want, "%s: rc %d, want %d: %s" % (what, r.returncode, want, r.stderr.strip()[-300:]))
        check(("record exits with it" in r.stderr) == (want != 0), "%s: stderr: %s" % (what, r.stderr.strip()[-300:]))
        i_ = run("ingest", rec)
        check(i_.returncode == 0 and "incomplete" not in i_.stderr, "%s: recording not complete: %s" % (what, i_.stderr.strip()))

if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("ok")
