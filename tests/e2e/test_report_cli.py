"""`infertrace report` end to end: saved JSON results of every kind (written here) and, when this
build has the trace reader, the shipped H100 traces; the page is checked in headless Chromium and
its findings against a plain reading of the inputs. Bad input exits 1 naming file and byte."""
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _browser  # noqa: E402
import _kineto_plain  # noqa: E402
from _report_page import fmt_ns, row, section_text  # noqa: E402

exe = os.environ["INFERTRACE"]
traces_dir = os.path.join(os.environ["INFERTRACE_SOURCE_DIR"], "examples", "traces")
out_dir = os.path.join(os.environ["INFERTRACE_BINARY_DIR"], "report-samples")
os.makedirs(out_dir, exist_ok=True)
failures = []


def run(*args):
    return subprocess.run([exe] + list(args), capture_output=True, text=True, timeout=300)


def snake_keys(j, out):
    """Every key of a document, at any depth, that is a machine name (has an underscore)."""
    if isinstance(j, dict):
        for k, v in j.items():
            if "_" in k:
                out.add(k)
            snake_keys(v, out)
    elif isinstance(j, list):
        for v in j:
            snake_keys(v, out)
    return out


def check_saved_analysis(text, t, terminal):
    """One trace's figures in the saved-analysis section: the terminal's labels, the JSON's values in
    its units, and the same value the terminal prints for that label."""
    for label, key in (("TKLQT", "tklqt_ns"), ("TKLQT launch part", "tklqt_launch_ns"), ("TKLQT queue part", "tklqt_queue_ns"),
                       ("API time", "api_time_ns"), ("AKD", "akd_ns"), ("inference latency", "inference_latency_ns"),
                       ("GPU busy", "gpu_busy_ns"), ("GPU idle", "gpu_idle_ns"), ("CPU idle", "cpu_idle_ns")):
        if row(label, fmt_ns(t[key])) not in text:
            failures.append("saved analysis of %s lacks %r" % (t["file"], row(label, fmt_ns(t[key]))))
        # The terminal's row: the label (indented "launch part" / "queue part" for the TKLQT parts) and
        # the same value.
        term_label = label.replace("TKLQT ", "  ")
        if not re.search(r"^%s +%s " % (re.escape(term_label), re.escape(fmt_ns(t[key]))), terminal, re.M):
            failures.append("terminal of %s lacks %s %s" % (t["file"], term_label, fmt_ns(t[key])))
    gpu_idle = "%.1f%% of inference latency" % (100.0 * t["gpu_idle_fraction"])
    if row("GPU idle", fmt_ns(t["gpu_idle_ns"]), gpu_idle) not in text or gpu_idle not in terminal:
        failures.append("GPU idle share of %s: want %r in page and terminal" % (t["file"], gpu_idle))
    k = t["kernel_stats"][0]
    if ("%s %s %s %s" % (f"{k['count']:,}", fmt_ns(k["total_ns"]), fmt_ns(k["mean_ns"]), fmt_ns(k["min_ns"]))) not in text:
        failures.append("top kernel row of %s missing" % t["file"])


with tempfile.TemporaryDirectory() as tmp:
    def write(name, doc):
        path = os.path.join(tmp, name)
        with open(path, "w") as f:
            json.dump(doc, f)
        return path

    batches = [1, 2, 4, 8, 16, 32, 64]
    sweep = write("sweep.json", {"points": [
        {"batch": b, "kernels": 1000, "tklqt_ns": 5000000, "tklqt_launch_ns": 4000000 if b < 16 else 1000000,
         "tklqt_queue_ns": 1000000 if b < 16 else 4000000, "inference_latency_ns": 9000000,
         "gpu_idle_ns": 5000000 if b < 16 else 500000, "cpu_idle_ns": 1000000 if b < 16 else 6000000,
         "bound": "cpu" if b < 16 else "gpu"} for b in batches], "transition_batch": 16, "balanced_region": None})
    fusion = write("fusion.json", {"lengths": [
        {"length": L, "unique_chains": 5, "chain_instances": 50, "deterministic_chains": 3, "fused_chains": 10,
         "kernels_eager": 200, "kernels_fused": 200 - 10 * (L - 1), "ideal_speedup": 200 / (200 - 10 * (L - 1)),
         "launch_time_saved_ns": 10 * (L - 1) * 4000} for L in (2, 4, 8)], "candidates": []})
    bad = os.path.join(tmp, "bad.json")
    with open(bad, "w") as f:
        f.write('{"points": [1, 2,, 3]}')

    # Bad input: exit 1, file and byte offset named; no output written.
    r = run("report", bad, "-o", os.path.join(tmp, "bad.html"))
    if r.returncode != 1 or "bad.json: byte 17" not in r.stderr:
        failures.append("bad JSON: want exit 1 naming 'bad.json: byte 17', got %d: %s" % (r.returncode, r.stderr))
    if run("report").returncode != 2:
        failures.append("report without inputs should be a usage error (2)")

    # Saved results only.
    html = os.path.join(out_dir, "cli_docs_report.html")
    r = run("report", sweep, fusion, "-o", html)
    if r.returncode != 0:
        failures.append("report of JSON results failed: %s" % r.stderr)
    else:
        if "GPU-bound from batch 16" not in r.stdout:
            failures.append("sweep finding missing from stdout:\n" + r.stdout)
        best = max((2, 4, 8), key=lambda L: 200 / (200 - 10 * (L - 1)))
        if "length %d" % best not in r.stdout:
            failures.append("fusion finding should name length %d:\n%s" % (best, r.stdout))
        _, problems = _browser.check_report(html, os.path.join(out_dir, "cli_docs_report.png"), expect_charts=4)
        failures += ["cli_docs_report.html: " + p for p in problems]

    # Traces (when this build can read them).
    gz = sorted(f for f in os.listdir(traces_dir) if f.startswith("gpt2_prefill_bs"))
    paths = [os.path.join(traces_dir, f) for f in gz]
    html = os.path.join(out_dir, "cli_trace_report.html")
    r = run("report", *paths, sweep, "-o", html)
    if r.returncode != 0:
        failures.append("report of traces failed: %s" % r.stderr)
    else:
        for f, p in zip(gz, paths):
            gpu, api, _ = _kineto_plain.read(p)
            want = "CPU-bound" if _kineto_plain.bound(gpu, api) == "cpu" else "GPU-bound"
            line = [l for l in r.stdout.splitlines() if l.startswith("- " + f + ":") and "-bound" in l]
            if not line or want not in line[0]:
                failures.append("%s: want a '%s' finding, got %s" % (f, want, line))
        _, problems = _browser.check_report(html, os.path.join(out_dir, "cli_trace_report.png"),
                                            expect_charts=len(paths) * 2 + 2)
        failures += ["cli_trace_report.html: " + p for p in problems]
        # The summary's API time and GPU busy: the values analyze --json writes for the same trace.
        with open(html) as f:
            text = section_text(f.read(), "trace-0")
        a = json.loads(run("analyze", "--json", paths[0]).stdout)
        for want in (row("API time", fmt_ns(a["api_time_ns"]), "sum of launch call durations"),
                     row("GPU busy", fmt_ns(a["gpu_busy_ns"]), "union of GPU activity intervals")):
            if want not in text:
                failures.append("trace summary of %s lacks %r" % (gz[0], want))

    # The sweep, fusion and compare documents the verbs write for these traces: readable headers,
    # no JSON key on the page, figures in the terminal's units (shares as percentages).
    docs = {"sweep": run("sweep", "--json", *paths), "fusion": run("fusion", "--json", paths[0]),
            "compare": run("compare", "--json", paths[0], paths[-1])}
    if any(r.returncode != 0 for r in docs.values()):
        failures.append("sweep/fusion/compare --json failed: %s" % [r.stderr for r in docs.values()])
    else:
        docs = {k: json.loads(r.stdout) for k, r in docs.items()}
        html = os.path.join(out_dir, "cli_verb_docs.html")
        r = run("report", *[write("verb_" + k + ".json", d) for k, d in docs.items()], "-o", html)
        with open(html) as f:
            page = f.read()
        texts = {k: section_text(page, "doc-%d" % i) for i, k in enumerate(docs)}
        for k, d in docs.items():
            shown = sorted(key for key in snake_keys(d, set()) if key in texts[k])
            if r.returncode != 0 or shown:
                failures.append("%s section shows raw keys %s (rc %d)" % (k, shown, r.returncode))
        for p in docs["sweep"]["points"]:
            want = row(fmt_ns(p["gpu_idle_ns"]), "%.1f%%" % (100.0 * p["gpu_idle_share"]),
                       fmt_ns(p["cpu_idle_ns"]), "%.1f%%" % (100.0 * p["cpu_idle_share"]), p["bound"])
            if "GPU idle (% of IL)" not in texts["sweep"] or want not in texts["sweep"]:
                failures.append("sweep batch %d: want %r" % (p["batch"], want))
        for L in docs["fusion"]["lengths"]:
            want = row(f"{L['kernels_eager']:,}", f"{L['kernels_fused']:,}", "%.3fx" % L["ideal_speedup"],
                       fmt_ns(L["launch_time_saved_ns"]))
            if want not in texts["fusion"]:
                failures.append("fusion length %d: want %r" % (L["length"], want))
        # No throughput column when no scenario has one, as the terminal (review HR L7).
        any_throughput = any(sc["throughput"] is not None for sc in docs["compare"]["scenarios"])
        for sc in docs["compare"]["scenarios"]:
            tp = ["-" if sc["throughput"] is None else "%.1f" % sc["throughput"]] if any_throughput else []
            want = row(sc["name"], *tp, "%.1f" % sc["rate"],
                       "-" if sc["slowdown_pct"] is None else "%.1f%%" % sc["slowdown_pct"], f"{sc['launches']:,}",
                       fmt_ns(sc["wall_ns"]))
            if want not in texts["compare"]:
                failures.append("compare scenario %s: want %r" % (sc["name"], want))

    # Saved `analyze --json` documents, one trace and two: the terminal's labels and units, every
    # figure the document's, no JSON key on the page; with two, an overview row and a part per trace.
    r1 = run("analyze", "--json", paths[0])
    r2 = run("analyze", "--json", paths[0], paths[-1])
    if r1.returncode != 0 or r2.returncode != 0:
        failures.append("analyze --json failed: %s %s" % (r1.stderr, r2.stderr))
    else:
        one, two = json.loads(r1.stdout), json.loads(r2.stdout)
        terminal = {p: run("analyze", p).stdout for p in (paths[0], paths[-1])}
        html = os.path.join(out_dir, "cli_saved_analysis.html")
        r = run("report", write("one.json", one), write("two.json", two), "-o", html)
        if r.returncode != 0:
            failures.append("report of saved analyses failed: %s" % r.stderr)
        else:
            with open(html) as f:
                page = f.read()
            t1, t2 = section_text(page, "doc-0"), section_text(page, "doc-1")
            check_saved_analysis(t1, one, terminal[paths[0]])
            for t in two["traces"]:
                check_saved_analysis(t2, t, terminal[t["file"]])
                if "Trace: " + t["file"] not in t2:
                    failures.append("two.json: no part for " + t["file"])
                il = t["inference_latency_ns"]
                pct = lambda f: "%.1f%%" % (100.0 * f) if il > 0 else "-"  # noqa: E731
                want = row(t["file"], f"{t['kernels']:,}", fmt_ns(t["tklqt_ns"]), fmt_ns(t["tklqt_launch_ns"]),
                           fmt_ns(t["tklqt_queue_ns"]), fmt_ns(il), pct(t["gpu_idle_fraction"]), pct(t["cpu_idle_fraction"]),
                           t["bound"].upper())
                if want not in t2:
                    failures.append("two.json overview lacks %r" % want)
            _, problems = _browser.check_report(html, os.path.join(out_dir, "cli_saved_analysis.png"), expect_charts=0)
            failures += ["cli_saved_analysis.html: " + p for p in problems]
            # A key this writer writes has a label (or is folded into one): the rows of keys of a
            # later writer, in words with no meaning, are for those alone (review HR L1: a stray
            # "cpu bound gpu busy | no |" row).
            b = page.find('<section id="doc-0"')
            raw = page[b:page.find("</section>", b)]
            for k, v in one.items():
                if not isinstance(v, (dict, list)) and re.search(
                        r"<tr><td[^>]*>%s</td><td[^>]*>[^<]*</td><td[^>]*></td></tr>" % re.escape(k.replace("_", " ")), raw):
                    failures.append("one.json: the saved analysis shows key %s as an unlabelled row" % k)
            for name, text, doc in (("one.json", t1, one), ("two.json", t2, two)):
                shown = sorted(k for k in snake_keys(doc, set()) if k in text)
                if shown:
                    failures.append("%s: the saved analysis shows raw keys %s" % (name, shown))
                if "kernel_launch" in text:
                    failures.append("%s: API kind shown as a machine value" % name)

    # A saved analysis alone has the trace's CPU-/GPU-bound finding, word for word, under its own
    # label (review HR L2: it had no findings at all); a two-trace document one per trace.
    if r1.returncode == 0 and r2.returncode == 0:
        def bound_lines(stdout, label):
            return [l[len("- " + label + ": "):] for l in stdout.splitlines()
                    if l.startswith("- " + label + ": ") and "-bound" in l]
        from_trace = bound_lines(run("report", paths[0], "-o", os.path.join(tmp, "t.html")).stdout, gz[0])
        saved = bound_lines(run("report", os.path.join(tmp, "one.json"), "-o", os.path.join(tmp, "s.html")).stdout, "one.json")
        if len(from_trace) != 1 or saved != from_trace:
            failures.append("saved analysis finding %r, the trace's %r" % (saved, from_trace))
        out2 = run("report", os.path.join(tmp, "two.json"), "-o", os.path.join(tmp, "s2.html")).stdout
        for t in two["traces"]:
            if len(bound_lines(out2, "two.json: " + t["file"])) != 1:
                failures.append("two.json: no bound finding for %s:\n%s" % (t["file"], out2))

    # A saved result is read gzipped or after a UTF-8 byte-order mark as written (review HR L9: both
    # were refused with a trace reader's message), and a trace whose keys come after a long first
    # member is still a trace (review HR M2: shown as "Other results", its raw events in a table).
    if r1.returncode == 0:
        import gzip
        with gzip.open(os.path.join(tmp, "one.json.gz"), "wt") as f:
            json.dump(one, f)
        with open(os.path.join(tmp, "bom.json"), "w", encoding="utf-8-sig") as f:
            json.dump(one, f)
        for name in ("one.json.gz", "bom.json"):
            html = os.path.join(tmp, name + ".html")
            r = run("report", os.path.join(tmp, name), "-o", html)
            if r.returncode != 0:
                failures.append("report of saved %s: rc %d %s" % (name, r.returncode, r.stderr))
                continue
            with open(html) as f:
                check_saved_analysis(section_text(f.read(), "doc-0"), one, terminal[paths[0]])
        # A gzip stream cut short (in its data, or only its 8-byte trailer) is refused as such, not
        # read or called invalid JSON (review S41 L1); a result that merely holds the string
        # "traceEvents" as a value is still a result (review S41 L2).
        with open(os.path.join(tmp, "one.json.gz"), "rb") as f:
            packed = f.read()
        for cut in (len(packed) // 2, len(packed) - 4):
            with open(os.path.join(tmp, "cut.json.gz"), "wb") as f:
                f.write(packed[:cut])
            r = run("report", os.path.join(tmp, "cut.json.gz"), "-o", os.path.join(tmp, "cut.html"))
            if r.returncode != 1 or "gzip stream is truncated" not in r.stderr:
                failures.append("a saved result cut at %d of %d bytes: rc %d %r" % (cut, len(packed), r.returncode, r.stderr))
        valued = dict(one, note="traceEvents")
        r = run("report", write("valued.json", valued), "-o", os.path.join(tmp, "valued.html"))
        valued_page = os.path.join(tmp, "valued.html")
        with open(valued_page if os.path.exists(valued_page) else os.devnull) as f:
            if r.returncode != 0 or "Saved analysis: valued.json" not in f.read():
                failures.append("a result with the value \"traceEvents\" is not read as a result: rc %d %r" % (r.returncode, r.stderr))
        with gzip.open(paths[0], "rt") as f:
            trace = json.load(f)
        late = {"traceName": "x" * 5000}
        late.update({k: v for k, v in trace.items() if k != "traceName"})
        r = run("report", write("late.json", late), "-o", os.path.join(tmp, "late.html"))
        with open(os.path.join(tmp, "late.html")) as f:
            page = f.read()
        if r.returncode != 0 or "Other results" in page or \
                row("GPU busy", fmt_ns(one["gpu_busy_ns"]), "union of GPU activity intervals") not in section_text(page, "trace-0"):
            failures.append("a trace with a 5000-byte first member is not read as a trace (rc %d)" % r.returncode)

    # The page may not replace one of its inputs: exit 1, the input untouched, no partial file.
    with open(sweep, "rb") as f:
        before = f.read()
    r = run("report", sweep, "-o", sweep)
    with open(sweep, "rb") as f:
        after = f.read()
    if r.returncode != 1 or "input" not in r.stderr or after != before or os.path.exists(sweep + ".partial"):
        failures.append("report -o INPUT: rc %d, input changed %s: %s" % (r.returncode, after != before, r.stderr))

# A trace with no events at all is called empty, not "a CPU-only trace" (which a profile of host
# operators, or a recording of a CPU-only run, is).
with tempfile.TemporaryDirectory() as tmp:
    empty = os.path.join(tmp, "empty.json")
    with open(empty, "w") as f:
        f.write('{"traceEvents": []}')
    r = run("report", empty, "-o", os.path.join(tmp, "e.html"))
    if r.returncode != 0 or "empty.json: an empty trace" not in r.stdout or "CPU-only" in r.stdout:
        failures.append("report of an empty trace: rc %d %r %r" % (r.returncode, r.stdout, r.stderr))

# Two inputs of one name (NAME=PATH, or the same file name in two folders) would give two sections
# no reader can tell apart: refused as compare refuses them (usage error, exit 2), nothing written;
# distinct names pass (review S43 L5).
with tempfile.TemporaryDirectory() as tmp:
    for sub in ("a", "b"):
        os.mkdir(os.path.join(tmp, sub))
        with open(os.path.join(tmp, sub, "t.json"), "w") as f:
            f.write('{"traceEvents": []}')
    a, b = os.path.join(tmp, "a", "t.json"), os.path.join(tmp, "b", "t.json")
    page = os.path.join(tmp, "same.html")
    for args, name in ((["nm=" + a, "nm=" + b], "nm"), ([a, b], "t.json"), (["t.json=" + a, b], "t.json")):
        r = run("report", *args, "-o", page)
        if r.returncode != 2 or "two inputs are named '%s'" % name not in r.stderr or os.path.exists(page):
            failures.append("report %s: rc %d, page written %s: %r" % (args, r.returncode, os.path.exists(page), r.stderr))
    r = run("report", "first=" + a, "second=" + b, "-o", page)
    if r.returncode != 0 or not os.path.exists(page):
        failures.append("report first=A second=B: rc %d: %r" % (r.returncode, r.stderr))

if failures:
    print("FAIL\n" + "\n".join(failures))
    sys.exit(1)
print("ok: screenshots in " + out_dir)
