"""`bench serve -o /dev/stderr` and `sweep --plot /dev/stderr`: both verbs write lines of their own
to stderr while they run (bench serve's "topology sn ..." and "load 1" lines, sweep's progress and
notes) and an error at the end, so the document was mixed with them (the JSON came after two
progress lines). Refused as a usage error (exit 2) before anything runs, whatever spells fd 2
(/dev/stderr, /dev/fd/2, /proc/self/fd/2, a link to one), with /dev/stdout named as the way out;
`--plot /dev/stdout` still works and leaves stdout a bare SVG. Another descriptor on stderr's file
(`--plot /dev/fd/3 3>&2`) is refused the same way; not when stdout and stderr are one file (`>f 2>&1`:
the user joined the streams), whichever descriptor on it is named."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import EXE, check, failures, refused, run  # noqa: E402

traces = [os.path.join(os.environ["INFERTRACE_SOURCE_DIR"], "examples", "traces", "gpt2_prefill_bs%d.json.gz" % b)
          for b in (1, 2)]

with tempfile.TemporaryDirectory() as tmp:
    link = os.path.join(tmp, "err.svg")
    os.symlink("/dev/stderr", link)
    for spelling in ("/dev/stderr", "/dev/fd/2", "/proc/self/fd/2", link):
        refused(["sweep", *traces, "--plot", spelling], "--plot " + spelling, "mixed", "/dev/stdout")
        r = run("sweep", *traces, "--plot", spelling)
        check("<svg" not in r.stderr, "sweep --plot %s: the SVG reached stderr" % spelling)
        if os.path.exists(os.path.join(os.path.dirname(EXE), "infertrace-serve")):
            # Port 9 (discard): nothing listens; the refusal comes before any request would fail.
            refused(["bench", "serve", "--url", "http://127.0.0.1:9", "--requests", "1", "-o", spelling],
                    "-o " + spelling, "mixed", "/dev/stdout")

    r = subprocess.run([EXE, "sweep", *traces, "--plot", "/dev/stdout"], capture_output=True, text=True, timeout=600)
    check(r.returncode == 0 and r.stdout.startswith("<svg") and r.stdout.rstrip().endswith("</svg>"),
          "sweep --plot /dev/stdout: rc %d, stdout %r" % (r.returncode, r.stdout[:80]))

    # Another descriptor on the file stderr goes to: the same mix (review BT L5: only names of
    # fd 2 itself were refused, and this exited 0 into e.txt), whichever descriptor it is.
    err = os.path.join(tmp, "e.txt")
    for plot, redirect in (("/dev/fd/3", '2>"$E" 3>&2'), ("/dev/fd/4", '4>"$E" 2>&4')):
        r = subprocess.run(["bash", "-c", '"$@" ' + redirect, "sh", EXE, "sweep", *traces, "--plot", plot],
                           capture_output=True, text=True, timeout=600, env=dict(os.environ, E=err))
        with open(err) as f:
            got = f.read()
        check(r.returncode == 2 and "stderr goes to" in got and "<svg" not in got,
              "sweep --plot %s %s: rc %d: %r" % (plot, redirect, r.returncode, got[:300]))
    # stdout joined with stderr by the user (`2>&1`): stdout stays a valid output, as for --json.
    r = subprocess.run(["bash", "-c", '"$@" >"$E" 2>&1', "sh", EXE, "sweep", *traces, "--plot", "/dev/stdout"],
                       capture_output=True, text=True, timeout=600, env=dict(os.environ, E=err))
    with open(err) as f:
        got = f.read()
    check(r.returncode == 0 and "<svg" in got and "</svg>" in got,
          "sweep --plot /dev/stdout >e.txt 2>&1: rc %d: %r" % (r.returncode, got[:300]))
    # Any other descriptor on that joined file is the user's to mix; fd 2 itself stays refused.
    r = subprocess.run(["bash", "-c", '"$@" >"$E" 2>&1 3>&2', "sh", EXE, "sweep", *traces, "--plot", "/dev/fd/3"],
                       capture_output=True, text=True, timeout=600, env=dict(os.environ, E=err))
    with open(err) as f:
        got = f.read()
    check(r.returncode == 0 and "<svg" in got and "</svg>" in got,
          "sweep --plot /dev/fd/3 >e.txt 2>&1 3>&2: rc %d: %r" % (r.returncode, got[:300]))
    r = subprocess.run(["bash", "-c", '"$@" >"$E" 2>&1', "sh", EXE, "sweep", *traces, "--plot", "/dev/stderr"],
                       capture_output=True, text=True, timeout=600, env=dict(os.environ, E=err))
    with open(err) as f:
        got = f.read()
    check(r.returncode == 2 and "<svg" not in got, "sweep --plot /dev/stderr >e.txt 2>&1: rc %d: %r" % (r.returncode, got[:300]))
    r = subprocess.run(["bash", "-c", '"$@" 2>/dev/null', "sh", EXE, "sweep", *traces, "--plot", "/dev/stdout"],
                       capture_output=True, text=True, timeout=600)
    check(r.returncode == 0 and r.stdout.startswith("<svg"), "sweep --plot /dev/stdout 2>/dev/null: rc %d" % r.returncode)

if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("ok")
