"""An incomplete recording in `sched`, `compare` and the HTML report (review HR M1, M2), and the
saved documents `report` and `compare` refuse (review HR M3, L1):
(a) a recording whose recorder was killed (no END record, so none of the `dropped.*` counters the
recorder writes at its end) has unknown loss counts: sched --json `dropped` null, compare --json
`lost_events` and `launch_records_lost` null (a complete recording's are 0), and the page says
"unknown", not 0;
(b) the page says the recording is incomplete under the scheduler verdict and in the trace's
section, also when made from a saved sched --json of it (its `incomplete_note`, or in a document
saved before that key its `skipped.truncated_tail_bytes`), and lists it in the findings once;
(c) a document whose `kind` lacks that kind's keys, or whose `schema_version` is no version, is an
input error naming the file (exit 1); compare says on stderr that a later version wrote a document.
The recordings are written here, record by record (docs/recording-format.md)."""
import json
import os
import re
import struct
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from _harness import as_json, check, failures, run  # noqa: E402
from _report_page import section_text  # noqa: E402


def rec(rtype, payload):
    return struct.pack("<II", rtype, len(payload)) + payload


def meta(key, value):
    return rec(1, struct.pack("<I", len(key)) + key + value)


def syscall(i):  # type, cpu, ts, pid, tid, then dur, ret, nr, fd+1: 48 bytes of payload
    return rec(6, struct.pack("<IIQII", 6, 0, 1_000_000 + i * 1000, 100, 100) + struct.pack("<QqII", 500, 0, 0, 0))


HEADER = b"INFTRACE" + struct.pack("<II", 2, 16)
END = rec(9, b"")
body = [meta(b"traced.command", b"/bin/x")] + [syscall(i) for i in range(20)]
# What a recorder writes at its end: its loss counters (here none lost), then END.
DROPPED = [meta(b"dropped." + t, b"0") for t in (b"api", b"irq", b"switch", b"syscall", b"wakeup")]
CUT = 20  # bytes cut off the last syscall record (8 + 48 bytes): 56 - 20 = 36 of it remain
UNKNOWN = "unknown (the recorder wrote no loss counters"


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return path


def page_of(r, path):
    check(r.returncode == 0, "report: exit %d %r" % (r.returncode, r.stderr[-300:]))
    return open(path, encoding="utf-8").read() if r.returncode == 0 else ""


def text_of(page):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]*>", " ", page)).replace("&quot;", '"').replace("&#39;", "'")


with tempfile.TemporaryDirectory() as tmp:
    complete = write(os.path.join(tmp, "complete.itrace"), HEADER + b"".join(body + DROPPED) + END)
    killed = write(os.path.join(tmp, "killed.itrace"), HEADER + b"".join(body))
    cut = write(os.path.join(tmp, "cut.itrace"), (HEADER + b"".join(body))[:-CUT])

    # (a) sched --json: unknown loss counts are null, a complete recording's are its counters.
    r = run("sched", killed, "--json")
    k = as_json(r, "sched --json killed")
    check(r.returncode == 0 and "dropped" in k and k["dropped"] is None, "killed: dropped %r" % k.get("dropped", "absent"))
    check(k.get("recording_complete") is False and "no end record" in (k.get("incomplete_note") or ""),
          "killed: recording_complete %r, incomplete_note %r" % (k.get("recording_complete"), k.get("incomplete_note")))
    c = as_json(run("sched", complete, "--json"), "sched --json complete")
    check(c.get("dropped") == {"api": 0, "irq": 0, "switch": 0, "syscall": 0, "wakeup": 0}, "complete: dropped %r" % c.get("dropped"))
    check(c.get("recording_complete") is True and c.get("incomplete_note") is None,
          "complete: recording_complete %r, incomplete_note %r" % (c.get("recording_complete"), c.get("incomplete_note")))
    # sched's text says the loss is unknown, where no row read as none.
    r = run("sched", killed)
    check(r.returncode == 0 and re.search(r"recorder loss +" + re.escape(UNKNOWN), r.stdout) is not None,
          "sched text: %r" % r.stdout[:1500])
    r = run("sched", complete)
    check(r.returncode == 0 and "recorder loss" not in r.stdout, "sched text of a complete recording: %r" % r.stdout[:1500])

    # compare --json: null for the killed recording, 0 for the complete one; its notes say why.
    cmp_path = os.path.join(tmp, "cmp.json")
    r = run("compare", complete, killed, "--json")
    cj = as_json(r, "compare --json")
    write(cmp_path, r.stdout.encode())
    rows = {s["name"]: s for s in cj.get("scenarios", [])}
    check(set(rows) == {"complete", "killed"}, "compare scenarios %r" % list(rows))
    if set(rows) == {"complete", "killed"}:
        check(rows["killed"]["lost_events"] is None and rows["killed"]["launch_records_lost"] is None,
              "compare killed: lost_events %r, launch_records_lost %r" % (rows["killed"]["lost_events"], rows["killed"]["launch_records_lost"]))
        check(rows["complete"]["lost_events"] == 0 and rows["complete"]["launch_records_lost"] == 0,
              "compare complete: %r %r" % (rows["complete"]["lost_events"], rows["complete"]["launch_records_lost"]))
        check("no end record" in (rows["killed"].get("incomplete_note") or "") and rows["complete"].get("incomplete_note") is None,
              "compare incomplete_note %r %r" % (rows["killed"].get("incomplete_note"), rows["complete"].get("incomplete_note")))
    check(any(n.startswith("incomplete: killed: ") and UNKNOWN in n for n in cj.get("notes", [])), "compare notes %r" % cj.get("notes"))
    # The same from the saved analysis: its `dropped` null and `incomplete_note` carry it.
    saved_killed = write(os.path.join(tmp, "killed.sched.json"), run("sched", killed, "--json").stdout.encode())
    cj2 = as_json(run("compare", complete, saved_killed, "--json"), "compare --json saved")
    s2 = [s for s in cj2.get("scenarios", []) if s["name"] == "killed.sched"]
    check(len(s2) == 1 and s2[0]["lost_events"] is None and s2[0]["launch_records_lost"] is None
          and "no end record" in (s2[0].get("incomplete_note") or ""), "compare of the saved analysis: %r" % s2)
    # The page of the comparison: "unknown", not 0, in the killed row's loss cells.
    out = os.path.join(tmp, "cmp.html")
    page = page_of(run("report", cmp_path, "-o", out), out)
    killed_row = re.search(r"<tr>(?:(?!</tr>).)*killed\.itrace(?:(?!</tr>).)*</tr>", page)
    check(killed_row is not None and killed_row.group(0).count(UNKNOWN) == 2,
          "compare page, killed row: %r" % (killed_row.group(0)[:2000] if killed_row else None))

    # (b) the page of the killed recording: under the scheduler verdict, in the trace's section, once
    # in the findings.
    out = os.path.join(tmp, "killed.html")
    page = page_of(run("report", killed, "-o", out), out)
    findings = section_text(page, "findings")
    check(findings.count("killed.itrace: incomplete recording (no end record") == 1 and findings.count(UNKNOWN) == 1,
          "killed page findings: %r" % findings[:1500])
    for sec in ("trace-0", "doc-0"):
        t = section_text(page, sec)
        check("Incomplete recording (no end record" in t and UNKNOWN in t, "killed page %s: %r" % (sec, t[:800]))
    doc = section_text(page, "doc-0")
    check(0 <= doc.find("no end record") < doc.find("logical launches"), "doc-0: the note comes before the figures: %r" % doc[:600])
    # A complete recording's page has none of it.
    out = os.path.join(tmp, "complete.html")
    page = page_of(run("report", complete, "-o", out), out)
    check("ncomplete recording" not in page and UNKNOWN not in page, "complete page mentions incompleteness")

    # The cut-off recording, from its saved sched --json, and from one saved before the new keys.
    saved_cut = os.path.join(tmp, "cut.sched.json")
    cut_doc = as_json(run("sched", cut, "--json"), "sched --json cut")
    check(cut_doc.get("skipped", {}).get("truncated_tail_bytes") == 56 - CUT, "cut: skipped %r" % cut_doc.get("skipped"))
    write(saved_cut, json.dumps(cut_doc).encode())
    out = os.path.join(tmp, "cut.html")
    t = section_text(page_of(run("report", saved_cut, "-o", out), out), "doc-0")
    check("Incomplete recording (no end record" in t and "the last %d bytes" % (56 - CUT) in t, "saved cut doc: %r" % t[:800])
    old = dict(cut_doc)
    for key in ("recording_complete", "incomplete_note"):
        old.pop(key, None)
    old_path = write(os.path.join(tmp, "cut_old.sched.json"), json.dumps(old).encode())
    out = os.path.join(tmp, "cut_old.html")
    t = section_text(page_of(run("report", old_path, "-o", out), out), "doc-0")
    check("Incomplete recording: the last %d bytes" % (56 - CUT) in t, "saved cut doc, before the keys: %r" % t[:800])

    # (c) a kind without its keys: exit 1, naming the file and what is missing.
    bad = [("cmp_as_sched.json", dict(cj, kind="sched"), '"sched_per_1k" or "pairs"'),
           ("sched_as_compare.json", dict(c, kind="compare"), '"scenarios"'),
           ("sweep_as_fusion.json", {"kind": "fusion", "schema_version": 1, "points": [{"batch": 1}]}, '"lengths"')]
    for name, d, missing in bad:
        path = write(os.path.join(tmp, name), json.dumps(d).encode())
        r = run("report", path, "-o", os.path.join(tmp, "bad.html"))
        check(r.returncode == 1 and name in r.stderr and "kind" in r.stderr and missing in r.stderr,
              "%s: exit %d %r" % (name, r.returncode, r.stderr[-400:]))
    # A schema_version that is no version: refused by report and compare; absent or 1: read.
    for v in ("abc", 0, -1, None, 1.5):
        d = dict(c, schema_version=v)
        path = write(os.path.join(tmp, "sv.json"), json.dumps(d).encode())
        for args in (("report", path, "-o", os.path.join(tmp, "sv.html")), ("compare", complete, path)):
            r = run(*args)
            check(r.returncode == 1 and "sv.json" in r.stderr and "schema_version" in r.stderr,
                  "%s of schema_version %r: exit %d %r" % (args[0], v, r.returncode, r.stderr[-300:]))
    d = dict(c)
    d.pop("schema_version")
    path = write(os.path.join(tmp, "sv_absent.json"), json.dumps(d).encode())
    r = run("report", path, "-o", os.path.join(tmp, "sv.html"))
    check(r.returncode == 0, "schema_version absent: exit %d %r" % (r.returncode, r.stderr[-300:]))
    # A later version: compare says so, as report's page does.
    path = write(os.path.join(tmp, "sv2.json"), json.dumps(dict(c, schema_version=2)).encode())
    r = run("compare", complete, path)
    check(r.returncode == 0 and "sv2.json: written by a later infertrace (schema_version 2; this one writes 1)" in r.stderr,
          "compare of schema_version 2: exit %d %r" % (r.returncode, r.stderr[-400:]))
    out = os.path.join(tmp, "sv2.html")
    check("Written by a later infertrace (schema_version 2; this one writes 1)" in text_of(page_of(run("report", path, "-o", out), out)),
          "report of schema_version 2: no note")

if failures:
    sys.exit(1)
print("ok")
