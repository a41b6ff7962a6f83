"""report --timeline-at S and --timeline-events N (review LR L2: the timeline showed only the first
3,000 events, a long run's start-up). On an H100 Kineto trace: the default excerpt starts at the
first event; --timeline-at moves its window to the first event starting S or more later (the
page's data-begin-ns, against the default's); --timeline-events sets how many events start in it;
an S past the last event says so instead of a timeline; out-of-range values are usage errors."""
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import check, failures, h100_fixtures, refused, run, skip  # noqa: E402

fixtures = h100_fixtures()
if not fixtures:
    skip("no H100 fixtures beside the repository")
trace = os.path.join(fixtures, "gpt2_prefill_bs1.json.gz")


def timeline(page):
    """(begin ns, end ns, marks drawn, the note above it) of the page's one timeline."""
    m = re.search(r'<div class="timeline" data-begin-ns="(-?\d+)" data-end-ns="(-?\d+)">(.*?)</div>\n', page, re.S)
    note = re.search(r"<h3>Timeline excerpt</h3><p class=\"note\">(.*?)</p>", page, re.S)
    if not m:
        return None, None, 0, note.group(1) if note else ""
    return int(m.group(1)), int(m.group(2)), m.group(3).count('class="mark"'), note.group(1) if note else ""


with tempfile.TemporaryDirectory() as tmp:
    def page(*opts):
        out = os.path.join(tmp, "r.html")
        r = run("report", trace, "-o", out, *opts)
        check(r.returncode == 0, "report %s: rc %d %s" % (" ".join(opts), r.returncode, r.stderr[-300:]))
        return open(out).read() if r.returncode == 0 else ""

    b0, e0, marks0, note0 = timeline(page())
    check(b0 is not None and note0.startswith("The first ") and marks0 > 1000,
          "default: a timeline of the first events: %r, %d marks" % (note0, marks0))

    b1, e1, marks1, note1 = timeline(page("--timeline-events", "40"))
    check(b1 == b0 and note1.startswith("The first ") and 1 <= marks1 <= 40,
          "--timeline-events 40: begin %r (default %r), %d marks, %r" % (b1, b0, marks1, note1))

    # The window at the first event starting 1 ms or more after the first one; events that started
    # before and still run are drawn too, so at least the 40 that start in it.
    b2, e2, marks2, note2 = timeline(page("--timeline-at", "0.001", "--timeline-events", "40"))
    check(b2 is not None and b0 is not None and b2 - b0 >= 1_000_000,
          "--timeline-at 0.001: the window begins %r ns after the first event (want >= 1 ms)" % (
              None if b2 is None or b0 is None else b2 - b0))
    check(marks2 >= 1 and " events from +" in note2 and "1.00 ms or more after" in note2,
          "--timeline-at 0.001: %d marks, note %r" % (marks2, note2))
    # Hover offsets count from the window's start: its first event reads "at +0 ns" (one that began
    # before the window "at -X").
    later = page("--timeline-at", "0.001")
    check(", at +0 ns)</title>" in later, "no event at the window's start (+0 ns) in the hover text")

    # Past the last event: said, no timeline.
    b3, _, _, note3 = timeline(page("--timeline-at", "1000"))
    check(b3 is None and note3.startswith("No event starts 1000.000 s or more after the first one"),
          "--timeline-at 1000: begin %r, note %r" % (b3, note3))

    refused(("report", trace, "-o", os.path.join(tmp, "x.html"), "--timeline-events", "0"), "not in range 1 to 100000")
    refused(("report", trace, "-o", os.path.join(tmp, "x.html"), "--timeline-events", "100001"), "not in range")
    refused(("report", trace, "-o", os.path.join(tmp, "x.html"), "--timeline-at", "-1"), "not in range 0 to")
    refused(("report", trace, "-o", os.path.join(tmp, "x.html"), "--timeline-at", "abc"), "not a number")

if failures:
    sys.exit(1)
print("ok")
