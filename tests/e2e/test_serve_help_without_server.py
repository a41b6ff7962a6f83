"""`infertrace serve --help` and `infertrace bench serve --help` where infertrace-serve is missing
(built only with cpp-httplib): help is printed and the exit is 0 (audit EW: exit 1); serving is
what fails then, exit 1 naming the missing executable. The verbs run the infertrace-serve beside
their own executable (/proc/self/exe), so a link to (or copy of) the binary in an empty directory
has none. Where infertrace-serve is built, --help through infertrace lists its real options."""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import EXE, check, failures, run  # noqa: E402

with tempfile.TemporaryDirectory() as tmp:
    alone = os.path.join(tmp, "infertrace")
    try:
        os.link(EXE, alone)  # /proc/self/exe names the link it was started through
    except OSError:
        shutil.copy2(EXE, alone)
    check(not os.path.exists(os.path.join(tmp, "infertrace-serve")), "the directory is empty")

    def run_alone(*args):
        return subprocess.run([alone, *args], capture_output=True, text=True, errors="replace", timeout=120)

    for verb, what in ((["serve"], "OpenAI-compatible HTTP server"), (["bench", "serve"], "Serving load sweep")):
        name = " ".join(verb)
        for flag in ("--help", "-h"):
            for args in ([flag], ["-m", "model.gguf", flag]):
                h = run_alone(*verb, *args)
                check(h.returncode == 0, "%s %s without infertrace-serve: exit %d (want 0): %s"
                      % (name, " ".join(args), h.returncode, h.stderr.strip()))
                check(what in h.stdout and ("Usage: infertrace %s" % name) in h.stdout,
                      "%s %s: the verb's help: %r" % (name, " ".join(args), h.stdout[:300]))
                check("infertrace-serve is missing" in h.stdout and "docs/serve.md" in h.stdout,
                      "%s %s: says why its options are not listed: %r" % (name, " ".join(args), h.stdout[:400]))
        # Serving without it is still an error (1), with the reason, and no help text.
        s = run_alone(*verb, "-m", "model.gguf")
        check(s.returncode == 1 and "infertrace-serve is missing" in s.stderr and s.stdout == "",
              "%s -m M without infertrace-serve: exit %d %r %r" % (name, s.returncode, s.stdout[:200], s.stderr))

if os.path.exists(os.path.join(os.path.dirname(EXE), "infertrace-serve")):
    for verb, option in ((["serve"], "--port"), (["bench", "serve"], "--url")):
        h = run(*verb, "--help")
        check(h.returncode == 0 and option in h.stdout and "is missing" not in h.stdout,
              "%s --help with infertrace-serve: exit %d, lists %s: %r" % (" ".join(verb), h.returncode, option,
                                                                         h.stdout[:300]))
else:
    print("infertrace-serve is not built here: its own --help was not run")

if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("ok")
