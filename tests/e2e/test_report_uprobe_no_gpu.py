"""A `record --cuda uprobe` recording (launch calls, no GPU activity) keeps, in the HTML report's
trace section, what `analyze` shows of it: the launch summary and the CUDA API table, with the same
figures as the page of its saved `analyze --json` (review HT M1: the trace's page said only "No GPU
activity in this trace, ..."). Records the fake-CUDA workload (tests/support/fakecuda) as the
launch-API record tests do. Skips (77) without root, kernel BTF or the record verb."""
import json
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _fake_record import record_fake  # noqa: E402
from _harness import check, failures, run  # noqa: E402
from _record_prereq import require_recorder  # noqa: E402
from _report_page import row, section_text  # noqa: E402

require_recorder()


def fmt_count(n):
    return "{:,}".format(n)


def api_rows(text, names):
    """API name -> (calls, linked) from a section's text: the first row that starts with the name
    and two counts (the saved page puts a kind column between them)."""
    out = {}
    for name in names:
        m = re.search(r" %s (?:[a-z ]+ )?([0-9,]+) ([0-9,]+) " % re.escape(name), text)
        if m:
            out[name] = (m.group(1), m.group(2))
    return out


with tempfile.TemporaryDirectory() as tmp:
    record_fake(tmp, "fakecuda_workload", 1, 30, 0, 0)
    rec = os.path.join(tmp, "run.itrace")
    r = run("analyze", "--json", rec)
    check(r.returncode == 0, "analyze --json: %s" % r.stderr)
    doc = json.loads(r.stdout) if r.returncode == 0 else {}
    check(doc.get("gpu_activities") == 0 and (doc.get("launch_calls") or 0) > 0,
          "a recording with launch calls and no GPU activity: %r" % {k: doc.get(k) for k in ("gpu_activities", "launch_calls")})
    saved = os.path.join(tmp, "a.json")
    with open(saved, "w") as f:
        f.write(r.stdout)
    pages = {}
    for name, src in (("trace", rec), ("saved", saved)):
        out = os.path.join(tmp, name + ".html")
        p = run("report", src, "-o", out)
        check(p.returncode == 0, "report %s: %s" % (name, p.stderr))
        with open(out) as f:
            pages[name] = f.read()
    trace = section_text(pages["trace"], "trace-0")
    saved_text = section_text(pages["saved"], "doc-0")
    if doc:
        launches = fmt_count(doc["launch_calls"])
        calls = row("launch calls", launches, "0 linked to GPU work,")[:-1]
        check(calls in trace, "trace page: launch calls %s\n%s" % (launches, trace))
        check(calls in saved_text, "saved page: launch calls %s" % launches)
        # The reason once, in the note above the summary; its rows refer to it (review WD56 L6).
        why = doc["undefined_reason"]
        check(why[0].upper() + why[1:] + ", so there are no launch or queue metrics." in trace, "trace page: the note")
        check(trace.count(why[1:]) == 1, "trace page: the reason once, not per row")
        check(row("TKLQT", "-", "undefined: the note above says why") in trace, "trace page: TKLQT undefined row")
        check(row("TKLQT", "-", "undefined: " + why) in saved_text, "saved page: TKLQT undefined row")
        check(row("orphans", "0 GPU / %s launch" % fmt_count(doc["orphan_launch_calls"])) in trace, "trace page: orphans row")
        check("Launch API breakdown" in trace, "trace page: the CUDA API table")
        names = [a["name"] for a in doc.get("apis", [])]
        check(len(names) > 1, "the recording has several APIs: %r" % names)
        want = {a["name"]: (fmt_count(a["calls"]), fmt_count(a["linked"])) for a in doc.get("apis", [])}
        check(api_rows(trace, names) == want, "trace page's API rows %r, analyze --json %r" % (api_rows(trace, names), want))
        check(api_rows(saved_text, names) == want, "saved page's API rows %r" % api_rows(saved_text, names))

if failures:
    sys.exit(1)
print("ok")
