"""Review CA: the command line as a whole. Before the fixes:
  - M2: `--opt=` (empty) after a flag (`--json`, `--no-engine`, `--numa`) passed the empty-value
    pre-scan, which took the word after any long option for its value: `sched --json --top= 5 R` ran
    with --top 5 (exit 0 or the verb's own error) while `sched --top= 5 --json R` was refused;
  - M3: `engine run --prompt-tokens 1000000000` built the whole prompt (GBs, minutes) before
    saying the context exceeds the model's;
  - L1: `bench threadz`, `model foo`, `engine runn`, `infertrace-serve analyze` said "A
    subcommand is required";
  - L3: `bench interference --out-dir` that cannot be written: "filesystem error: ...";
  - L5: `sweep --plot - --json` wrote the JSON and the SVG into one stdout;
  - L6/L7: `--top abc` said "Value abc not in range"; `--top ' 5'`, `+5`, `0x10`, `010` (8) were
    taken; `fusion --lengths 2,`, `record --events launch,`, bench serve `--rate 100,` took the
    trailing comma;
  - L10: `bench membw -r 2147483647` ran without end, `--size-mib 99999999999` failed with
    "cannot allocate" after starting;
  - L11: `model synth -t 1000000` was silently 64 threads, `model synth -o missing/x.gguf` said
    "missing/x.gguf.partial: cannot create", `fusion --decode-window /dev/null` printed nlohmann's
    "[json.exception.parse_error.101]" tag, a value with a newline made a two-line error."""
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import check, failures, refused, run, sanitized  # noqa: E402

EXE = os.environ["INFERTRACE"]
SERVE_EXE = os.path.join(os.path.dirname(EXE), "infertrace-serve")
EMPTY = "empty value"


def run_serve(*args, timeout=60):
    return subprocess.run([SERVE_EXE, *args], capture_output=True, text=True, errors="replace", timeout=timeout)


def refused_quickly(exe, args, *needles, timeout=30):
    """`exe args` must end (not serve, not hang) with exit 2 and every needle in its one-line error."""
    try:
        r = subprocess.run([exe, *args], capture_output=True, text=True, errors="replace", timeout=timeout)
    except subprocess.TimeoutExpired:
        check(False, "%s: still running after %d s (want exit 2)" % (" ".join(args), timeout))
        return
    err = r.stderr.strip()
    check(r.returncode == 2 and all(n in err for n in needles) and err.count("\n") == 0,
          "%s: exit %d, %r (want 2 with %r, one line)" % (" ".join(args), r.returncode, err, needles))


with tempfile.TemporaryDirectory() as tmp:
    trace = os.path.join(tmp, "t.json")
    with open(trace, "w") as f:
        json.dump({"traceEvents": []}, f)
    model = os.path.join(tmp, "tiny.gguf")
    made = run("model", "synth", "--preset", "tiny", "-o", model)
    check(made.returncode == 0, "model synth: %r" % made.stderr)
    missing = os.path.join(tmp, "none.itrace")

    # --- M2: `--opt=` is an empty value whatever comes before it, in either order.
    outdir = os.path.join(tmp, "outdir")
    cases = [
        (["sched", "--json", "--top=", "5", missing], ["sched", "--top=", "5", "--json", missing], "--top="),
        (["analyze", "--json", "--csv=", outdir, trace], ["analyze", "--csv=", outdir, "--json", trace], "--csv="),
        (["model", "info", "--json", "--tensors=", model], ["model", "info", "--tensors=", "--json", model], "--tensors="),
        (["bench", "threads", "-m", model, "--no-roofline", "--json=", "-t", "1", "-r", "1", "-p", "4", "-n", "2"],
         ["bench", "threads", "-m", model, "--json=", "--no-roofline", "-t", "1", "-r", "1", "-p", "4", "-n", "2"], "--json="),
        (["demo", "--no-engine", "--output=", outdir], ["demo", "--output=", outdir, "--no-engine"], "--output="),
        (["engine", "run", "-m", model, "--ignore-eos", "--ctx=", "64", "-p", "a", "-n", "1"],
         ["engine", "run", "-m", model, "--ctx=", "64", "--ignore-eos", "-p", "a", "-n", "1"], "--ctx="),
    ]
    for after_flag, before_flag, opt in cases:
        for args in (after_flag, before_flag):
            refused_quickly(EXE, args, opt + ": " + EMPTY)
    check(not os.path.exists(outdir), "an --opt= run wrote %s" % outdir)
    # A flag's value given as its own word after a value-taking option is still that option's value:
    # `report --title --json` titles the page "--json" (no change there).
    titled = os.path.join(tmp, "titled.html")
    r = run("report", trace, "--title", "--output=", "-o", titled)
    check(r.returncode == 0 and os.path.exists(titled), "report --title --output=: %d %r" % (r.returncode, r.stderr))

    if os.path.exists(SERVE_EXE):
        out_json = os.path.join(tmp, "x.json")
        refused_quickly(SERVE_EXE, ["serve", "-m", model, "--numa", "--port=", "0"], "--port=: " + EMPTY)
        refused_quickly(SERVE_EXE, ["serve", "-m", model, "--port=", "0", "--numa"], "--port=: " + EMPTY)
        bench = ["bench", "serve", "-m", model, "--profile", "synchronous", "--requests", "2", "--prompt-tokens", "4",
                 "--output-tokens", "2", "--warmup", "0"]
        refused_quickly(SERVE_EXE, bench + ["--json", "--output=", out_json], "--output=: " + EMPTY)
        refused_quickly(SERVE_EXE, bench + ["--output=", out_json, "--json"], "--output=: " + EMPTY)
        check(not os.path.exists(out_json), "bench serve --json --output= x.json wrote x.json")
        # L6: an empty item of a list CLI11 splits, as the verbs' own lists refuse it.
        for opt, value in (("--rate", "100,"), ("--concurrency", "1,"), ("--topology", "sn,"), ("--concurrency", "1,,4")):
            refused_quickly(SERVE_EXE, ["bench", "serve", "--url", "http://127.0.0.1:9", opt, value], opt, "empty item")
            refused_quickly(SERVE_EXE, ["bench", "serve", "--url", "http://127.0.0.1:9", opt + "=" + value], opt, "empty item")
        # L1 for the second executable.
        refused_quickly(SERVE_EXE, ["analyze", trace], "unknown verb 'analyze'", "serve", "bench")
        refused_quickly(SERVE_EXE, ["bench", "threads"], "unknown verb 'threads' of bench", "serve")
    else:
        print("note: infertrace-serve not built: its cases not checked")

    # --- M3: the context bound before the prompt is built: at once, whatever N (an address-space
    # limit of 3 GiB makes the old order fail on memory instead of running for minutes).
    def limited():
        # Not under the sanitizers: ASan reserves terabytes of shadow address space at start.
        if not sanitized():
            resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))
    for n in ("1000000000", "2147483647", "100000000", "9223372036854775807"):  # the last wrapped the sum (DK M2)
        t0 = time.monotonic()
        try:
            r = subprocess.run([EXE, "engine", "run", "-m", model, "--prompt-tokens", n, "-n", "1"], capture_output=True,
                               text=True, errors="replace", timeout=60, preexec_fn=limited)
            rc, err = r.returncode, r.stderr.strip()
        except subprocess.TimeoutExpired:
            rc, err = None, "still running after 60 s"
        took = time.monotonic() - t0
        check(rc == 1 and "exceeds the model's training context of 512" in err and n in err and took < 20,
              "engine run --prompt-tokens %s: exit %s after %.1f s, %r (want 1, the training-context error, at once)"
              % (n, rc, took, err))
    # A prompt that fits still runs.
    r = run("engine", "run", "-m", model, "--prompt-tokens", "8", "-n", "2", "--json")
    check(r.returncode == 0, "engine run --prompt-tokens 8: %d %r" % (r.returncode, r.stderr))
    refused(["engine", "run", "-m", model, "--prompt-tokens", "600", "--ctx", "100"], "context overflow", rc=1)

    # --- L1: a mistyped sub-verb is named, with the sub-verbs there are.
    refused(["bench", "threadz"], "unknown verb 'threadz' of bench", "threads", "membw", "interference")
    refused(["model", "foo"], "unknown verb 'foo' of model", "synth", "info", "tokenize")
    refused(["engine", "runn", "-m", model], "unknown verb 'runn' of engine", "run")
    r = run("bench")  # none given: still CLI11's "A subcommand is required"
    check(r.returncode == 2 and "subcommand is required" in r.stderr, "bench alone: %d %r" % (r.returncode, r.stderr))

    # --- L3: an --out-dir that cannot be written to: one message of ours, before any run.
    if os.geteuid() == 0:
        unwritable = "/proc/sys"  # root may write anywhere else
    else:
        unwritable = os.path.join(tmp, "ro")
        os.mkdir(unwritable, 0o555)
    r = run("bench", "interference", "--scenarios", "baseline", "-r", "1", "--warmup", "0", "--record", "off",
            "--workload-seconds", "0.01", "--out-dir", unwritable, timeout=120)
    err = r.stderr.strip().splitlines()
    last = err[-1] if err else ""
    check(r.returncode == 1 and last.startswith("infertrace: error: --out-dir " + unwritable + ": cannot write there")
          and "filesystem error" not in r.stderr, "bench interference --out-dir %s: %d %r" % (unwritable, r.returncode, r.stderr))

    # --- L5: sweep's plot on stdout and --json: one stdout, refused before anything is read.
    a, b = os.path.join(tmp, "m_bs1.json"), os.path.join(tmp, "m_bs2.json")
    for p in (a, b):
        with open(p, "w") as f:
            json.dump({"traceEvents": []}, f)
    refused(["sweep", a, b, "--plot", "-", "--json"], "--plot - and --json", "standard output")
    refused(["sweep", a, b, "--json", "--plot", "/dev/stdout"], "--plot /dev/stdout and --json")

    # --- L6/L7: one form for numbers; a non-number says so.
    for value, says in (("abc", "not a number (got abc)"), ("5x", "not a number (got 5x)"),
                        (" 5", "decimal digits"), ("+5", "decimal digits"), ("0x10", "decimal digits"),
                        ("1.5", "decimal digits"), ("010", "leading zero")):
        refused(["analyze", trace, "--top", value], "--top", says)
        refused(["sched", missing, "--top", value], "--top", says)
    refused(["bench", "launch-loop", "--seconds", "5x"], "--seconds", "not a number (got 5x)")
    refused(["bench", "launch-loop", "--seconds", "0x1p3"], "--seconds", "decimal number")
    refused(["bench", "launch-loop", "--seconds", "0.001"], "--seconds", "not in range 0.01 to 3600")
    refused(["bench", "launch-loop", "--work", "1.5"], "--work", "whole number")
    refused(["engine", "run", "-m", model, "-p", "a", "-n", "+2"], "-n", "decimal digits")
    refused(["engine", "run", "-m", model, "-p", "a", "--temp", " 0.5"], "--temp", "decimal number")
    refused(["model", "synth", "--preset", "tiny", "-o", os.path.join(tmp, "s.gguf"), "--seed", "0x10"], "--seed", "decimal digits")
    # Documented forms still work: decimals, exponents, negative zero, -N for a signed option.
    r = run("engine", "run", "-m", model, "-p", "a", "-n", "1", "--temp", "5e-1", "--top-p", ".9", "--seed", "-0")
    check(r.returncode == 0, "engine run --temp 5e-1 --top-p .9 --seed -0: %d %r" % (r.returncode, r.stderr))
    # A value with a newline: one line, the newline shown as \x0a.
    r = run("analyze", trace, "--top", "\n")
    check(r.returncode == 2 and r.stderr.count("\n") == 1 and "(got '\\x0a')" in r.stderr, "analyze --top '\\n': %r" % r.stderr)
    # Any byte that is no printable UTF-8 is quoted as every other error quotes it (util/text_clean's
    # escaped_text, \xNN): a stray byte and a C1 control (CSI) reached the terminal as they were.
    for value, want in ((b"\xff", b"(got '\\xff')"), (b"\xc2\x9b5", b"(got '\\xc2\\x9b5')"), (b"5\t", b"(got '5\\x09')"),
                        (b"a\\b", b"(got 'a\\\\b')"), ("\u00e9".encode(), "(got \u00e9)".encode())):
        r = subprocess.run([os.fsencode(EXE), b"analyze", os.fsencode(trace), b"--top", value], capture_output=True, timeout=60)
        line = r.stderr.decode("utf-8", "replace").rstrip("\n")
        check(r.returncode == 2 and r.stderr.count(b"\n") == 1 and want in r.stderr and line.isprintable()
              and "\ufffd" not in line, "analyze --top %r: %d %r" % (value, r.returncode, r.stderr))
    # An unknown verb or word is quoted the same way (a control sequence went to the terminal raw).
    for argv, want in (([b"\x1b[31mred"], b"unknown verb '\\x1b[31mred'"),
                       ([b"bench", b"thr\x9beads"], b"unknown verb 'thr\\x9beads' of bench"),
                       ([b"analyze", os.fsencode(trace), b"--t\x07op"], b"not expected: --t\\x07op"),
                       ([b"model", b"synth", b"--preset", b"tiny", b"-o", os.fsencode(os.path.join(tmp, "w.gguf")), b"x\xff"],
                        b"not expected: x\\xff")):
        r = subprocess.run([os.fsencode(EXE), *argv], capture_output=True, timeout=60)
        line = r.stderr.decode("utf-8", "replace").rstrip("\n")
        check(r.returncode == 2 and r.stderr.count(b"\n") == 1 and want in r.stderr and line.isprintable()
              and "\ufffd" not in line, "%r: %d %r" % (argv, r.returncode, r.stderr))
    # A path with a control sequence, in any error: escaped at the one place errors are printed
    # (review S55 M1: `analyze $'\x1b[2J'` cleared the terminal).
    for argv, want in (([b"analyze", b"\x1b[2J"], b"\\x1b[2J: cannot open"),
                       ([b"export", os.fsencode(trace), b"--chrome", os.fsencode(os.path.join(tmp, "no")) + b"/\x1b[2Jy"],
                        b"\\x1b[2Jy")):
        r = subprocess.run([os.fsencode(EXE), *argv], capture_output=True, timeout=60)
        line = r.stderr.decode("utf-8", "replace").rstrip("\n")
        check(r.returncode in (1, 2) and b"\x1b" not in r.stderr and want in r.stderr and line.isprintable(),
              "%r: %d %r" % (argv, r.returncode, r.stderr))
    # Lists parsed by the verbs: a trailing or doubled comma is an empty item everywhere.
    refused(["fusion", trace, "--lengths", "2,"], "--lengths", "empty item")
    refused(["fusion", trace, "--lengths", "2,,4"], "--lengths", "empty item")
    if run("record", "--help").returncode == 0:
        for events in ("launch,", "launch,,sched"):
            refused(["record", "--events", events, "-o", os.path.join(tmp, "r.itrace"), "--", "true"], "--events", "empty item")
        refused(["record", "--events", "launch,launch", "-o", os.path.join(tmp, "r.itrace"), "--", "true"],
                "'launch' is listed twice")
        check(not os.path.exists(os.path.join(tmp, "r.itrace")), "record with a bad --events wrote a recording")

    # --- L10: bench membw's bounds, before anything runs.
    refused_quickly(EXE, ["bench", "membw", "-t", "1", "--size-mib", "1", "-r", "2147483647"], "-r 2147483647", "1 to 1000")
    refused_quickly(EXE, ["bench", "membw", "-t", "1", "--size-mib", "1", "-r", "0"], "-r 0", "1 to 1000")
    with open("/proc/meminfo") as f:
        ram_mib = int(f.readline().split()[1]) // 1024
    refused_quickly(EXE, ["bench", "membw", "-t", "1", "--size-mib", str(ram_mib), "-r", "1"], "--size-mib", "machine's memory")
    r = run("bench", "membw", "-t", "1", "--size-mib", "1", "-r", "1")
    check(r.returncode == 0, "bench membw --size-mib 1 -r 1 still runs: %d %r" % (r.returncode, r.stderr))

    # --- L11: model synth -t beyond its cap, and an output directory checked first.
    refused(["model", "synth", "--preset", "tiny", "-t", "1000000", "-o", os.path.join(tmp, "t.gguf")], "-t 1000000", "64")
    check(not os.path.exists(os.path.join(tmp, "t.gguf")), "model synth -t 1000000 wrote the file")
    r = run("model", "synth", "--preset", "tiny", "-o", os.path.join(tmp, "no", "x.gguf"))
    check(r.returncode == 1 and ".partial" not in r.stderr and "x.gguf" in r.stderr,
          "model synth -o missing/x.gguf: %d %r" % (r.returncode, r.stderr))
    r = run("sweep", a, b, "--plot", os.path.join(tmp, "no", "p.svg"))
    check(r.returncode == 1 and ".partial" not in r.stderr and "p.svg" in r.stderr,
          "sweep --plot missing/p.svg: %d %r" % (r.returncode, r.stderr))
    # nlohmann's exception tag is not ours to show; the byte offset is.
    empty_doc = os.path.join(tmp, "empty_doc.json")
    open(empty_doc, "w").close()
    for args in (["fusion", trace, "--decode-window", empty_doc],
                 ["export", trace, "--sqlite", os.path.join(tmp, "a.db"), "--attach", "analyze=" + empty_doc]):
        r = run(*args)
        check(r.returncode == 1 and "json.exception" not in r.stderr and "parse error" in r.stderr,
              "%s: %d %r" % (" ".join(args[:1] + args[2:3]), r.returncode, r.stderr))

if failures:
    sys.exit(1)
print("ok")
