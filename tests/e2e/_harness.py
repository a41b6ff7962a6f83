"""What every end-to-end test needs: the binary under test, a failure list that `check` appends to
(so one run reports every failed expectation, not just the first), and `run` for the CLI."""
import json
import os
import re
import subprocess
import sys

EXE = os.environ["INFERTRACE"]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def skip(why):
    """Ends the test as skipped (ctest's SKIP_RETURN_CODE 77), saying why."""
    print("skip:", why)
    sys.exit(77)


def have_serve():
    """Whether infertrace-serve was built beside the binary under test (it needs cpp-httplib)."""
    return os.path.exists(os.path.join(os.path.dirname(EXE), "infertrace-serve"))


def require_serve():
    """Skips the test when infertrace-serve was not built."""
    if not have_serve():
        skip("infertrace-serve was not built (no cpp-httplib)")


def run(*args, timeout=600):
    return subprocess.run([EXE, *args], capture_output=True, text=True, errors="replace", timeout=timeout)


def run_peak_rss(*args, timeout=600):
    """`run`, and the process's own peak resident set in bytes (its rusage from wait4). Compare two
    such peaks, not one with a constant: a sanitized build's baseline is several times the plain one's."""
    import threading
    p = subprocess.Popen([EXE, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace")
    out = {}
    readers = [threading.Thread(target=lambda k=k: out.__setitem__(k, getattr(p, k).read())) for k in ("stdout", "stderr")]
    for t in readers:
        t.start()
    killer = threading.Timer(timeout, p.kill)
    killer.start()
    _, status, usage = os.wait4(p.pid, 0)
    killer.cancel()
    for t in readers:
        t.join()
    p.returncode = os.waitstatus_to_exitcode(status)  # (Popen must not wait for it again)
    return subprocess.CompletedProcess(p.args, p.returncode, out["stdout"], out["stderr"]), usage.ru_maxrss * 1024


def as_json(r, verb):
    """The verb's stdout as JSON; a failed check (and {}) when it is not JSON."""
    try:
        return json.loads(r.stdout)
    except ValueError:
        check(False, "%s: not JSON: %r" % (verb, r.stdout[:300]))
        return {}


def refused(args, *needles, rc=2, runner=None):
    """`args` must fail with exit `rc` and a last stderr line holding every needle (usage errors)."""
    r = (runner or run)(*args)
    msg = r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ""
    check(r.returncode == rc and all(n in msg for n in needles),
          "%s: exit %d, %r (want %d with %r)" % (" ".join(args), r.returncode, msg, rc, needles))


def h100_fixtures(needed="gpt2_prefill_bs1.json.gz"):
    """The directory of the H100 Kineto traces (../shared/fixtures/kineto-h100 beside the
    repository, or INFERTRACE_SHARED_DIR's) that holds `needed`, or None. A git worktree sits one
    level deeper than the repository, hence the second candidate."""
    src = os.environ["INFERTRACE_SOURCE_DIR"]
    for d in (os.environ.get("INFERTRACE_SHARED_DIR", ""), os.path.join(src, "..", "shared"),
              os.path.join(src, "..", "..", "shared")):
        if d and os.path.isfile(os.path.join(d, "fixtures", "kineto-h100", needed)):
            return os.path.join(d, "fixtures", "kineto-h100")
    return None


def sanitized():
    """Whether the binary under test was built with the sanitizers (CMakeCache of its build)."""
    cache = os.path.join(os.environ.get("INFERTRACE_BINARY_DIR", ""), "CMakeCache.txt")
    try:
        with open(cache) as f:
            return re.search(r"^INFERTRACE_SANITIZE:[A-Z]*=ON$", f.read(), re.M) is not None
    except OSError:
        return False
