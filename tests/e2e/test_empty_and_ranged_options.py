"""Options given an empty value, `--top` across verbs, and the messages review AW listed as LOW.
Before: an empty value was taken as "not given" or as 0 with exit 0 (`analyze --csv ''` wrote no CSV,
`ingest --chunk-bytes ''`, `serve --port ''`, `model preset ''` listed every preset); `analyze --top 0`
was refused while its help said [0 - 1000000] and `sched`/`fusion --top 0` were taken; `bench serve`
ignored --rate with the synchronous profile and --max-batch with --url; `bench launch`
answered -o xml with "md, csv or json" and -o csv with "md or json"; `bench interference --out-dir
FILE` printed the raw "filesystem error: ..."; `compare a=` said ": cannot open"; `fusion --measured
bogus=RUN.json` said "that file is a cpu run, not bogus"."""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from _harness import check, failures, refused, run  # noqa: E402

SERVE_EXE = os.path.join(os.path.dirname(os.environ["INFERTRACE"]), "infertrace-serve")


with tempfile.TemporaryDirectory() as tmp:
    trace = os.path.join(tmp, "t.json")
    with open(trace, "w") as f:
        json.dump({"traceEvents": []}, f)
    model = os.path.join(tmp, "tiny.gguf")
    check(run("model", "synth", "--preset", "tiny", "-o", model).returncode == 0, "model synth")
    empty = "empty value (leave the option out for its default)"
    for args in (["analyze", trace, "--csv", ""], ["analyze", trace, "--top", ""], ["ingest", trace, "--chunk-bytes", ""],
                 ["fusion", trace, "--threshold", ""], ["sweep", trace, trace, "--plot", ""],
                 ["engine", "run", "-m", model, "-p", "a", "-n", ""], ["engine", "run", "-m", model, "-p", "a", "--ctx", ""],
                 ["engine", "run", "-m", model, "-p", "a", "--cpus", ""],
                 # (a build that took "" as "not given" runs one short baseline, not the whole matrix)
                 ["bench", "interference", "--record", "off", "--scenarios", "baseline", "-r", "1",
                  "--out-dir", os.path.join(tmp, "ifr"), "--metric-regex", "", "--", "/bin/true"]):
        opt = args[args.index("") - 1]
        refused(args, opt, empty)
    check(not os.path.exists(os.path.join(tmp, "csv")), "analyze --csv '' wrote something")
    # `--opt=` with nothing after '=' (review BD L6): CLI11 took the next word as the value, so
    # `analyze --top= 3 T` ran, `report --title= T T` titled the page with the trace path and
    # `analyze --csv= DIR T` wrote DIR. The same empty value, refused the same way.
    csv_dir = os.path.join(tmp, "csv_eq")
    for args in (["analyze", "--top=", "3", trace], ["report", "--title=", trace, trace, "-o", os.path.join(tmp, "r.html")],
                 ["analyze", "--csv=", csv_dir, trace]):
        opt = next(a for a in args if a.endswith("="))
        refused(args, opt + ": " + empty)
    check(not os.path.exists(csv_dir), "analyze --csv= DIR wrote DIR")
    # Option names are the subcommand's own (review BK item 4): membw has no --model, so
    # `bench membw --model=` is its unknown option, not bench threads' empty --model; a bench
    # subcommand that has the option still gets the empty-value error.
    refused(["bench", "membw", "--model="], "--model=", "not expected")
    r = run("bench", "membw", "--model=")
    check(empty not in r.stderr, "bench membw --model=: said %r" % r.stderr.strip()[-200:])
    refused(["bench", "threads", "--model="], "--model=: " + empty)
    refused(["bench", "threads", "-m", "x.gguf", "--size-mib="], "--size-mib=", "not expected")  # membw's, not threads'
    refused(["bench", "membw", "--size-mib="], "--size-mib=: " + empty)
    check(not os.path.exists(os.path.join(tmp, "r.html")), "report --title= wrote a page")
    # A value given as its own word is the option's, whatever it looks like (review BH M2): a title
    # "--output=" (a value-taking option of report) or "--top=", and `-p "--model="` as a prompt.
    titled = os.path.join(tmp, "titled.html")
    r = run("report", trace, "--title", "--output=", "-o", titled)
    page = open(titled).read() if os.path.exists(titled) else ""
    check(r.returncode == 0 and "--output=" in page, "report --title '--output=': exit %d %r" % (r.returncode, r.stderr[-300:]))
    r = run("model", "tokenize", "-m", model, "-p", "--model=", "--json")
    check(r.returncode == 0, "tokenize -p '--model=': exit %d %r" % (r.returncode, r.stderr[-300:]))
    # An option whose empty value means something: `--prompt=` is the empty prompt, as `-p ''`.
    r_eq = run("model", "tokenize", "-m", model, "--prompt=", "--json")
    r_empty = run("model", "tokenize", "-m", model, "-p", "", "--json")
    check(r_eq.returncode == 0 and r_eq.stdout == r_empty.stdout,
          "tokenize --prompt=: %d %r vs %r" % (r_eq.returncode, r_eq.stdout[:80], r_empty.stdout[:80]))
    # Words after `--` are the command's (review BD L7): neither '' nor `--top=` is checked there.
    ifr = os.path.join(tmp, "ifr_dashdash")
    r = run("bench", "interference", "--record", "off", "--scenarios", "baseline", "-r", "1", "--out-dir", ifr,
            "--", "/bin/echo", "", "--top=")
    check(r.returncode == 0, "bench interference -- /bin/echo '' --top=: exit %d %r" % (r.returncode, r.stderr[-300:]))
    refused(["model", "preset", ""], "empty preset name")
    r = run("model", "preset")
    check(r.returncode == 0 and "tiny" in r.stdout, "model preset without a name lists the presets")
    if not os.path.exists(SERVE_EXE):
        print("skip: %s is not built (cpp-httplib missing): its serve / bench serve checks did not run" % SERVE_EXE)
    else:
        def serve_run(*a):
            import subprocess
            return subprocess.run([SERVE_EXE, *a], capture_output=True, text=True, timeout=60)
        refused(["serve", "-m", model, "--port", ""], "--port", empty, runner=serve_run)
        refused(["serve", "-m", model, "--host", ""], "--host", empty, runner=serve_run)
        # (99999: a build that takes the next word fails on the range at once, starting no server)
        refused(["serve", "-m", model, "--port=", "99999"], "--port=: " + empty, runner=serve_run)
        # Options the target or the profile does not read are refused, not ignored (review AW LOW).
        url = ["bench", "serve", "--url", "http://127.0.0.1:9"]
        refused(url + ["--max-batch", "4"], "--max-batch needs -m M.gguf", runner=serve_run)
        refused(url + ["--ctx", "64"], "--ctx needs -m M.gguf", runner=serve_run)
        refused(url + ["--rate", "2"], "--rate is for --profile constant, poisson or sweep", runner=serve_run)
        refused(url + ["--profile", "constant", "--rate", "1", "--concurrency", "2"],
                "--concurrency is for --profile concurrent", runner=serve_run)
    # An empty prompt is still a prompt to tokenize (BOS alone).
    r = run("model", "tokenize", "-m", model, "-p", "", "--json")
    check(r.returncode == 0, "tokenize -p '': %d %s" % (r.returncode, r.stderr))

    # --top: at least 1 in every verb that has it, as each one's help says.
    for verb in (["analyze", trace], ["sched", trace], ["fusion", trace]):
        refused(verb + ["--top", "0"], "--top", "not in range 1 to 1000000")
        h = run(*verb[:1], "--help")
        check("(1 to 1000000)" in h.stdout and "0 to 1000000" not in h.stdout, "%s --help range" % verb[0])

    refused(["bench", "launch", "-o", "xml"], "-o xml: expected md or json")
    refused(["bench", "launch", "-o", "csv"], "-o csv: expected md or json")
    # A file name, as -o means elsewhere: said that -o is the format here, and how to get the file.
    refused(["bench", "launch", "-o", "out.json"], "-o out.json: expected md or json (here -o is the output format, "
            "as in llama-bench; to write a file, redirect standard output: -o json > out.json)")
    refused(["bench", "threads", "-m", "x.gguf", "-o", "res/out.txt"], "-o res/out.txt: expected md, csv or json (here -o "
            "is the output format, as in llama-bench; to write a file, redirect standard output: -o md > res/out.txt)")

    # NAME= with no path, and a --measured mode no engine has: said as such (before: ": cannot open",
    # and "that file is a cpu run, not bogus", which blamed the file).
    refused(["compare", "a=", "b=" + trace], "a= names no file")
    refused(["fusion", trace, "--decode-window", trace, "--measured", "bogus=" + trace], "unknown mode 'bogus'")

    afile = os.path.join(tmp, "afile")
    open(afile, "w").close()
    refused(["bench", "interference", "--record", "off", "--out-dir", afile, "--", "/bin/true"],
            "--out-dir " + afile, "cannot create the directory", rc=1)
    check(os.path.isfile(afile), "--out-dir's file left as it was")

if failures:
    sys.exit(1)
print("ok")
