"""`infertrace export` on the shipped H100 GPT-2 trace: the SQLite database and the Perfetto file
are checked against a plain reading of the trace JSON done here (tests/e2e/_kineto_plain.py).
Usage errors exit 2, bad inputs exit 1 with the file named."""
import json
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _kineto_plain  # noqa: E402

exe = os.environ["INFERTRACE"]
trace = os.path.join(os.environ["INFERTRACE_SOURCE_DIR"], "examples", "traces", "gpt2_prefill_bs1.json.gz")
failures = []


def run(*args):
    return subprocess.run([exe] + list(args), capture_output=True, text=True, timeout=300)


def varint(b, i):
    shift = v = 0
    while True:
        x = b[i]
        i += 1
        v |= (x & 0x7F) << shift
        shift += 7
        if x < 0x80:
            return v, i


def fields(b):
    """Top-level protobuf fields of a message: [(number, wire_type, value)]."""
    i, out = 0, []
    while i < len(b):
        key, i = varint(b, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = varint(b, i)
        elif wt == 2:
            n, i = varint(b, i)
            v, i = b[i:i + n], i + n
        elif wt == 1:
            v, i = b[i:i + 8], i + 8
        elif wt == 5:
            v, i = b[i:i + 4], i + 4
        else:
            raise ValueError("bad wire type %d" % wt)
        out.append((num, wt, v))
    return out


# Usage and input errors.
r = run("export", trace)
if r.returncode != 2:
    failures.append("export without an output should exit 2, got %d" % r.returncode)
r = run("export", "/nonexistent.json", "--sqlite", "x.db")
if r.returncode != 1 or "/nonexistent.json" not in r.stderr:  # an unreadable trace, named
    failures.append("missing input should exit 1 naming it, got %d: %s" % (r.returncode, r.stderr))

with tempfile.TemporaryDirectory() as tmp:
    db = os.path.join(tmp, "out.db")
    pf = os.path.join(tmp, "out.pftrace")
    r = run("export", trace, "--sqlite", db, "--perfetto", pf)
    if r.returncode != 0:
        failures.append("export failed: rc=%d\n%s" % (r.returncode, r.stderr))
    else:
        gpu, api, ops = _kineto_plain.read(trace)
        lat = _kineto_plain.launch_latencies(gpu, api)
        con = sqlite3.connect(db)
        q = lambda sql: con.execute(sql).fetchone()[0]  # noqa: E731
        checks = [
            ("gpu_activity rows", q("select count(*) from gpu_activity"), len(gpu)),
            ("api_call rows", q("select count(*) from api_call"), len(api)),
            ("operator rows", q("select count(*) from operator"), len(ops)),
            ("sum of GPU durations", q("select sum(dur_ns) from gpu_activity"), sum(g["dur"] for g in gpu)),
            ("linked launches", q("select count(*) from launch"), len(lat)),
            ("TKLQT = sum l(c)", q("select sum(latency_ns) from launch"), sum(lat)),
            ("launch_summary tklqt_ns", q("select value from launch_summary where metric='tklqt_ns'"), sum(lat)),
        ]
        for what, got, want in checks:
            if got != want:
                failures.append("sqlite %s: got %s, want %s" % (what, got, want))
        con.close()

        # Perfetto: every GPU activity and API call with a duration is one begin/end pair.
        data = open(pf, "rb").read()
        begins = ends = flows = terminating = 0
        for num, _, packet in fields(data):
            if num != 1:
                failures.append("unexpected top-level field %d" % num)
                break
            for pnum, _, pval in fields(packet):
                if pnum != 11:  # track_event
                    continue
                for enum_, wt, ev in fields(pval):
                    if enum_ == 9:
                        begins += ev == 1
                        ends += ev == 2
                    elif enum_ == 47:
                        flows += 1
                    elif enum_ == 48:
                        terminating += 1
        want_slices = sum(1 for e in gpu + api + ops if e["dur"] > 0)
        if begins != ends or begins != want_slices:
            failures.append("perfetto: %d begins, %d ends, want %d slices" % (begins, ends, want_slices))
        api_corrs = {c["corr"] for c in api if c["corr"] is not None}
        linked = sum(1 for g in gpu if g["corr"] is not None and g["corr"] in api_corrs)
        if flows != linked or terminating != linked:
            failures.append("perfetto: %d flow starts, %d flow ends, want %d" % (flows, terminating, linked))

# Outputs that must be refused before anything is written: a directory (SQLite's open once removed
# an empty one and put the database in its place) and the input itself.
with tempfile.TemporaryDirectory() as tmp:
    empty = os.path.join(tmp, "empty")
    os.mkdir(empty)
    for flag in ("--sqlite", "--chrome", "--perfetto"):
        r = run("export", trace, flag, empty)
        if r.returncode != 1 or "is a directory" not in r.stderr or not os.path.isdir(empty):
            failures.append("%s onto a directory: rc=%d %s" % (flag, r.returncode, r.stderr.strip()))
    own = os.path.join(tmp, "own.json.gz")
    shutil.copy(trace, own)
    before = open(own, "rb").read()
    r = run("export", own, "--chrome", own)
    if r.returncode != 1 or "is the input" not in r.stderr or open(own, "rb").read() != before:
        failures.append("export onto its own input: rc=%d %s" % (r.returncode, r.stderr.strip()))
    # --attach: only the SQLite database holds attached documents, so without --sqlite it is a
    # usage error (it was dropped silently); an attached directory is an input error naming it
    # (it was "basic_filebuf::underflow error", no file named).
    r = run("export", trace, "--chrome", os.path.join(tmp, "a.json"), "--attach", "analyze=" + trace)
    if r.returncode != 2 or "--sqlite" not in r.stderr or os.path.exists(os.path.join(tmp, "a.json")):
        failures.append("--attach without --sqlite: rc=%d %s" % (r.returncode, r.stderr.strip()))
    # Another output beside the attachment is no place for it either: still a usage error, nothing written.
    r = run("export", trace, "--perfetto", os.path.join(tmp, "a.pftrace"), "--attach", "analyze=" + trace)
    if r.returncode != 2 or "--sqlite" not in r.stderr or os.path.exists(os.path.join(tmp, "a.pftrace")):
        failures.append("--attach with --perfetto, without --sqlite: rc=%d %s" % (r.returncode, r.stderr.strip()))
    r = run("export", trace, "--sqlite", os.path.join(tmp, "a.db"), "--attach", "analyze=" + empty)
    if r.returncode != 1 or empty + ": --attach: is a directory" not in r.stderr:
        failures.append("--attach of a directory: rc=%d %s" % (r.returncode, r.stderr.strip()))
    # VERB names a verb whose --json output the report knows (review BK item 7): any other name was
    # stored as it was. A usage error naming the accepted verbs, before the file is read, nothing written.
    doc = os.path.join(tmp, "doc.json")
    with open(doc, "w") as f:
        f.write('{"a": 1}')
    r = run("export", trace, "--sqlite", os.path.join(tmp, "v.db"), "--attach", "bogus=" + doc)
    if (r.returncode != 2 or "unknown verb 'bogus'" not in r.stderr or "accepted: analyze, sched, fusion, sweep" not in r.stderr
            or os.path.exists(os.path.join(tmp, "v.db"))):
        failures.append("--attach bogus=: rc=%d %s" % (r.returncode, r.stderr.strip()))
    r = run("export", trace, "--sqlite", os.path.join(tmp, "v.db"), "--attach", "bogus=" + os.path.join(tmp, "missing"))
    if r.returncode != 2 or "unknown verb 'bogus'" not in r.stderr:
        failures.append("--attach bogus= of a missing file: the verb is checked first: rc=%d %s" % (r.returncode, r.stderr.strip()))
    # The document must be that verb's: its own `kind`, or for documents saved before `kind` its
    # keys (audit EW M3: an analyze document was stored as `sched`). A JSON object of neither kind
    # is refused under every verb, and each verb's document under every other verb.
    kinds = ("analyze", "sched", "fusion", "sweep", "compare", "threads")
    for verb in kinds:
        r = run("export", trace, "--sqlite", os.path.join(tmp, verb + ".db"), "--attach", verb + "=" + doc)
        if r.returncode != 1 or "no result document infertrace writes" not in r.stderr:
            failures.append("--attach %s= of {\"a\": 1}: rc=%d %s" % (verb, r.returncode, r.stderr.strip()))
        for other in kinds:
            typed = os.path.join(tmp, "kind_%s.json" % other)
            with open(typed, "w") as f:
                json.dump({"kind": other}, f)
            db = os.path.join(tmp, "k_%s_%s.db" % (verb, other))
            r = run("export", trace, "--sqlite", db, "--attach", verb + "=" + typed)
            if other == verb:
                if r.returncode != 0:
                    failures.append("--attach %s= of its own kind: rc=%d %s" % (verb, r.returncode, r.stderr.strip()))
            elif r.returncode != 1 or "not of " not in r.stderr or os.path.exists(db):
                failures.append("--attach %s= of a %s document: rc=%d %s" % (verb, other, r.returncode, r.stderr.strip()))
            elif "--attach %s=%s: the file is" % (verb, typed) not in r.stderr:  # the path after '=' (review UX L6)
                failures.append("--attach %s= of a %s document names no path after '=': %s" % (verb, other, r.stderr.strip()))
    # --attach takes one value per use, so a trace after it is the trace (it was swallowed as a
    # second attachment: "trace is required"), and it can be given twice (audit EW L2).
    both = os.path.join(tmp, "both.db")
    r = run("export", "--attach", "fusion=" + os.path.join(tmp, "kind_fusion.json"), trace, "--sqlite", both,
            "--attach", "sched=" + os.path.join(tmp, "kind_sched.json"))
    if r.returncode != 0:
        failures.append("--attach before the trace, twice: rc=%d %s" % (r.returncode, r.stderr.strip()))
    else:
        c = sqlite3.connect(both)
        verbs = sorted(v for (v,) in c.execute("SELECT verb FROM analysis_json"))
        c.close()
        if verbs != ["fusion", "sched"]:
            failures.append("--attach twice stored %r" % verbs)
    # A real analyze document without `kind` (as saved before it) is still known by its keys.
    saved = os.path.join(tmp, "saved_analyze.json")
    a = run("analyze", "--json", trace)
    if a.returncode == 0:
        d = json.loads(a.stdout)
        d.pop("kind", None)
        with open(saved, "w") as f:
            json.dump(d, f)
        r = run("export", trace, "--sqlite", os.path.join(tmp, "sa.db"), "--attach", "analyze=" + saved)
        if r.returncode != 0:
            failures.append("--attach analyze= of a saved analyze document without kind: rc=%d %s" % (r.returncode, r.stderr.strip()))
        r = run("export", trace, "--sqlite", os.path.join(tmp, "sb.db"), "--attach", "sched=" + saved)
        if r.returncode != 1 or "the --json output of analyze, not of sched" not in r.stderr:
            failures.append("--attach sched= of an analyze document: rc=%d %s" % (r.returncode, r.stderr.strip()))
    # JSON that parses as text but holds a number beyond double is an input error naming the file
    # (it was nlohmann's raw out_of_range message, no file named).
    huge = os.path.join(tmp, "huge.json")
    with open(huge, "w") as f:
        f.write('{"a": 1e400}')
    r = run("export", trace, "--sqlite", os.path.join(tmp, "h.db"), "--attach", "analyze=" + huge)
    if r.returncode != 1 or huge + ": unreadable JSON" not in r.stderr or r.stderr.count("\n") != 1:
        failures.append("--attach of a number beyond double: rc=%d %s" % (r.returncode, r.stderr.strip()))
    # A finished export leaves no temporary file beside it.
    r = run("export", trace, "--sqlite", os.path.join(tmp, "t.db"), "--chrome", os.path.join(tmp, "t.json"))
    left = [f for f in os.listdir(tmp) if f.endswith(".partial")]
    if r.returncode != 0 or left:
        failures.append("export: rc=%d, temporary files left: %s" % (r.returncode, left))
    # launch_summary holds every scalar figure of analyze --json, with the same value.
    if r.returncode == 0:
        a = json.loads(run("analyze", trace, "--json").stdout)
        summary = dict(sqlite3.connect(os.path.join(tmp, "t.db")).execute("SELECT metric, value FROM launch_summary"))
        for k, v in a.items():
            if isinstance(v, (dict, list)) or k in ("file", "kind", "schema_version"):
                continue
            got = summary.get(k, "<missing>")
            if not (got == v or (isinstance(v, float) and isinstance(got, float) and abs(got - v) <= 1e-9 * max(1.0, abs(v)))):
                failures.append("launch_summary %s: %r, analyze --json %r" % (k, got, v))
    # A write that fails part way (here the file size limit, as a full disk would) leaves no
    # temporary file, and the file already at the output stays as it was (the export is written
    # beside it and renamed over it only when whole).
    r = run("export", trace, "--chrome", os.path.join(tmp, "t.json"))
    done = os.path.join(tmp, "t.json")
    limit = 64 * 1024
    if r.returncode == 0 and os.path.getsize(done) > 4 * limit:
        old = os.path.join(tmp, "old.json")
        with open(old, "w") as f:
            f.write("the previous export\n")

        def small_files():
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG)

        r = subprocess.run([exe, "export", trace, "--chrome", old], capture_output=True, text=True, timeout=300,
                           preexec_fn=small_files, restore_signals=False)
        left = [f for f in os.listdir(tmp) if f.endswith(".partial")]
        with open(old) as f:
            kept = f.read() == "the previous export\n"
        if r.returncode != 1 or left or not kept:
            failures.append("chrome export past the file size limit: rc=%d, temporary files left: %s, old file kept: %s %s"
                            % (r.returncode, left, kept, r.stderr.strip()))
    else:
        failures.append("chrome export of the trace: rc=%d, %d bytes (more than %d needed to fail a write part way)"
                        % (r.returncode, os.path.getsize(done) if os.path.exists(done) else -1, 4 * limit))

# export --csv says what launches.csv holds: every API call, not the launches (review UX L5: "launches
# 288" where analyze counts 247 launch calls).
with tempfile.TemporaryDirectory() as tmp:
    r = run("export", trace, "--csv", os.path.join(tmp, "csv"))
    with open(os.path.join(tmp, "csv", "launches.csv")) as f:
        rows = sum(1 for _ in f) - 1
    if r.returncode != 0 or ("(API calls %d," % rows) not in r.stdout or "(launches " in r.stdout:
        failures.append("export --csv: %d rows, stdout %r" % (rows, r.stdout))

if failures:
    print("FAIL\n" + "\n".join(failures))
    sys.exit(1)
print("ok")
