"""`-` as an output name (review CX L9): it wrote a file (or made a directory) literally called `-`
in the working directory, exit 0, and nothing on the terminal. Now an output that can go to stdout
(report -o, export --chrome and --perfetto, sweep --plot) takes `-` as stdout: the bytes on stdout
are the ones the same run writes into a named file. An output that cannot (export --sqlite, the
--csv directories of analyze and export, model synth -o, record -o, demo -o, bench interference
--out-dir) is refused (exit 2) with a message naming ./- for a file called -. Nothing called `-`
may appear in either case."""
import json
import os
import subprocess
import sys
import tempfile
import xml.dom.minidom

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import EXE, check, failures  # noqa: E402
from _tiny_traces import two_launches  # noqa: E402


def run_in(cwd, *args):
    return subprocess.run([EXE, *args], cwd=cwd, capture_output=True, timeout=600)


def clear(work):
    """What a run left in the working directory (the file or directory `-` the old binary made)."""
    for left in os.listdir(work):
        subprocess.run(["rm", "-rf", "--", os.path.join(work, left)])


with tempfile.TemporaryDirectory() as tmp:
    work = os.path.join(tmp, "work")
    os.mkdir(work)
    for name, shift in (("m_bs1.json", 0), ("m_bs2.json", 5)):
        with open(os.path.join(tmp, name), "w") as f:
            f.write(two_launches(shift))
    t1, t2 = os.path.join(tmp, "m_bs1.json"), os.path.join(tmp, "m_bs2.json")

    # Outputs that go to stdout: the same bytes as into a file of this run.
    for case, args, opt in (("export --chrome", ["export", t1], "--chrome"),
                            ("export --perfetto", ["export", t1], "--perfetto"),
                            ("report -o", ["report", t1], "-o"),
                            ("sweep --plot", ["sweep", t1, t2], "--plot")):
        ref = os.path.join(tmp, "ref.svg" if opt == "--plot" else "ref.out")
        r = run_in(work, *args, opt, ref)
        check(r.returncode == 0, "%s FILE: rc %d: %s" % (case, r.returncode, r.stderr.decode()))
        with open(ref, "rb") as f:
            want = f.read()
        os.remove(ref)
        r = run_in(work, *args, opt, "-")
        check(r.returncode == 0, "%s -: rc %d: %s" % (case, r.returncode, r.stderr.decode()))
        got = r.stdout
        if case == "report -o":  # the page names where it was written nowhere; it must be one whole page
            check(got.startswith(b"<!DOCTYPE html>") and got.rstrip().endswith(b"</html>"),
                  "report -o -: stdout is not the page: %r" % got[:80])
        else:
            check(got == want, "%s -: stdout (%d bytes) is not the file's %d bytes" % (case, len(got), len(want)))
        try:
            if case == "export --chrome":
                check(len(json.loads(got)["traceEvents"]) > 0, "export --chrome -: no events on stdout")
            if case == "sweep --plot":
                check(xml.dom.minidom.parseString(got).documentElement.tagName == "svg", "sweep --plot -: not an SVG")
        except Exception as e:  # noqa: BLE001 (not JSON / not XML: the check fails, the test goes on)
            check(False, "%s -: stdout does not parse: %s" % (case, e))
        check(os.listdir(work) == [], "%s -: left %s in the working directory" % (case, os.listdir(work)))
        clear(work)

    # Outputs that cannot go to stdout: refused, nothing made.
    for case, args in (("export --sqlite", ["export", t1, "--sqlite", "-"]),
                       ("export --csv", ["export", t1, "--csv", "-"]),
                       ("analyze --csv", ["analyze", t1, "--csv", "-"]),
                       ("model synth -o", ["model", "synth", "--preset", "qwen3-0.6b", "-o", "-"]),
                       ("record -o", ["record", "-o", "-", "--", "true"]),
                       ("demo -o", ["demo", "--no-engine", "-o", "-"]),
                       ("bench interference --out-dir", ["bench", "interference", "--out-dir", "-", "--", "true"])):
        r = run_in(work, *args)
        err = r.stderr.decode()
        check(r.returncode == 2 and "./-" in err and "standard output" in err,
              "%s -: rc %d: %s" % (case, r.returncode, err.strip()[-300:]))
        check(os.listdir(work) == [], "%s -: left %s in the working directory" % (case, os.listdir(work)))
        clear(work)

if failures:
    sys.exit(1)
print("ok")
