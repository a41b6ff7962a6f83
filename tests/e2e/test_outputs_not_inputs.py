"""No output of any verb may be one of its inputs (review CX M2): `analyze --csv DIR`,
`export --csv DIR` and `sweep --plot` replaced the trace when a table or the plot had the trace's
name, or a symlink at that name led to it, and exited 0. Every such run must now fail (exit 1,
"is the input trace" or the like) before anything is written, and leave the trace byte for byte as it was; the
outputs already refused before (--chrome, --sqlite on the input or an --attach document) stay
refused."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import EXE, check, failures, run  # noqa: E402
from _tiny_traces import two_launches  # noqa: E402


def write(path, shift=0):
    with open(path, "w") as f:
        f.write(two_launches(shift))
    with open(path, "rb") as f:
        return f.read()


def refused(case, args, trace, before, d, allowed):
    r = run(*args)
    said = ("is the input trace", "is an input trace", "is an --attach document", "is an input of this sweep")
    check(r.returncode == 1 and any(w in r.stderr for w in said) and "name another file" in r.stderr, "%s: rc %d: %s" % (case, r.returncode, r.stderr.strip()))
    with open(trace, "rb") as f:
        check(f.read() == before, "%s: the input trace was changed" % case)
    left = sorted(os.listdir(d))
    check(left == sorted(allowed), "%s: left %s (want %s)" % (case, left, sorted(allowed)))


with tempfile.TemporaryDirectory() as tmp:
    # analyze --csv DIR, a table's name in DIR a symlink to the trace.
    d = os.path.join(tmp, "a1")
    os.makedirs(d + "/out")
    before = write(d + "/trace.json")
    os.symlink("../trace.json", d + "/out/kernels.csv")
    refused("analyze --csv, table linked to the trace", ["analyze", d + "/trace.json", "--csv", d + "/out"],
            d + "/trace.json", before, d + "/out", ["kernels.csv"])

    # analyze --csv DIR, the trace itself named like a table in DIR.
    d = os.path.join(tmp, "a2")
    os.mkdir(d)
    before = write(d + "/summary.csv")
    refused("analyze --csv, trace named summary.csv", ["analyze", d + "/summary.csv", "--csv", d],
            d + "/summary.csv", before, d, ["summary.csv"])

    # The same through a second trace only (every input counts, not just the first).
    d = os.path.join(tmp, "a3")
    os.mkdir(d)
    write(d + "/first.json")
    before = write(d + "/apis.csv", 3)
    refused("analyze --csv, second trace named apis.csv", ["analyze", d + "/first.json", d + "/apis.csv", "--csv", d],
            d + "/apis.csv", before, d, ["apis.csv", "first.json"])

    # export --csv DIR: a link at gpu.csv, a trace named launches.csv, a hard link at threads.csv.
    d = os.path.join(tmp, "e1")
    os.makedirs(d + "/out")
    before = write(d + "/trace.json")
    os.symlink("../trace.json", d + "/out/gpu.csv")
    refused("export --csv, table linked to the trace", ["export", d + "/trace.json", "--csv", d + "/out"],
            d + "/trace.json", before, d + "/out", ["gpu.csv"])
    d = os.path.join(tmp, "e2")
    os.mkdir(d)
    before = write(d + "/launches.csv")
    refused("export --csv, trace named launches.csv", ["export", d + "/launches.csv", "--csv", d],
            d + "/launches.csv", before, d, ["launches.csv"])
    d = os.path.join(tmp, "e3")
    os.makedirs(d + "/out")
    before = write(d + "/trace.json")
    os.link(d + "/trace.json", d + "/out/threads.csv")
    refused("export --csv, table a hard link of the trace", ["export", d + "/trace.json", "--csv", d + "/out"],
            d + "/trace.json", before, d + "/out", ["threads.csv"])

    # export's single-file outputs: a link to the trace (refused before too) and an --attach
    # document as the SQLite output.
    d = os.path.join(tmp, "e4")
    os.mkdir(d)
    before = write(d + "/trace.json")
    os.symlink("trace.json", d + "/link.json")
    refused("export --chrome, link to the trace", ["export", d + "/trace.json", "--chrome", d + "/link.json"],
            d + "/trace.json", before, d, ["link.json", "trace.json"])
    r = run("analyze", d + "/trace.json", "--json")
    check(r.returncode == 0, "analyze --json: rc %d: %s" % (r.returncode, r.stderr.strip()))
    with open(d + "/doc.json", "w") as f:
        f.write(r.stdout)
    with open(d + "/doc.json", "rb") as f:
        doc_before = f.read()
    refused("export --sqlite onto an --attach document",
            ["export", d + "/trace.json", "--attach", "analyze=" + d + "/doc.json", "--sqlite", d + "/doc.json"],
            d + "/doc.json", doc_before, d, ["doc.json", "link.json", "trace.json"])

    # sweep --plot: a trace named like the plot, and a link at the plot's name to a trace.
    d = os.path.join(tmp, "s1")
    os.mkdir(d)
    before = write(d + "/t_bs1.svg")
    write(d + "/t_bs2.json", 5)
    refused("sweep --plot, trace named like the plot", ["sweep", d + "/t_bs1.svg", d + "/t_bs2.json", "--plot",
                                                         d + "/t_bs1.svg"], d + "/t_bs1.svg", before, d,
            ["t_bs1.svg", "t_bs2.json"])
    d = os.path.join(tmp, "s2")
    os.mkdir(d)
    before = write(d + "/m_bs1.json")
    write(d + "/m_bs2.json", 5)
    os.symlink("m_bs1.json", d + "/p.svg")
    refused("sweep --plot, link to a trace", ["sweep", d + "/m_bs1.json", d + "/m_bs2.json", "--plot", d + "/p.svg"],
            d + "/m_bs1.json", before, d, ["m_bs1.json", "m_bs2.json", "p.svg"])

    # An output named as our stdout (`-`, /dev/stdout, /proc/self/fd/1) while stdout is open on an
    # input, read-write or appending (`1<>t.json`, `>> t.json`): the name leads to stderr once the
    # output took stdout aside, so the file it is open on is what counts (review S43 M1).
    for case, args in (("export --chrome -", ["export", "{t}", "--chrome", "-"]),
                       ("export --perfetto /dev/stdout", ["export", "{t}", "--perfetto", "/dev/stdout"]),
                       ("export --chrome /proc/self/fd/1", ["export", "{t}", "--chrome", "/proc/self/fd/1"]),
                       ("report -o /dev/stdout", ["report", "{t}", "-o", "/dev/stdout"]),
                       ("sweep --plot -", ["sweep", "{t}", "{u}", "--plot", "-"])):
        for mode in ("r+b", "ab"):
            d = os.path.join(tmp, "fd1_%d" % len(os.listdir(tmp)))
            os.mkdir(d)
            t, u = d + "/m_bs1.json", d + "/m_bs2.json"
            before = write(t)
            write(u, 5)
            with open(t, mode) as out:
                r = subprocess.run([EXE, *[a.format(t=t, u=u) for a in args]], stdout=out, stderr=subprocess.PIPE,
                                   text=True, errors="replace", timeout=600)
            label = "%s with stdout %s on the trace" % (case, "read-write" if mode == "r+b" else "appending")
            check(r.returncode == 1 and "name another file" in r.stderr, "%s: rc %d: %s" % (label, r.returncode, r.stderr.strip()))
            # Said in the words typed (review S44 L4: "--chrome /dev/stdout: is the input trace" for `-`).
            what = {"export": "the input trace", "report": "an input of the report", "sweep": "an input of this sweep"}
            said = "%s %s: the standard output is %s (%s)" % (args[-2], args[-1], what[args[0]], t)
            check(said in r.stderr, "%s: expected %r: %s" % (label, said, r.stderr.strip()))
            with open(t, "rb") as f:
                check(f.read() == before, "%s: the input trace was changed" % label)

    # Controls: the same runs with outputs that are no input succeed and write what they should.
    d = os.path.join(tmp, "ok")
    os.mkdir(d)
    write(d + "/m_bs1.json")
    write(d + "/m_bs2.json", 5)
    r = run("analyze", d + "/m_bs1.json", "--csv", d + "/csv")
    check(r.returncode == 0 and os.path.isfile(d + "/csv/kernels.csv"), "analyze --csv: rc %d: %s" % (r.returncode, r.stderr))
    r = run("export", d + "/m_bs1.json", "--csv", d + "/ecsv", "--chrome", d + "/c.json")
    check(r.returncode == 0 and os.path.isfile(d + "/ecsv/gpu.csv") and os.path.isfile(d + "/c.json"),
          "export: rc %d: %s" % (r.returncode, r.stderr))
    r = run("sweep", d + "/m_bs1.json", d + "/m_bs2.json", "--plot", d + "/p.svg")
    check(r.returncode == 0 and os.path.isfile(d + "/p.svg"), "sweep --plot: rc %d: %s" % (r.returncode, r.stderr))
    # Stdout on another file: the Chrome trace goes there.
    with open(d + "/stdout.json", "wb") as out:
        r = subprocess.run([EXE, "export", d + "/m_bs1.json", "--chrome", "-"], stdout=out, stderr=subprocess.PIPE,
                           text=True, errors="replace", timeout=600)
    check(r.returncode == 0 and os.path.getsize(d + "/stdout.json") > 0 and open(d + "/stdout.json").read().lstrip().startswith("{"),
          "export --chrome - > stdout.json: rc %d: %s" % (r.returncode, r.stderr))

if failures:
    sys.exit(1)
print("ok")
